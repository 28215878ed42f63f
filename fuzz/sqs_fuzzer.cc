// The SQS task queue's parsers of untrusted input (adapters/aws/sqs_codec.h): receipts, which
// come back from callers; a ReceiveMessage message, its RedrivePolicy and a message body,
// which come from SQS. The input is tried as each. What they accept is what the header
// promises: a decoded receipt is one EncodeSqsReceipt writes back byte for byte; a parsed
// message's fields are within their bounds; a RedrivePolicy names a valid queue with a count
// in 1..1000; a body passes exactly when it is UTF-8 of SQS's characters, and then
// nlohmann::json can write it (what the adapter's SendMessage does).
#include <nlohmann/json.hpp>

#include "adapters/aws/sqs_codec.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

bool Printable(const std::string& s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return false;
  }
  return true;
}

void Receipt(std::string_view input) {
  auto r = DecodeSqsReceipt(input);
  if (!r.ok()) {
    FUZZ_CHECK(r.status().code() == StatusCode::kFailedPrecondition);
    FUZZ_CHECK_MSG(r.status().message().size() <= 160, r.status().message());
    FUZZ_CHECK(!HasControlByte(r.status().message()));
    return;
  }
  FUZZ_CHECK(input.size() <= kSqsMaxReceiptBytes);
  FUZZ_CHECK(!r->queue.empty() && r->queue.size() <= kSqsMaxQueueNameBytes);
  FUZZ_CHECK(r->level >= 0 && r->level < kSqsMaxPipelineLevels * kSqsSizeBands);
  FUZZ_CHECK(r->deadline_unix_millis >= 0);
  FUZZ_CHECK(!r->handle.empty() && r->handle.size() <= kSqsMaxReceiptHandleBytes);
  FUZZ_CHECK(Printable(r->handle));
  FUZZ_CHECK_MSG(EncodeSqsReceipt(*r) == input, std::string(input.substr(0, 200)));
}

void Message(std::string_view input) {
  const nlohmann::json doc = nlohmann::json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return;
  for (const nlohmann::json* m :
       {&doc, doc.is_object() && doc.contains("Messages") && doc["Messages"].is_array() &&
                      !doc["Messages"].empty()
                  ? &doc["Messages"][0]
                  : &doc}) {
    auto parsed = ParseSqsMessage(*m, 4096);
    if (!parsed.ok()) {
      FUZZ_CHECK(parsed.status().code() == StatusCode::kInternal);
      FUZZ_CHECK(parsed.status().message().size() <= 300);
      continue;
    }
    FUZZ_CHECK(!parsed->message_id.empty() && parsed->message_id.size() <= 128);
    FUZZ_CHECK(Printable(parsed->receipt_handle));
    FUZZ_CHECK(parsed->receipt_handle.size() <= kSqsMaxReceiptHandleBytes);
    FUZZ_CHECK(parsed->body.size() <= 4096);
    FUZZ_CHECK(parsed->approximate_receive_count >= 1);
    if (parsed->earlier_receives) FUZZ_CHECK(*parsed->earlier_receives >= 0);
    if (parsed->first_sent_unix_millis) FUZZ_CHECK(*parsed->first_sent_unix_millis >= 0);
    if (parsed->not_before_unix_millis) FUZZ_CHECK(*parsed->not_before_unix_millis >= 0);
    if (parsed->level) {
      FUZZ_CHECK(*parsed->level >= 0 && *parsed->level < kSqsMaxPipelineLevels * kSqsSizeBands);
    }
    if (parsed->first_id) FUZZ_CHECK(Printable(*parsed->first_id));
    // The adapter receives a body with a handle built into a receipt: it must decode.
    SqsReceipt r{
        .queue = "q", .level = 0, .deadline_unix_millis = 1, .handle = parsed->receipt_handle};
    FUZZ_CHECK(DecodeSqsReceipt(EncodeSqsReceipt(r)).ok());
  }
}

void Policy(std::string_view input) {
  auto p = ParseSqsRedrivePolicy(input);
  if (!p) return;
  FUZZ_CHECK(p->max_receive_count >= 1 && p->max_receive_count <= 1000);
  const std::string& q = p->dead_letter_queue;
  FUZZ_CHECK(!q.empty() && q.size() <= kSqsMaxQueueNameBytes);
  for (char c : q) {
    FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-');
  }
}

void Body(std::string_view input) {
  const Status s = ValidateSqsBody(input, 1 << 20);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK(s.message().size() <= 200);
    return;
  }
  // Valid UTF-8: nlohmann::json writes it without throwing (strict handler), and reads it back.
  nlohmann::json j = std::string(input);
  const std::string dumped = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  FUZZ_CHECK(nlohmann::json::parse(dumped).get<std::string>() == input);
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  spotbatch::Receipt(input);
  spotbatch::Message(input);
  spotbatch::Policy(input);
  spotbatch::Body(input);
  return 0;
}
