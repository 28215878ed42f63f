#include "adapters/aws/sqs_codec.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "common/control_bytes.h"

namespace spotbatch {
namespace {

constexpr int kRanks = 257;  // task_order.h's kSizeRanks

bool IsNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// A decimal without sign or leading zeros (but "0") in [min, max].
std::optional<int64_t> ParseDecimal(std::string_view s, int64_t min, int64_t max) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) return std::nullopt;
  return v;
}

// A String attribute's value or an SQS attribute that should be a decimal (SQS writes its
// own as strings: "ApproximateReceiveCount": "2"); leading '-' allowed.
std::optional<int64_t> ParseSigned(std::string_view s, int64_t min, int64_t max) {
  if (!s.empty() && s[0] == '-') {
    auto v = ParseDecimal(s.substr(1), 0, -min);
    if (!v) return std::nullopt;
    return -*v;
  }
  return ParseDecimal(s, min < 0 ? 0 : min, max);
}

bool IsPrintable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F;
  });
}

std::string Quote(std::string_view s, size_t limit) {
  std::string out;
  for (char c : s.substr(0, limit)) out += IsControlByte(c) || (c & 0x80) ? '?' : c;
  if (s.size() > limit) out += "...";
  return out;
}

int Band(int rank) {
  if (rank < 41) return 0;
  if (rank < 81) return 1;
  if (rank < 121) return 2;
  return 3;
}

const nlohmann::json* Member(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const std::string* StringMember(const nlohmann::json& object, const char* key) {
  const nlohmann::json* v = Member(object, key);
  return v != nullptr && v->is_string() ? &v->get_ref<const std::string&>() : nullptr;
}

// The StringValue of message attribute `name`, when it is one.
const std::string* StringAttribute(const nlohmann::json& attributes, const char* name) {
  const nlohmann::json* a = Member(attributes, name);
  if (a == nullptr) return nullptr;
  const std::string* type = StringMember(*a, "DataType");
  if (type == nullptr || (*type != "String" && *type != "Number")) return nullptr;
  return StringMember(*a, "StringValue");
}

}  // namespace

int SqsPriorityLevel(int priority, int pipeline_levels) {
  pipeline_levels = std::clamp(pipeline_levels, 1, kSqsMaxPipelineLevels);
  // Floor division and modulo: a negative priority's rank is still 0..256.
  int64_t pipeline = priority / kRanks;
  int64_t rank = priority % kRanks;
  if (rank < 0) {
    rank += kRanks;
    pipeline -= 1;
  }
  // Outside the exact range the size band no longer counts, so that the order stays monotone.
  if (pipeline < 0) return 0;
  if (pipeline >= pipeline_levels) return pipeline_levels * kSqsSizeBands - 1;
  return static_cast<int>(pipeline) * kSqsSizeBands + Band(static_cast<int>(rank));
}

std::string SqsLevelQueueName(std::string_view sqs_base, int level) {
  std::string name(sqs_base);
  if (level > 0) name += "-p" + std::to_string(level);
  return name;
}

std::optional<int> SqsLevelOfQueueName(std::string_view sqs_base, std::string_view sqs_name,
                                       int max_levels) {
  if (sqs_name.substr(0, sqs_base.size()) != sqs_base) return std::nullopt;
  std::string_view rest = sqs_name.substr(sqs_base.size());
  if (rest.empty()) return 0;
  if (rest.substr(0, 2) != "-p") return std::nullopt;
  auto level = ParseDecimal(rest.substr(2), 1, max_levels - 1);
  if (!level) return std::nullopt;
  return static_cast<int>(*level);
}

Status ValidateSqsQueueName(std::string_view prefix, std::string_view queue, int max_levels) {
  if (queue.empty()) return InvalidArgument("queue name is empty");
  std::string longest =
      std::string(prefix) + std::string(queue) + "-p" + std::to_string(std::max(1, max_levels - 1));
  if (longest.size() < prefix.size() + queue.size() + std::strlen(kSqsLaterSuffix)) {
    longest = std::string(prefix) + std::string(queue) + kSqsLaterSuffix;
  }
  if (longest.size() > kSqsMaxQueueNameBytes) {
    return InvalidArgument("queue name " + Quote(queue, 80) + " is too long for SQS: " +
                           std::to_string(longest.size()) + " bytes as \"" + Quote(longest, 90) +
                           "\" (the prefix and the priority suffix included), at most 80");
  }
  for (char c : longest) {
    if (!IsNameByte(c)) {
      return InvalidArgument("queue name " + Quote(std::string(prefix) + std::string(queue), 90) +
                             " has a byte SQS refuses: only A-Z, a-z, 0-9, '_' and '-'");
    }
  }
  if (size_t dash = queue.rfind("-p"); dash != std::string_view::npos && dash + 2 < queue.size() &&
                                       ParseDecimal(queue.substr(dash + 2), 0, INT64_MAX)) {
    return InvalidArgument("queue name " + Quote(queue, 80) +
                           " ends in -p<digits>, which names the SQS queues of priority levels");
  }
  if (queue.size() >= std::strlen(kSqsLaterSuffix) &&
      queue.substr(queue.size() - std::strlen(kSqsLaterSuffix)) == kSqsLaterSuffix) {
    return InvalidArgument("queue name " + Quote(queue, 80) +
                           " ends in -later, which names the SQS queue of long delays");
  }
  return Status::Ok();
}

std::string EncodeSqsReceipt(const SqsReceipt& r) {
  return "sqs1." + r.queue + "." + std::to_string(r.level) + "." +
         std::to_string(r.deadline_unix_millis) + "." + r.handle;
}

Result<SqsReceipt> DecodeSqsReceipt(std::string_view receipt) {
  auto bad = [&](const char* why) {
    return FailedPrecondition("lease lost: receipt \"" + Quote(receipt, 40) +
                              "\" is not a receipt of this queue (" + why + ")");
  };
  if (receipt.size() > kSqsMaxReceiptBytes) return bad("too long");
  if (receipt.substr(0, 5) != "sqs1.") return bad("no sqs1 tag");
  std::string_view rest = receipt.substr(5);
  std::string_view parts[3];
  for (std::string_view& part : parts) {
    const size_t dot = rest.find('.');
    if (dot == std::string_view::npos) return bad("too few fields");
    part = rest.substr(0, dot);
    rest.remove_prefix(dot + 1);
  }
  SqsReceipt r;
  if (parts[0].empty() || parts[0].size() > kSqsMaxQueueNameBytes ||
      !std::all_of(parts[0].begin(), parts[0].end(), IsNameByte)) {
    return bad("bad queue name");
  }
  r.queue = std::string(parts[0]);
  auto level = ParseDecimal(parts[1], 0, kSqsMaxPipelineLevels * kSqsSizeBands - 1);
  if (!level) return bad("bad level");
  r.level = static_cast<int>(*level);
  auto deadline = ParseDecimal(parts[2], 0, INT64_MAX);
  if (!deadline) return bad("bad deadline");
  r.deadline_unix_millis = *deadline;
  if (rest.empty() || rest.size() > kSqsMaxReceiptHandleBytes || !IsPrintable(rest)) {
    return bad("bad receipt handle");
  }
  r.handle = std::string(rest);
  return r;
}

Result<SqsReceived> ParseSqsMessage(const nlohmann::json& message, size_t max_body_bytes) {
  const std::string* id = StringMember(message, "MessageId");
  const std::string* handle = StringMember(message, "ReceiptHandle");
  const std::string* body = StringMember(message, "Body");
  if (id == nullptr || id->empty() || id->size() > 128 || !IsPrintable(*id)) {
    return Internal("ReceiveMessage: a message without a well-formed MessageId");
  }
  if (handle == nullptr || handle->empty() || handle->size() > kSqsMaxReceiptHandleBytes ||
      !IsPrintable(*handle)) {
    return Internal("ReceiveMessage: message " + *id + " has no well-formed ReceiptHandle");
  }
  if (body == nullptr || body->size() > max_body_bytes) {
    return Internal("ReceiveMessage: message " + *id + " has no Body, or one over " +
                    std::to_string(max_body_bytes) + " bytes");
  }
  SqsReceived m;
  m.message_id = *id;
  m.receipt_handle = *handle;
  m.body = *body;
  const nlohmann::json* attributes = Member(message, "Attributes");
  const std::string* count =
      attributes != nullptr ? StringMember(*attributes, "ApproximateReceiveCount") : nullptr;
  auto receives = count != nullptr ? ParseDecimal(*count, 1, 1'000'000'000) : std::nullopt;
  if (!receives) {
    return Internal("ReceiveMessage: message " + *id + " has no ApproximateReceiveCount >= 1");
  }
  m.approximate_receive_count = *receives;
  if (const std::string* sent =
          attributes != nullptr ? StringMember(*attributes, "SentTimestamp") : nullptr) {
    m.sent_timestamp = ParseDecimal(*sent, 0, INT64_MAX).value_or(0);
  }
  const nlohmann::json* user = Member(message, "MessageAttributes");
  if (user == nullptr || !user->is_object()) return m;
  if (const std::string* v = StringAttribute(*user, kSqsAttrId);
      v != nullptr && !v->empty() && v->size() <= 128 && IsPrintable(*v)) {
    m.first_id = *v;
  }
  constexpr int64_t kMaxMillis = int64_t{1} << 50;  // year 37000: keeps sums far from overflow
  if (const std::string* v = StringAttribute(*user, kSqsAttrSent)) {
    m.first_sent_unix_millis = ParseSigned(*v, 0, kMaxMillis);
  }
  if (const std::string* v = StringAttribute(*user, kSqsAttrReceives)) {
    m.earlier_receives = ParseSigned(*v, 0, 1'000'000'000);
  }
  if (const std::string* v = StringAttribute(*user, kSqsAttrNotBefore)) {
    m.not_before_unix_millis = ParseSigned(*v, 0, kMaxMillis);
  }
  if (const std::string* v = StringAttribute(*user, kSqsAttrLevel)) {
    m.level = ParseDecimal(*v, 0, kSqsMaxPipelineLevels * kSqsSizeBands - 1);
  }
  return m;
}

std::optional<SqsRedrivePolicy> ParseSqsRedrivePolicy(std::string_view policy) {
  if (policy.size() > 2048) return std::nullopt;
  const nlohmann::json doc = nlohmann::json::parse(policy, nullptr, /*allow_exceptions=*/false);
  const std::string* arn = StringMember(doc, "deadLetterTargetArn");
  const nlohmann::json* count = Member(doc, "maxReceiveCount");
  if (arn == nullptr || count == nullptr) return std::nullopt;
  SqsRedrivePolicy p;
  p.dead_letter_queue = arn->substr(arn->rfind(':') + 1);  // npos + 1 == 0: the whole string
  if (p.dead_letter_queue.empty() || p.dead_letter_queue.size() > kSqsMaxQueueNameBytes ||
      !std::all_of(p.dead_letter_queue.begin(), p.dead_letter_queue.end(), IsNameByte)) {
    return std::nullopt;
  }
  std::optional<int64_t> n;
  if (count->is_number_integer()) {
    const int64_t v = count->get<int64_t>();
    if (v >= 1 && v <= 1000) n = v;
  } else if (count->is_string()) {
    n = ParseDecimal(count->get_ref<const std::string&>(), 1, 1000);
  }
  if (!n) return std::nullopt;
  p.max_receive_count = static_cast<int>(*n);
  return p;
}

nlohmann::json SqsStringAttribute(std::string_view value) {
  return {{"DataType", "String"}, {"StringValue", std::string(value)}};
}

Status ValidateSqsBody(std::string_view body, size_t max_bytes) {
  if (body.size() > max_bytes) {
    return InvalidArgument("message body of " + std::to_string(body.size()) +
                           " bytes is over SQS's limit for it here, " + std::to_string(max_bytes));
  }
  const auto* p = reinterpret_cast<const unsigned char*>(body.data());
  const size_t n = body.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    uint32_t cp = 0;
    size_t len = 0;
    if (c < 0x80) {
      cp = c, len = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F, len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F, len = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07, len = 4;
    } else {
      return InvalidArgument("message body is not UTF-8 (byte " + std::to_string(i) + ")");
    }
    if (i + len > n) return InvalidArgument("message body ends inside a UTF-8 sequence");
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) {
        return InvalidArgument("message body is not UTF-8 (byte " + std::to_string(i + k) + ")");
      }
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    const bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (cp < kMin[len] || !allowed) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "U+%04X", cp);
      return InvalidArgument(std::string("message body has a character SQS refuses (") + hex +
                             " at byte " + std::to_string(i) + ")");
    }
    i += len;
  }
  return Status::Ok();
}

}  // namespace spotbatch
