// The parsers of the credentials chain's untrusted input: the shared files' INI format
// (adapters/aws/ini_parse.h) with the profile lookup over it (profile_credentials.h), and the
// instance role's answers from the metadata service (imds_parse.h). Every input is given to
// each as a file or an answer body. What each accepts reads back the same when written out
// again; refusals name a line or a field and never quote a secret.
#include <nlohmann/json.hpp>

#include "adapters/aws/imds_parse.h"
#include "adapters/aws/ini_parse.h"
#include "adapters/aws/profile_credentials.h"
#include "common/time_format.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

void CheckCredentials(const AwsCredentials& c) {
  FUZZ_CHECK(CheckCredentialValue("id", c.access_key_id).ok());
  FUZZ_CHECK(CheckCredentialValue("secret", c.secret_access_key).ok());
  FUZZ_CHECK(c.session_token.empty() || CheckCredentialValue("token", c.session_token).ok());
}

// A secret no input holds (Ini() skips those that do): put in place of every secret value,
// no message may show it.
constexpr std::string_view kMarker = "Zq9MarkedSecretq9Z";

void Profiles(const IniSections& sections) {
  IniSections marked = sections;
  for (auto& [name, keys] : marked) {
    for (auto& [key, value] : keys) {
      if ((key == "aws_secret_access_key" || key == "aws_session_token") && !value.empty()) {
        value = kMarker;
      }
    }
  }
  std::vector<std::string> profiles = {"default"};
  if (!sections.empty()) profiles.push_back(sections.begin()->first);
  const SharedFile absent{"/g", std::nullopt};
  const IniSections* const both[] = {&sections, &marked};
  for (const IniSections* s : both) {
    const SharedFile file{"/f", *s};
    for (const std::string& profile : profiles) {
      for (const auto& [credentials, config] :
           {std::pair{&file, &absent}, std::pair{&absent, &file}, std::pair{&file, &file}}) {
        const Result<SourceFinding> f = ProfileCredentials(*credentials, *config, profile, true);
        if (!f.ok()) {
          FUZZ_CHECK(f.status().code() == StatusCode::kInvalidArgument ||
                     f.status().code() == StatusCode::kNotFound ||
                     f.status().code() == StatusCode::kFailedPrecondition);
          FUZZ_CHECK_MSG(f.status().message().find(kMarker) == std::string::npos,
                         f.status().message());
        } else if (f->credentials) {
          CheckCredentials(*f->credentials);
          FUZZ_CHECK(!f->credentials->expires_unix_millis);
        }
      }
    }
  }
}

void Ini(std::string_view text) {
  const Result<IniSections> s = ParseIni(text);
  if (!s.ok()) {
    FUZZ_CHECK(s.status().code() == StatusCode::kInvalidArgument);
    const std::string& m = s.status().message();
    // "line N: " and one of a few fixed problems: nothing of the line itself.
    FUZZ_CHECK_MSG(m.rfind("line ", 0) == 0 && m.size() <= 70, m);
    return;
  }
  FUZZ_CHECK(text.size() <= kMaxIniBytes);
  for (const auto& [name, keys] : *s) {
    FUZZ_CHECK(!name.empty() && name.find(']') == std::string::npos);
    FUZZ_CHECK(name.find('\n') == std::string::npos);
    for (const auto& [key, value] : keys) {
      FUZZ_CHECK(!key.empty() && key.find('=') == std::string::npos);
      FUZZ_CHECK(std::none_of(key.begin(), key.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
      FUZZ_CHECK(value.find('\0') == std::string::npos);
    }
  }
  // Written out and read again: the same sections.
  const std::string again = FormatIni(*s);
  const Result<IniSections> back = ParseIni(again);
  FUZZ_CHECK_MSG(back.ok(), back.status().message());
  FUZZ_CHECK_MSG(*back == *s, again.substr(0, 300));
  if (text.find(kMarker) == std::string_view::npos) Profiles(*s);
}

void RoleCredentials(std::string_view body) {
  const Result<AwsCredentials> c = ParseRoleCredentials(body);
  if (!c.ok()) {
    FUZZ_CHECK(c.status().code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK_MSG(c.status().message().size() <= 200, c.status().message());
  }
  // The same answer with the marker for its secret and token: no message shows it.
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && body.find(kMarker) == std::string_view::npos) {
    for (const char* field : {"SecretAccessKey", "Token"}) {
      if (j.contains(field) && j[field].is_string()) j[field] = kMarker;
    }
    const Result<AwsCredentials> marked = ParseRoleCredentials(j.dump());
    FUZZ_CHECK(marked.ok() || marked.status().message().find(kMarker) == std::string::npos);
  }
  if (!c.ok()) return;
  CheckCredentials(*c);
  FUZZ_CHECK(c->expires_unix_millis.has_value());
  // Written back as EC2 writes it, it reads back equal.
  const nlohmann::json back = {{"Code", "Success"},
                               {"AccessKeyId", c->access_key_id},
                               {"SecretAccessKey", c->secret_access_key},
                               {"Token", c->session_token},
                               {"Expiration", FormatUtcTimestamp(*c->expires_unix_millis, true)}};
  const Result<AwsCredentials> again = ParseRoleCredentials(back.dump());
  FUZZ_CHECK_MSG(again.ok(), again.status().message());
  FUZZ_CHECK(*again == *c);
}

void RoleName(std::string_view body) {
  const Result<std::string> role = ParseRoleName(body);
  if (!role.ok()) {
    FUZZ_CHECK(role.status().code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK(role.status().message().size() <= 200);
    FUZZ_CHECK(!fuzz::HasControlByte(role.status().message()));
    return;
  }
  // It goes into the next request's path as is: nothing that could leave the folder.
  FUZZ_CHECK(!role->empty() && role->size() <= kMaxRoleName);
  FUZZ_CHECK(role->find_first_of("/?#% \\") == std::string::npos);
  FUZZ_CHECK(*role != "." && *role != "..");
  FUZZ_CHECK(body.starts_with(*role));
  FUZZ_CHECK(ParseRoleName(*role).value() == *role);
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size > kMaxIniBytes + 16) return -1;
  const std::string_view text = fuzz::AsText(data, size);
  Ini(text);
  RoleCredentials(text);
  RoleName(text);
  return 0;
}
