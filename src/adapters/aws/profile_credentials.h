// The second source of the chain: a profile of AWS's shared files, the credentials file
// (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials; sections "[NAME]") and the config
// file (AWS_CONFIG_FILE, default ~/.aws/config; sections "[profile NAME]", and "[default]").
// The profile is the one named in spotbatch's config ([aws] profile), else AWS_PROFILE, else
// "default". Its keys: aws_access_key_id, aws_secret_access_key, aws_session_token. The
// credentials file wins over the config file for the same profile (as the AWS CLI: the first
// file whose profile holds an access key id gives all three keys).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "adapters/aws/credentials_source.h"
#include "adapters/aws/ini_parse.h"

namespace spotbatch {

// One shared file: where it is, and its sections (nullopt when it does not exist).
struct SharedFile {
  std::string path;
  std::optional<IniSections> sections;
};

// The profile's credentials in the two files, a pure function (what Find() does after
// reading them). `named`: the profile was asked for by name (the config or AWS_PROFILE), so
// its absence is an error, not a reason to try the next source. On success the credentials,
// or why none: neither file has the profile (unnamed), or it holds no aws_access_key_id.
// Failures name the file and the profile, never a value:
// - kNotFound: a named profile is in neither file.
// - kInvalidArgument: the profile has an access key id without a secret or the reverse, or a
//   value CheckCredentialValue refuses.
// - kFailedPrecondition: the profile has no keys but gets them another way this build does
//   not support (role_arn, credential_process, sso_session, sso_start_url,
//   web_identity_token_file): the chain must not fall through to other credentials.
Result<SourceFinding> ProfileCredentials(const SharedFile& credentials, const SharedFile& config,
                                         const std::string& profile, bool named);

// Reads and parses a shared file: nullopt sections when it does not exist. kInvalidArgument
// "PATH: line N: ..." when it does not parse or is over kMaxIniBytes; kFailedPrecondition when
// it exists but cannot be read.
Result<SharedFile> ReadSharedFile(const std::string& path);

struct ProfileSourceOptions {
  EnvLookup env;         // AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_PROFILE
  std::string home_dir;  // for ~/.aws/... and a leading "~/" in the variables; may be empty
  std::string profile;   // named in spotbatch's config; empty: AWS_PROFILE, else "default"
};

// The source. Find(): reads both files (anew on each call) and calls ProfileCredentials;
// fails as it and ReadSharedFile do. A file that cannot be located (no variable, no home
// directory) is one that does not exist.
std::unique_ptr<CredentialsSource> NewProfileSource(ProfileSourceOptions options);

}  // namespace spotbatch
