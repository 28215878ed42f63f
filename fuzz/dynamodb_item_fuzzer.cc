// The DynamoDB state store's item decoders (adapters/aws/dynamodb_items.h): items read back
// from the table are untrusted. Each input is parsed as JSON and given to every decoder as an
// item, its "chunks" member (an object of sort key -> {"B": base64}) as the chunks it names.
// Properties: no crash and no exception; a refusal is kDataLoss quoting at most a few hundred
// bytes; a decoded record encoded again (inline or in chunks) serializes as JSON and decodes to
// itself. The input's bytes also go through base64: what decodes, encodes back to the same text.
#include <nlohmann/json.hpp>

#include "adapters/aws/dynamodb_items.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

using nlohmann::json;

ddb::Chunks ChunksOf(const std::vector<json>& items) {
  ddb::Chunks chunks;
  for (const json& c : items) {
    std::string bytes;
    FUZZ_CHECK(ddb::ChunkBytes(c, &bytes));
    FUZZ_CHECK(bytes.size() <= ddb::kChunkBytes);
    chunks[ddb::StringAttr(c, "sk")] = bytes;
  }
  return chunks;
}

void CheckRefusal(const Status& s) {
  FUZZ_CHECK_MSG(s.code() == StatusCode::kDataLoss, s.ToString().substr(0, 300));
  FUZZ_CHECK_MSG(s.message().size() <= 300, s.message().substr(0, 300));
}

// Serializing must never throw: every string value is UTF-8 or base64.
std::string Dump(const json& j) {
  try {
    return j.dump();
  } catch (const json::exception& e) {
    FUZZ_CHECK_MSG(false, e.what());
  }
  return "";
}

void Task(const json& item, const ddb::Chunks& chunks) {
  const Result<TaskRecord> t = ddb::DecodeTask(item, chunks);
  if (!t.ok()) return CheckRefusal(t.status());
  for (const std::string& pending : {std::string(), std::string("tok")}) {
    const ddb::EncodedItem e = ddb::EncodeTask(*t, 8, pending, 1);
    FUZZ_CHECK(ddb::PendingOf(e.item) == pending);
    FUZZ_CHECK(e.item.contains("uq") == (!t->enqueued && !IsTerminal(t->state)));
    const json again = json::parse(Dump(e.item), nullptr, false);
    const Result<TaskRecord> back = ddb::DecodeTask(again, ChunksOf(e.chunks));
    FUZZ_CHECK_MSG(back.ok(), back.status().message());
    FUZZ_CHECK(*back == *t);
  }
}

void Attempt(const json& item, const ddb::Chunks& chunks) {
  const Result<AttemptRecord> a = ddb::DecodeAttempt(item, chunks);
  if (!a.ok()) return CheckRefusal(a.status());
  const ddb::EncodedAttempt e = ddb::EncodeAttempt(*a);
  const json again = json::parse(Dump(ddb::AttemptItemOf(e)), nullptr, false);
  const Result<AttemptRecord> back = ddb::DecodeAttempt(again, ChunksOf(e.chunks));
  FUZZ_CHECK_MSG(back.ok(), back.status().message());
  FUZZ_CHECK(*back == *a);
}

void Job(const json& item) {
  const Result<JobRecord> j = ddb::DecodeJob(item);
  (void)ddb::JobSeqOf(item);
  (void)ddb::JobTokenOf(item);
  if (!j.ok()) return CheckRefusal(j.status());
  const ddb::EncodedItem e = ddb::EncodeJob(*j, 1, 1);
  const Result<JobRecord> back = ddb::DecodeJob(json::parse(Dump(e.item), nullptr, false));
  FUZZ_CHECK_MSG(back.ok(), back.status().message());
  FUZZ_CHECK(*back == *j);
}

void Counts(const json& item) {
  int64_t by_state[6] = {0, 0, 0, 0, 0, 0};
  const Status s = ddb::AddCounts(item, by_state);
  if (!s.ok()) CheckRefusal(s);
}

void Base64(std::string_view text) {
  std::string bytes;
  if (!ddb::Base64Decode(text, &bytes)) return;
  FUZZ_CHECK(ddb::Base64Encode(bytes) == text);
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size > 512 * 1024) return -1;
  const std::string_view text = fuzz::AsText(data, size);
  Base64(text);
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  ddb::Chunks chunks;
  if (doc.is_object()) {
    if (auto c = doc.find("chunks"); c != doc.end() && c->is_object()) {
      for (const auto& [sk, value] : c->items()) {
        std::string bytes;
        if (ddb::ChunkBytes({{"d", value}}, &bytes)) chunks[sk] = bytes;
      }
    }
  }
  Task(doc, chunks);
  Attempt(doc, chunks);
  Job(doc);
  Counts(doc);
  (void)ddb::PartsOf(doc, "out");
  (void)ddb::TypeOf(doc);
  (void)ddb::MemberTaskId(doc);
  return 0;
}
