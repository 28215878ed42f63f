#include "adapters/aws/imds_parse.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/control_bytes.h"
#include "common/time_format.h"

namespace spotbatch {
namespace {

std::string_view TrimEnd(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Quote(std::string_view body, size_t n) { return std::string(body.substr(0, n)); }

// At most `n` bytes of `s`, control bytes made '?', for a message about a malformed name.
std::string QuotePrintable(std::string_view s, size_t n) {
  std::string out(s.substr(0, n));
  std::replace_if(out.begin(), out.end(), IsControlByte, '?');
  return out;
}

bool IsRoleNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("+=,.@_-").find(c) != std::string_view::npos;
}

}  // namespace

Result<SpotInterruption> ParseInstanceAction(std::string_view body) {
  if (body.size() > kMaxImdsBody) return InvalidArgument("instance-action is over 64 KiB");
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("action") || !j["action"].is_string() || !j.contains("time") ||
      !j["time"].is_string()) {
    return InvalidArgument("instance-action is not {\"action\": ..., \"time\": ...}: " +
                           Quote(body, 200));
  }
  SpotInterruption out;
  const std::string& action = j["action"].get_ref<const std::string&>();
  if (action == "terminate") {
    out.action = SpotAction::kTerminate;
  } else if (action == "stop") {
    out.action = SpotAction::kStop;
  } else if (action == "hibernate") {
    out.action = SpotAction::kHibernate;
  } else {
    return InvalidArgument("instance-action has unknown action \"" + action.substr(0, 40) + "\"");
  }
  const auto time = ParseUtcTimestamp(j["time"].get_ref<const std::string&>());
  if (!time) return InvalidArgument("instance-action has a malformed time: " + Quote(body, 200));
  out.time_unix_millis = *time;
  return out;
}

Result<int64_t> ParseTerminationTime(std::string_view body) {
  const auto time = ParseUtcTimestamp(TrimEnd(body));
  if (!time) return InvalidArgument("termination-time is malformed: " + Quote(body, 100));
  return *time;
}

Result<int64_t> ParseRebalanceRecommendation(std::string_view body) {
  if (body.size() > kMaxImdsBody) return InvalidArgument("rebalance recommendation is over 64 KiB");
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::optional<int64_t> at;
  if (j.is_object() && j.contains("noticeTime") && j["noticeTime"].is_string()) {
    at = ParseUtcTimestamp(j["noticeTime"].get_ref<const std::string&>());
  }
  if (!at) {
    return InvalidArgument("rebalance recommendation is not {\"noticeTime\": ...}: " +
                           Quote(body, 200));
  }
  return *at;
}

Result<std::string> ParseLifecycleState(std::string_view body) {
  const std::string_view state = TrimEnd(body);
  if (state.size() > kMaxLifecycleState) {
    return InvalidArgument("target-lifecycle-state is too long");
  }
  if (HasControlByte(state)) {
    return InvalidArgument("target-lifecycle-state contains a control character");
  }
  return std::string(state);
}

Result<std::string> ParseIdentityValue(std::string_view what, std::string_view body) {
  const std::string_view value = TrimEnd(body);
  bool ok = !value.empty() && value.size() <= 64;
  for (char c : value) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-');
  }
  if (!ok) {
    return InvalidArgument("instance metadata's " + std::string(what) + " is not a name: \"" +
                           Quotable(value, 64) + "\"");
  }
  return std::string(value);
}

Result<std::string> ParseImdsToken(std::string_view body) {
  const std::string_view token = TrimEnd(body);
  if (token.empty() || token.size() > kMaxImdsToken ||
      token.find_first_of(" \t") != std::string_view::npos || HasControlByte(token)) {
    return InvalidArgument("instance metadata returned a malformed token");
  }
  return std::string(token);
}

Result<std::string> ParseRoleName(std::string_view body) {
  const std::string_view name = TrimEnd(body.substr(0, body.find('\n')));
  // "." and ".." are IAM characters too, but would move the next request's path.
  if (name.empty() || name.size() > kMaxRoleName || name == "." || name == ".." ||
      !std::all_of(name.begin(), name.end(), IsRoleNameChar)) {
    return InvalidArgument("iam/security-credentials/ names no valid role: \"" +
                           QuotePrintable(name, 100) + "\"");
  }
  return std::string(name);
}

Result<AwsCredentials> ParseRoleCredentials(std::string_view body) {
  constexpr std::string_view kWhat = "instance role credentials";
  if (body.size() > kMaxImdsBody) return InvalidArgument(std::string(kWhat) + " are over 64 KiB");
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument(std::string(kWhat) + " are not a JSON object");
  auto field = [&](const char* name) -> Result<std::string> {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string()) {
      return InvalidArgument(std::string(kWhat) + " have no string " + name);
    }
    return it->get<std::string>();
  };
  SB_ASSIGN_OR_RETURN(const std::string code, field("Code"));
  if (code != "Success") {
    return InvalidArgument(std::string(kWhat) + " have Code \"" + QuotePrintable(code, 64) +
                           "\", not Success");
  }
  AwsCredentials out;
  SB_ASSIGN_OR_RETURN(out.access_key_id, field("AccessKeyId"));
  SB_ASSIGN_OR_RETURN(out.secret_access_key, field("SecretAccessKey"));
  SB_ASSIGN_OR_RETURN(out.session_token, field("Token"));
  SB_RETURN_IF_ERROR(CheckCredentialValue("AccessKeyId", out.access_key_id));
  SB_RETURN_IF_ERROR(CheckCredentialValue("SecretAccessKey", out.secret_access_key));
  SB_RETURN_IF_ERROR(CheckCredentialValue("Token", out.session_token));
  SB_ASSIGN_OR_RETURN(const std::string expiration, field("Expiration"));
  out.expires_unix_millis = ParseUtcTimestamp(expiration);
  if (!out.expires_unix_millis) {
    return InvalidArgument(std::string(kWhat) + " have a malformed Expiration");
  }
  return out;
}

}  // namespace spotbatch
