#include "adapters/aws/dynamodb_items.h"

#include <charconv>
#include <cstdio>
#include <limits>

#include "common/control_bytes.h"
#include "core/task_codec.h"

namespace spotbatch::ddb {
namespace {

using nlohmann::json;

// What a refusal quotes of the item: a couple hundred printable bytes.
std::string Quote(std::string_view s) {
  std::string out(s.substr(0, 120));
  for (char& c : out) {
    if (IsControlByte(c) || static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return out;
}

const json* Find(const json& item, std::string_view name) {
  if (!item.is_object()) return nullptr;
  auto it = item.find(name);
  return it == item.end() ? nullptr : &*it;
}

// Reads a string attribute stored as S or B. Absent: `out` empty and true; malformed: false.
bool ReadText(const json& item, std::string_view name, std::string* out) {
  out->clear();
  const json* v = Find(item, name);
  if (v == nullptr) return true;
  if (!v->is_object() || v->size() != 1) return false;
  if (auto s = v->find("S"); s != v->end()) {
    if (!s->is_string()) return false;
    *out = s->get_ref<const std::string&>();
    return true;
  }
  if (auto b = v->find("B"); b != v->end()) {
    return b->is_string() && Base64Decode(b->get_ref<const std::string&>(), out);
  }
  return false;
}

// Reads an integer attribute (N) within [lo, hi]. Absent: 0 and true.
bool ReadInt(const json& item, std::string_view name, int64_t lo, int64_t hi, int64_t* out) {
  *out = 0;
  const json* v = Find(item, name);
  if (v == nullptr) return true;
  if (!v->is_object() || v->size() != 1) return false;
  auto n = v->find("N");
  if (n == v->end() || !n->is_string()) return false;
  const std::string& text = n->get_ref<const std::string&>();
  if (text.empty() || text.size() > 24) return false;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  if (value < lo || value > hi) return false;
  *out = value;
  return true;
}

bool ReadBool(const json& item, std::string_view name, bool* out) {
  *out = false;
  const json* v = Find(item, name);
  if (v == nullptr) return true;
  if (!v->is_object() || v->size() != 1) return false;
  auto b = v->find("BOOL");
  if (b == v->end() || !b->is_boolean()) return false;
  *out = b->get<bool>();
  return true;
}

constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kIntMin = std::numeric_limits<int>::min();
constexpr int64_t kIntMax = std::numeric_limits<int>::max();

// A reader that remembers the first attribute it could not read.
class Reader {
 public:
  Reader(const json& item, const char* what) : item_(item), what_(what) {}
  void Text(const char* name, std::string* out) {
    if (!ReadText(item_, name, out)) Fail(name);
  }
  // A field that is part of an item's key: text only (keys are S attributes), never the
  // base64 of other bytes that a free-text field may hold.
  void KeyText(const char* name, std::string* out) {
    Text(name, out);
    if (!IsUtf8(*out)) Fail(name);
  }
  void I64(const char* name, int64_t* out) {
    if (!ReadInt(item_, name, kI64Min, kI64Max, out)) Fail(name);
  }
  void Int(const char* name, int* out) {
    int64_t v = 0;
    if (!ReadInt(item_, name, kIntMin, kIntMax, &v)) Fail(name);
    *out = static_cast<int>(v);
  }
  void Bool(const char* name, bool* out) {
    if (!ReadBool(item_, name, out)) Fail(name);
  }
  // A field kept inline or in chunks (`owner_sk` is the owner's sort key).
  void Spilled(const char* name, std::string_view owner_sk, const Chunks& chunks,
               std::string* out) {
    const int parts = PartsOf(item_, name);
    if (parts < 0) return Fail(name);
    if (parts == 0) return Text(name, out);
    out->clear();
    for (int n = 0; n < parts; ++n) {
      auto it = chunks.find(ChunkSk(owner_sk, name, n));
      if (it == chunks.end()) {
        if (status_.ok()) {
          status_ = DataLoss(std::string(what_) + ": chunk " + std::to_string(n) + " of " + name +
                             " is missing");
        }
        return;
      }
      out->append(it->second);
    }
  }
  void Fail(const char* name) {
    if (status_.ok())
      status_ = DataLoss(std::string(what_) + ": attribute " + name + " is malformed");
  }
  void Require(bool ok, const std::string& why) {
    if (!ok && status_.ok()) status_ = DataLoss(std::string(what_) + ": " + why);
  }
  const Status& status() const { return status_; }

 private:
  const json& item_;
  const char* what_;
  Status status_;
};

// Puts a field inline, or cuts it into chunk items under (pk, owner_sk).
void PutSpilled(std::string_view pk, std::string_view owner_sk, const char* name,
                std::string_view value, json* item, std::vector<json>* chunks, size_t* bytes) {
  if (value.size() <= kInlineBytes) {
    (*item)[name] = TextValue(value);
    *bytes += value.size() + 8;
    return;
  }
  int n = 0;
  for (size_t pos = 0; pos < value.size(); pos += kChunkBytes, ++n) {
    const std::string sk = ChunkSk(owner_sk, name, n);
    const std::string_view part = value.substr(pos, kChunkBytes);
    chunks->push_back({{"pk", {{"S", pk}}},
                       {"sk", {{"S", sk}}},
                       {"typ", {{"S", "chunk"}}},
                       {"d", {{"B", Base64Encode(part)}}}});
    *bytes += part.size() + pk.size() + sk.size() + 16;
  }
  (*item)[std::string(name) + "_parts"] = NumberValue(n);
  *bytes += 16;
}

std::string Padded(uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string JobPk(std::string_view job_id) { return "JOB#" + std::string(job_id); }
std::string TaskPk(std::string_view task_id) { return "TASK#" + std::string(task_id); }
std::string AttemptSk(std::string_view token) { return "A#" + std::string(token); }
std::string MemberSk(int index, std::string_view task_id, std::string_view creation_token) {
  return "M#" + Padded(static_cast<uint64_t>(int64_t{index} + (int64_t{1} << 31)), 10) + "#" +
         std::string(task_id) + "#" + std::string(creation_token);
}
// Field names are all three letters, so the last 9 bytes ("#<f>#<n>") never reach into the
// owner's sort key and two (owner, field, n) never give one key.
std::string ChunkSk(std::string_view owner_sk, std::string_view field, int n) {
  return "C#" + std::string(owner_sk) + "#" + std::string(field) + "#" +
         Padded(static_cast<uint64_t>(n), 4);
}
std::string SeqSk(int64_t seq) { return Padded(static_cast<uint64_t>(seq), 20); }

int ShardOf(std::string_view id, int shards) {
  uint32_t h = 2166136261u;
  for (char c : id) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return shards <= 1 ? 0 : static_cast<int>(h % static_cast<uint32_t>(shards));
}

json Key(std::string_view pk, std::string_view sk) {
  return {{"pk", {{"S", pk}}}, {"sk", {{"S", sk}}}};
}

bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
int B64Index(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  out->clear();
  if (text.size() % 4 != 0) return false;
  out->reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return false;  // data after padding
      v[k] = B64Index(c);
      if (v[k] < 0) return false;
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    // Canonical only: the bits padding drops must be zero, so one text per byte string.
    if ((pad == 1 && (n & 0xFF) != 0) || (pad == 2 && (n & 0xFFFF) != 0)) return false;
    out->push_back(static_cast<char>(n >> 16));
    if (pad < 2) out->push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out->push_back(static_cast<char>(n & 0xFF));
  }
  return true;
}

json TextValue(std::string_view s) {
  if (IsUtf8(s)) return {{"S", s}};
  return {{"B", Base64Encode(s)}};
}

json NumberValue(int64_t n) { return {{"N", std::to_string(n)}}; }

EncodedItem EncodeTask(const TaskRecord& t, int shards, std::string_view pending,
                       int64_t pending_since_millis) {
  EncodedItem e;
  const std::string pk = TaskPk(t.id);
  json& item = e.item;
  item = Key(pk, kTaskSk);
  item["typ"] = {{"S", "task"}};
  item["tid"] = {{"S", t.id}};
  item["job"] = TextValue(t.job_id);
  item["idx"] = NumberValue(t.index);
  item["input"] = TextValue(t.input_key);
  item["state"] = {{"S", TaskStateName(t.state)}};
  item["ver"] = NumberValue(t.version);
  item["tok"] = TextValue(t.attempt_token);
  item["att"] = NumberValue(t.attempts);
  item["appf"] = NumberValue(t.app_failures);
  item["intr"] = NumberValue(t.interruptions);
  item["lost"] = NumberValue(t.lost);
  item["rel"] = NumberValue(t.releases);
  item["nbf"] = NumberValue(t.not_before_unix_millis);
  item["lease"] = NumberValue(t.lease_expires_unix_millis);
  item["enq"] = {{"BOOL", t.enqueued}};
  item["upd"] = NumberValue(t.updated_unix_millis);
  item["start"] = NumberValue(t.started_unix_millis);
  item["ckpt"] = TextValue(t.checkpoint);
  item["ckpt_at"] = NumberValue(t.checkpoint_unix_millis);
  e.bytes = 400 + pk.size() + t.id.size() * 2 + t.job_id.size() + t.input_key.size() +
            t.attempt_token.size() + t.checkpoint.size();
  PutSpilled(pk, kTaskSk, "out", EncodeOutputs(t.outputs), &item, &e.chunks, &e.bytes);
  if (!t.uploads.empty()) {
    PutSpilled(pk, kTaskSk, "upl", EncodePendingUploads(t.uploads), &item, &e.chunks, &e.bytes);
  }
  PutSpilled(pk, kTaskSk, "err", t.last_error, &item, &e.chunks, &e.bytes);
  if (!t.enqueued && !IsTerminal(t.state)) {
    item["uq"] = {{"S", "U#" + std::to_string(ShardOf(t.id, shards))}};
  }
  if (!pending.empty()) {
    item["pend"] = {{"S", pending}};
    item["pend_at"] = NumberValue(pending_since_millis);
  }
  return e;
}

std::string PendingOf(const json& item) { return StringAttr(item, "pend"); }

int PartsOf(const json& item, std::string_view field) {
  int64_t parts = 0;
  if (!ReadInt(item, std::string(field) + "_parts", 0, kMaxParts, &parts)) return -1;
  return static_cast<int>(parts);
}

Result<TaskRecord> DecodeTask(const json& item, const Chunks& chunks) {
  if (!item.is_object()) return DataLoss("a task item is not an object");
  TaskRecord t;
  Reader r(item, "task item");
  r.KeyText("tid", &t.id);
  r.Require(!t.id.empty(), "no task id");
  r.KeyText("job", &t.job_id);
  r.Int("idx", &t.index);
  r.Text("input", &t.input_key);
  std::string state;
  r.Text("state", &state);
  r.Require(ParseTaskState(state, &t.state), "unknown state " + Quote(state));
  r.I64("ver", &t.version);
  r.Text("tok", &t.attempt_token);
  r.Int("att", &t.attempts);
  r.Int("appf", &t.app_failures);
  r.Int("intr", &t.interruptions);
  r.Int("lost", &t.lost);
  r.Int("rel", &t.releases);
  r.I64("nbf", &t.not_before_unix_millis);
  r.I64("lease", &t.lease_expires_unix_millis);
  r.Bool("enq", &t.enqueued);
  r.I64("upd", &t.updated_unix_millis);
  r.I64("start", &t.started_unix_millis);
  r.Text("ckpt", &t.checkpoint);
  r.I64("ckpt_at", &t.checkpoint_unix_millis);
  std::string outputs;
  r.Spilled("out", kTaskSk, chunks, &outputs);
  r.Require(DecodeOutputs(outputs, &t.outputs), "outputs are malformed");
  if (item.contains("upl_parts") || item.contains("upl")) {
    std::string uploads;
    r.Spilled("upl", kTaskSk, chunks, &uploads);
    r.Require(DecodePendingUploads(uploads, &t.uploads), "pending uploads are malformed");
  }
  r.Spilled("err", kTaskSk, chunks, &t.last_error);
  if (!r.status().ok()) return r.status();
  return t;
}

EncodedAttempt EncodeAttempt(const AttemptRecord& a) {
  EncodedAttempt e;
  const std::string pk = TaskPk(a.task_id);
  const std::string sk = AttemptSk(a.token);
  e.key = Key(pk, sk);
  e.start["typ"] = {{"S", "attempt"}};
  e.start["atok"] = TextValue(a.token);
  // Not "tid": that is the range key of the unenqueued index, which attempts stay out of.
  e.start["task"] = TextValue(a.task_id);
  e.start["num"] = NumberValue(a.number);
  e.start["worker"] = TextValue(a.worker);
  e.start["st"] = NumberValue(a.started_unix_millis);
  e.start["pool"] = TextValue(a.pool);
  e.end["fin"] = NumberValue(a.ended_unix_millis);
  e.end["outc"] = {{"S", AttemptOutcomeName(a.outcome)}};
  e.end["exit"] = NumberValue(a.exit_code);
  e.end["lw"] = NumberValue(a.lost_work_millis);
  e.bytes = 300 + pk.size() + sk.size() * 2 + a.worker.size() + a.pool.size();
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string&>{"msg", a.message}, {"log", a.log_tail}}) {
    json fields = json::object();
    PutSpilled(pk, sk, name, value, &fields, &e.chunks, &e.bytes);
    const std::string parts = std::string(name) + "_parts";
    if (fields.contains(name)) {
      e.end[name] = fields[name];
      e.remove.push_back(parts);
    } else {
      e.end[parts] = fields[parts];
      e.remove.push_back(name);
    }
  }
  return e;
}

json AttemptItemOf(const EncodedAttempt& e) {
  json item = e.key;
  for (const auto& [k, v] : e.start) item[k] = v;
  for (const auto& [k, v] : e.end) item[k] = v;
  return item;
}

Result<AttemptRecord> DecodeAttempt(const json& item, const Chunks& chunks) {
  if (!item.is_object()) return DataLoss("an attempt item is not an object");
  AttemptRecord a;
  Reader r(item, "attempt item");
  r.KeyText("atok", &a.token);
  r.Require(!a.token.empty(), "no token");
  r.KeyText("task", &a.task_id);
  r.Int("num", &a.number);
  r.Text("worker", &a.worker);
  r.I64("st", &a.started_unix_millis);
  r.Text("pool", &a.pool);
  r.I64("fin", &a.ended_unix_millis);
  std::string outcome;
  r.Text("outc", &outcome);
  r.Require(ParseAttemptOutcome(outcome, &a.outcome), "unknown outcome " + Quote(outcome));
  r.Int("exit", &a.exit_code);
  r.I64("lw", &a.lost_work_millis);
  const std::string sk = AttemptSk(a.token);
  r.Spilled("msg", sk, chunks, &a.message);
  r.Spilled("log", sk, chunks, &a.log_tail);
  if (!r.status().ok()) return r.status();
  return a;
}

EncodedItem EncodeJob(const JobRecord& j, int64_t seq, int64_t task_count,
                      std::string_view creation_token) {
  EncodedItem e;
  e.item = Key(JobPk(j.id), kJobSk);
  e.item["typ"] = {{"S", "job"}};
  e.item["jid"] = TextValue(j.id);
  e.item["input"] = TextValue(j.input_key);
  e.item["etag"] = TextValue(j.input_etag);
  e.item["size"] = {{"N", std::to_string(j.input_size)}};
  e.item["created"] = NumberValue(j.created_unix_millis);
  e.item["seq"] = NumberValue(seq);
  e.item["ntasks"] = NumberValue(task_count);
  if (!creation_token.empty()) e.item["ctok"] = {{"S", creation_token}};
  e.bytes = 200 + j.id.size() * 2 + j.input_key.size() + j.input_etag.size();
  return e;
}

Result<JobRecord> DecodeJob(const json& item) {
  if (!item.is_object()) return DataLoss("a job item is not an object");
  JobRecord j;
  Reader r(item, "job item");
  r.KeyText("jid", &j.id);
  r.Require(!j.id.empty(), "no job id");
  r.Text("input", &j.input_key);
  r.Text("etag", &j.input_etag);
  int64_t size = 0;
  if (!ReadInt(item, "size", 0, kI64Max, &size)) r.Fail("size");
  j.input_size = static_cast<uint64_t>(size);
  r.I64("created", &j.created_unix_millis);
  if (!r.status().ok()) return r.status();
  return j;
}

int64_t JobSeqOf(const json& item) {
  int64_t seq = 0;
  return ReadInt(item, "seq", 0, kI64Max, &seq) ? seq : 0;
}

std::string JobTokenOf(const json& item) { return StringAttr(item, "ctok"); }

json EncodeMember(const TaskRecord& t, std::string_view creation_token) {
  json item = Key(JobPk(t.job_id), MemberSk(t.index, t.id, creation_token));
  item["typ"] = {{"S", "member"}};
  item["tid"] = TextValue(t.id);
  if (!creation_token.empty()) item["ctok"] = {{"S", creation_token}};
  return item;
}

std::string MemberTaskId(const json& item) { return StringAttr(item, "tid"); }

std::string TypeOf(const json& item) { return StringAttr(item, "typ"); }

std::string StringAttr(const json& item, std::string_view name) {
  std::string out;
  return ReadText(item, name, &out) ? out : std::string();
}

bool ChunkBytes(const json& item, std::string* out) {
  return ReadText(item, "d", out) && Find(item, "d") != nullptr;
}

Status AddCounts(const json& item, int64_t by_state[6]) {
  for (int s = 0; s < 6; ++s) {
    int64_t n = 0;
    const std::string name = "c" + std::to_string(s);
    // A shard counts at most what it was given; a sum of shards stays far from overflow.
    if (!ReadInt(item, name, -(int64_t{1} << 48), int64_t{1} << 48, &n)) {
      return DataLoss("counter item: attribute " + name + " is malformed");
    }
    by_state[s] += n;
  }
  return Status::Ok();
}

}  // namespace spotbatch::ddb
