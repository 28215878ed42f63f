// The parsers of the instance metadata service's answers (adapters/aws/imds_parse.h) and the
// UTC timestamps in them (common/time_format.h). Every input is given to each parser as an
// answer body. What each accepts is what its header promises, and reads back the same when
// written the way EC2 writes it; refusals quote the body only in part.
#include <nlohmann/json.hpp>

#include "adapters/aws/imds_parse.h"
#include "common/time_format.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

void CheckRefusal(const Status& s) {
  FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument);
  FUZZ_CHECK_MSG(s.message().size() <= 300, s.message().substr(0, 300));
}

// A timestamp read from a body is one the formatter writes back and the parser reads again.
void CheckTime(int64_t t) {
  const std::string with_millis = FormatUtcTimestamp(t, /*millis=*/true);
  FUZZ_CHECK_MSG(ParseUtcTimestamp(with_millis) == t, with_millis);
  const std::string whole = FormatUtcTimestamp(t);
  FUZZ_CHECK_MSG(ParseUtcTimestamp(whole) == t - ((t % 1000) + 1000) % 1000, whole);
}

void Timestamp(std::string_view text) {
  const std::optional<int64_t> t = ParseUtcTimestamp(text);
  if (!t) return;
  CheckTime(*t);
  // Years 0000-9999 only: the value is bounded.
  FUZZ_CHECK(*t >= -62'167'219'200'000 && *t < 253'402'300'800'000);
  // A plain "YYYY-MM-DDTHH:MM:SSZ" (not a leap second) is written back as it was.
  if (text.size() == 20 && text.substr(17, 2) != "60") {
    FUZZ_CHECK_MSG(FormatUtcTimestamp(*t) == text, FormatUtcTimestamp(*t));
  }
}

void InstanceAction(std::string_view body) {
  const Result<SpotInterruption> a = ParseInstanceAction(body);
  if (!a.ok()) return CheckRefusal(a.status());
  CheckTime(a->time_unix_millis);
  const nlohmann::json back = {{"action", SpotActionName(a->action)},
                               {"time", FormatUtcTimestamp(a->time_unix_millis, true)}};
  const Result<SpotInterruption> again = ParseInstanceAction(back.dump());
  FUZZ_CHECK_MSG(again.ok(), again.status().message());
  FUZZ_CHECK(*again == *a);
}

void TerminationTime(std::string_view body) {
  const Result<int64_t> t = ParseTerminationTime(body);
  if (!t.ok()) return CheckRefusal(t.status());
  CheckTime(*t);
  FUZZ_CHECK(ParseTerminationTime(FormatUtcTimestamp(*t, true) + "\n").value() == *t);
}

void Rebalance(std::string_view body) {
  const Result<int64_t> t = ParseRebalanceRecommendation(body);
  if (!t.ok()) return CheckRefusal(t.status());
  CheckTime(*t);
  const nlohmann::json back = {{"noticeTime", FormatUtcTimestamp(*t, true)}};
  FUZZ_CHECK(ParseRebalanceRecommendation(back.dump()).value() == *t);
}

void Lifecycle(std::string_view body) {
  const Result<std::string> state = ParseLifecycleState(body);
  if (!state.ok()) return CheckRefusal(state.status());
  FUZZ_CHECK(state->size() <= kMaxLifecycleState);
  FUZZ_CHECK(!fuzz::HasControlByte(*state));
  FUZZ_CHECK(state->empty() || state->back() != ' ');
  FUZZ_CHECK(body.starts_with(*state));
  FUZZ_CHECK(ParseLifecycleState(*state).value() == *state);  // already clean
}

void Identity(std::string_view body) {
  const Result<std::string> value = ParseIdentityValue("instance-id", body);
  if (!value.ok()) return CheckRefusal(value.status());
  FUZZ_CHECK(!value->empty() && value->size() <= 64);
  for (char c : *value) {
    FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-');
  }
  FUZZ_CHECK(body.starts_with(*value));
  FUZZ_CHECK(ParseIdentityValue("instance-id", *value).value() == *value);
}

void Token(std::string_view body) {
  const Result<std::string> token = ParseImdsToken(body);
  if (!token.ok()) return CheckRefusal(token.status());
  // It goes back in a header: nothing that could end or split the header line.
  FUZZ_CHECK(!token->empty() && token->size() <= kMaxImdsToken);
  FUZZ_CHECK(!fuzz::HasControlByte(*token));
  FUZZ_CHECK(token->find(' ') == std::string::npos);
  FUZZ_CHECK(body.starts_with(*token));
  FUZZ_CHECK(ParseImdsToken(*token).value() == *token);
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size > kMaxImdsBody + 16) return -1;
  const std::string_view body = fuzz::AsText(data, size);
  Timestamp(body);
  InstanceAction(body);
  TerminationTime(body);
  Rebalance(body);
  Lifecycle(body);
  Identity(body);
  Token(body);
  return 0;
}
