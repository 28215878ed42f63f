// The AWS CLI as an independent client of the emulator: what the tests create, upload and read
// back with it is checked by a second implementation of the same APIs.
#pragma once

#include <cstdio>
#include <string>
#include <utility>

namespace spotbatch::testing {

// Runs `aws --endpoint-url ENDPOINT --output json ARGS` as `key`/`secret` in us-east-1, with no
// configuration files read; its stdout (and stderr), and whether it exited 0.
inline std::pair<std::string, bool> Aws(const std::string& endpoint, const std::string& args,
                                        const std::string& key = "testing",
                                        const std::string& secret = "testing") {
  const std::string command = "AWS_ACCESS_KEY_ID='" + key + "' AWS_SECRET_ACCESS_KEY='" + secret +
                              "' AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null "
                              "AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true "
                              "aws --endpoint-url " +
                              endpoint + " --output json " + args + " 2>&1";
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return {"popen failed", false};
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  return {out, ::pclose(p) == 0};
}

}  // namespace spotbatch::testing
