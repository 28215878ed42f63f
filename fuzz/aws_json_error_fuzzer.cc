// The error reader of AWS's JSON-protocol services (adapters/aws/aws_json_error.h): every
// input is a response body (with the first line as the x-amzn-query-error header, and the
// first byte choosing the HTTP status). Whatever a service or a man in the middle sends, what
// is read is bounded and printable, and the status it maps to is one the callers handle.
#include <nlohmann/json.hpp>

#include "adapters/aws/aws_json_error.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

constexpr int kStatuses[] = {400, 403, 404, 409, 413, 429, 500, 502, 503, 504, 200, 301};

void Check(const AwsServiceError& e) {
  FUZZ_CHECK_MSG(e.code.size() <= 128, e.code.substr(0, 200));
  FUZZ_CHECK_MSG(e.message.size() <= 300, e.message.substr(0, 400));
  FUZZ_CHECK(!HasControlByte(e.code) && !HasControlByte(e.message));
  const StatusCode code = StatusCodeOfAwsError(e);
  FUZZ_CHECK(code != StatusCode::kOk || (e.http_status >= 200 && e.http_status < 300));
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size == 0) return 0;
  const int status = kStatuses[data[0] % std::size(kStatuses)];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t newline = rest.find('\n');
  const std::string_view header = newline == std::string_view::npos ? "" : rest.substr(0, newline);
  const std::string_view body = newline == std::string_view::npos ? rest : rest.substr(newline + 1);
  const AwsServiceError e = ParseAwsJsonError(status, header, body);
  Check(e);
  // A body written from what was read reads back the same.
  if (header.empty() && !e.code.empty() && e.code.find_first_of("#:") == std::string::npos) {
    const nlohmann::json again = {{"__type", "com.amazonaws.x#" + e.code}, {"message", e.message}};
    const AwsServiceError round = ParseAwsJsonError(status, "", again.dump(-1, ' ', false,
        nlohmann::json::error_handler_t::replace));
    FUZZ_CHECK_MSG(round.code == e.code, round.code + " != " + e.code);
  }
  return 0;
}
