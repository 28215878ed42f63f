// A private moto_server (the AWS emulator, from Python; scripts/setup checks it is there) for
// one test process: started on a free loopback port, dead with the test (PDEATHSIG) or when
// the MotoServer is destroyed, as MotoOptions say.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "test_util.h"

namespace spotbatch::testing {

enum class MotoClock { kWall, kWarpable };

struct MotoOptions {
  // moto checks every request's signature and IAM permissions after this many requests
  // (INITIAL_NO_AUTH_ACTION_COUNT); -1 never.
  int no_auth_actions = -1;
  // kWarpable starts moto through tests/aws/moto_timewarp.py, whose SQS clock the test moves
  // forward (POST /spotbatch-test/advance?millis=N; tests/aws/moto_clock.h); the test target
  // must define SPOTBATCH_MOTO_TIMEWARP as that script's path.
  MotoClock clock = MotoClock::kWall;
  // Serve requests one after another (werkzeug without threads). moto's DynamoDB takes no
  // lock, so two concurrent conditional writes or transactions on one item can both pass
  // their condition: tests where several writers race (and every end-to-end run) need this.
  bool one_request_at_a_time = false;
};

class MotoServer {
 public:
  // moto_server, with one fix: moto 5.2.1 checks an S3 request's signature against its query
  // as decoded ("prefix=a/b"), where AWS and every client sign it URI-encoded
  // ("prefix=a%2Fb"), so a listing under a folder always failed with SignatureDoesNotMatch
  // (boto3's too). The query is encoded again, as AWS does, before moto signs it.
  static constexpr char kLauncher[] = R"(
import sys
from urllib.parse import quote, unquote
import moto.iam.access_control as access_control
import moto.server as server

def encoded(text):
    return quote(unquote(text), safe="-_.~")

create = access_control.S3IAMRequest._create_aws_request
def create_with_encoded_query(self):
    path, sep, query = self._path.partition("?")
    if sep:
        pairs = (pair.partition("=") for pair in query.split("&"))
        self._path = path + "?" + "&".join(encoded(k) + "=" + encoded(v) for k, _, v in pairs)
    return create(self)
access_control.S3IAMRequest._create_aws_request = create_with_encoded_query

if "--one-request-at-a-time" in sys.argv:
    run = server.run_simple
    server.run_simple = lambda *a, **k: run(*a, **dict(k, threaded=False))
server.main(["-H", "127.0.0.1", "-p", "0"])
)";

  explicit MotoServer(MotoOptions options = {}) {
    const std::string log = dir_ / "moto.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (options.no_auth_actions >= 0) {
        ::setenv("INITIAL_NO_AUTH_ACTION_COUNT", std::to_string(options.no_auth_actions).c_str(),
                 1);
      }
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, 1);
      ::dup2(out, 2);
      if (options.clock == MotoClock::kWarpable) {
#ifdef SPOTBATCH_MOTO_TIMEWARP
        ::execlp("python3", "python3", SPOTBATCH_MOTO_TIMEWARP, "-H", "127.0.0.1", "-p", "0",
                 options.one_request_at_a_time ? "--one-request-at-a-time" : nullptr, nullptr);
#endif
        ::_exit(126);
      }
      ::execlp("python3", "python3", "-c", kLauncher,
               options.one_request_at_a_time ? "--one-request-at-a-time" : nullptr, nullptr);
      ::_exit(127);
    }
    // It prints "Running on http://127.0.0.1:PORT" once it listens.
    const std::regex running("Running on (http://127\\.0\\.0\\.1:[0-9]+)");
    WaitFor(
        [&] {
          if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {  // it ended: not installed, or broken
            pid_ = -1;
            return true;
          }
          std::smatch m;
          const std::string text = ReadAll(log);
          if (!std::regex_search(text, m, running)) return false;
          endpoint_ = m[1].str();
          return true;
        },
        std::chrono::seconds(60));
    log_ = ReadAll(log);
  }
  ~MotoServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  // "http://127.0.0.1:PORT", or "" when it did not start (log() says why).
  const std::string& endpoint() const { return endpoint_; }
  const std::string& log() const { return log_; }
  // Everything moto has written so far: werkzeug's line for each request it served
  // ("DELETE /bucket/key?uploadId=... HTTP/1.1" 204), what a test reads to see a call made.
  std::string requests() const { return ReadAll(dir_ / "moto.log"); }

 private:
  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  TempDir dir_;
  pid_t pid_ = -1;
  std::string endpoint_;
  std::string log_;
};

}  // namespace spotbatch::testing
