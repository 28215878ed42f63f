#include "adapters/aws/profile_credentials.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace spotbatch {
namespace {

constexpr const char* kKeyId = "aws_access_key_id";
constexpr const char* kSecret = "aws_secret_access_key";
constexpr const char* kToken = "aws_session_token";
// Ways of getting credentials a profile may use instead of keys, none built here.
constexpr const char* kUnsupported[] = {"role_arn", "credential_process", "sso_session",
                                        "sso_start_url", "web_identity_token_file"};

using Keys = std::map<std::string, std::string>;

// The profile's keys in the config file: "[profile NAME]" (any blanks after "profile"), and
// for "default" also "[default]", which "[profile default]" overrides key by key.
std::optional<Keys> ConfigProfile(const IniSections& sections, const std::string& profile) {
  std::optional<Keys> out;
  if (profile == "default") {
    if (auto it = sections.find("default"); it != sections.end()) out = it->second;
  }
  for (const auto& [name, keys] : sections) {
    if (name.rfind("profile", 0) != 0 || name.size() <= 7 || (name[7] != ' ' && name[7] != '\t'))
      continue;
    const size_t start = name.find_first_not_of(" \t", 7);
    if (start == std::string::npos || name.compare(start, std::string::npos, profile) != 0) {
      continue;
    }
    if (!out) out.emplace();
    for (const auto& [k, v] : keys) (*out)[k] = v;
  }
  return out;
}

std::string Where(const SharedFile& file, const std::string& profile) {
  return file.path + ", profile \"" + profile + "\"";
}

// The credentials of one file's profile; nullopt when it holds no access key id.
Result<std::optional<AwsCredentials>> FromKeys(const Keys& keys, const SharedFile& file,
                                               const std::string& profile) {
  const auto get = [&](const char* key) {
    const auto it = keys.find(key);
    return it == keys.end() ? std::string() : it->second;
  };
  AwsCredentials c{get(kKeyId), get(kSecret), get(kToken), std::nullopt};
  if (c.access_key_id.empty() && c.secret_access_key.empty()) {
    return std::optional<AwsCredentials>();
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    const char* missing = c.access_key_id.empty() ? kKeyId : kSecret;
    return InvalidArgument(Where(file, profile) + ": " + missing + " is missing, but " +
                           (c.access_key_id.empty() ? kSecret : kKeyId) + " is set");
  }
  for (const char* key : {kKeyId, kSecret, kToken}) {
    const std::string value = get(key);
    if (value.empty()) continue;  // only the session token may be
    const Status s = CheckCredentialValue(key, value);
    if (!s.ok()) return InvalidArgument(Where(file, profile) + ": " + s.message());
  }
  return std::optional<AwsCredentials>(std::move(c));
}

}  // namespace

Result<SourceFinding> ProfileCredentials(const SharedFile& credentials, const SharedFile& config,
                                         const std::string& profile, bool named) {
  std::optional<Keys> in_credentials;
  if (credentials.sections) {
    if (auto it = credentials.sections->find(profile); it != credentials.sections->end()) {
      in_credentials = it->second;
    }
  }
  const std::optional<Keys> in_config =
      config.sections ? ConfigProfile(*config.sections, profile) : std::nullopt;
  if (!in_credentials && !in_config) {
    const std::string why = "profile \"" + profile + "\" is in neither " + credentials.path +
                            (credentials.sections ? "" : " (absent)") + " nor " + config.path +
                            (config.sections ? "" : " (absent)");
    if (named) return NotFound(why);
    return SourceFinding{std::nullopt, why};
  }
  // The credentials file first: where its profile has keys, the config file's are not read.
  const std::pair<const std::optional<Keys>*, const SharedFile*> files[] = {
      {&in_credentials, &credentials}, {&in_config, &config}};
  for (const auto& [keys, file] : files) {
    if (!*keys) continue;
    SB_ASSIGN_OR_RETURN(std::optional<AwsCredentials> found, FromKeys(**keys, *file, profile));
    if (found) return SourceFinding{std::move(found), ""};
  }
  for (const auto& [keys, file] : files) {
    if (!*keys) continue;
    for (const char* way : kUnsupported) {
      if ((*keys)->count(way)) {
        return FailedPrecondition(Where(*file, profile) + " gets its credentials through " + way +
                                  ", which this build does not support (only keys)");
      }
    }
  }
  return SourceFinding{std::nullopt, "profile \"" + profile + "\" has no " + kKeyId + " in " +
                                         credentials.path + " or " + config.path};
}

Result<SharedFile> ReadSharedFile(const std::string& path) {
  SharedFile out{path, std::nullopt};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return out;
    return FailedPrecondition("cannot read " + path + ": " + std::strerror(errno));
  }
  // One byte more than the parser takes, so that a file over the bound is seen to be.
  std::string text(kMaxIniBytes + 1, '\0');
  const size_t n = std::fread(text.data(), 1, text.size(), f);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return FailedPrecondition("cannot read " + path);
  text.resize(n);
  Result<IniSections> sections = ParseIni(text);
  if (!sections.ok()) return InvalidArgument(path + ": " + sections.status().message());
  out.sections = std::move(*sections);
  return out;
}

namespace {

class ProfileSource final : public CredentialsSource {
 public:
  explicit ProfileSource(ProfileSourceOptions options) : options_(std::move(options)) {}

  std::string name() const override { return "shared files (profile \"" + Profile() + "\")"; }

  Result<SourceFinding> Find() override {
    SB_ASSIGN_OR_RETURN(const SharedFile credentials,
                        Read("AWS_SHARED_CREDENTIALS_FILE", "/.aws/credentials"));
    SB_ASSIGN_OR_RETURN(const SharedFile config, Read("AWS_CONFIG_FILE", "/.aws/config"));
    return ProfileCredentials(credentials, config, Profile(), Named());
  }

 private:
  std::string Env(const char* name) const { return options_.env(name).value_or(""); }
  bool Named() const { return !options_.profile.empty() || !Env("AWS_PROFILE").empty(); }
  std::string Profile() const {
    if (!options_.profile.empty()) return options_.profile;
    const std::string from_env = Env("AWS_PROFILE");
    return from_env.empty() ? "default" : from_env;
  }

  // The file the variable names (a leading "~/" is the home directory), else the default
  // under the home directory; one that cannot be located reads as absent.
  Result<SharedFile> Read(const char* variable, const char* default_suffix) const {
    std::string path = Env(variable);
    const std::string& home = options_.home_dir;
    if (path.rfind("~/", 0) == 0) path = home.empty() ? "" : home + path.substr(1);
    if (path.empty() && Env(variable).empty() && !home.empty()) path = home + default_suffix;
    if (path.empty()) return SharedFile{std::string(variable) + " (no home directory)", {}};
    return ReadSharedFile(path);
  }

  ProfileSourceOptions options_;
};

}  // namespace

std::unique_ptr<CredentialsSource> NewProfileSource(ProfileSourceOptions options) {
  return std::make_unique<ProfileSource>(std::move(options));
}

}  // namespace spotbatch
