// The `spotbatch` command: argument parsing and dispatch only.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "apps/cli_commands.h"
#include "apps/config.h"
#include "apps/control_plane.h"
#include "apps/market_command.h"
#include "apps/simulate_command.h"

namespace {

constexpr const char* kUsage = R"(usage: spotbatch COMMAND -c FILE [options]

  run -c FILE [--json]           process every input without a finished job, then stop
  up -c FILE                     serve: ingest new inputs as they appear, until SIGINT/SIGTERM
  put -c FILE PATH... [--key K]  upload files (a directory: its files); each input starts a job
  status -c FILE [--json]        list jobs
  get -c FILE KEY [DEST|-]       download an object (to DEST, or stdout with -)
  logs -c FILE TASK|JOB          the attempts of a task and the tail of their output
  retry -c FILE JOB              run a failed or cancelled job again
  cancel -c FILE JOB             cancel a job
  worker -c FILE [--worker-id ID] [--pool NAME] [--market spot|on-demand]
         [--metadata-url URL | --on-ec2] [--metadata-poll-ms N]
                                 the worker agent; with a metadata endpoint it watches for
                                 spot interruption and rebalance notices (also from
                                 $SPOTBATCH_METADATA_URL; --on-ec2: EC2's own 169.254.169.254)
  simulate -c FILE [--json] [--svg DIR]
                                 compare fleet policies on the pools' market traces; --svg
                                 writes timeline.svg and cost_vs_slack.svg into DIR
  market -c FILE [--json]        the pools ranked by expected cost per useful hour

exit codes: 0 success, 1 failure, 2 usage or configuration error
)";

int Usage(const std::string& problem) {
  if (!problem.empty()) std::fprintf(stderr, "spotbatch: %s\n", problem.c_str());
  std::fputs(kUsage, stderr);
  return 2;
}

std::string SelfExe(const char* argv0) {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) return std::string(buf, static_cast<size_t>(n));
  return argv0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage("");
  const std::string command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::string config_path, key, svg_dir;
  spotbatch::WorkerFlags wf;
  bool json = false;
  std::vector<std::string> args;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    if (a == "-c" || a == "--config") {
      if (!value(&config_path)) return Usage(a + " needs a file");
    } else if (a == "--json") {
      json = true;
    } else if (a == "--svg" && command == "simulate") {
      if (!value(&svg_dir)) return Usage("--svg needs a folder");
    } else if (a == "--key" && command == "put") {
      if (!value(&key)) return Usage("--key needs a key");
    } else if (a == "--worker-id" && command == "worker") {
      if (!value(&wf.worker_id)) return Usage("--worker-id needs a value");
    } else if (a == "--pool" && command == "worker") {
      if (!value(&wf.pool)) return Usage("--pool needs a name");
    } else if (a == "--market" && command == "worker") {
      std::string m;
      if (!value(&m) || (m != "spot" && m != "on-demand"))
        return Usage("--market needs spot or on-demand");
      wf.on_spot = m == "spot";
    } else if (a == "--metadata-url" && command == "worker") {
      if (!value(&wf.metadata_url)) return Usage("--metadata-url needs a URL");
    } else if (a == "--on-ec2" && command == "worker") {
      wf.on_ec2 = true;
    } else if (a == "--metadata-poll-ms" && command == "worker") {
      std::string n;
      if (!value(&n) || n.empty() || n.size() > 9 ||
          n.find_first_not_of("0123456789") != std::string::npos || std::stoll(n) < 1)
        return Usage("--metadata-poll-ms needs a positive number of milliseconds");
      wf.metadata_poll_millis = std::stoll(n);
    } else if (a.size() > 1 && a[0] == '-' && !(command == "get" && a == "-")) {
      return Usage("unknown option " + a + " for " + command);
    } else {
      args.push_back(a);
    }
  }
  if (config_path.empty()) return Usage(command + " needs -c FILE");
  const bool market = command == "simulate" || command == "market";
  auto config = spotbatch::LoadConfig(
      config_path, market ? spotbatch::ConfigUse::kMarket : spotbatch::ConfigUse::kPipeline);
  if (!config.ok()) {
    std::fprintf(stderr, "spotbatch: %s\n", config.status().message().c_str());
    return 2;
  }
  auto expect = [&](size_t min, size_t max) { return args.size() >= min && args.size() <= max; };
  using namespace spotbatch;
  if (command == "simulate")
    return expect(0, 0) ? SimulateCommand(*config, json, svg_dir)
                        : Usage("simulate takes no arguments");
  if (command == "market")
    return expect(0, 0) ? MarketCommand(*config, json) : Usage("market takes no arguments");
  if (command == "run")
    return expect(0, 0) ? RunPipeline(*config, SelfExe(argv[0]), json)
                        : Usage("run takes no arguments");
  if (command == "up")
    return expect(0, 0) ? ServePipeline(*config, SelfExe(argv[0])) : Usage("up takes no arguments");
  if (command == "put") return PutCommand(*config, args, key);
  if (command == "status")
    return expect(0, 0) ? StatusCommand(*config, json) : Usage("status takes no arguments");
  if (command == "get")
    return expect(1, 2) ? GetCommand(*config, args[0], args.size() > 1 ? args[1] : "")
                        : Usage("get takes KEY [DEST|-]");
  if (command == "logs")
    return expect(1, 1) ? LogsCommand(*config, args[0]) : Usage("logs takes one TASK or JOB id");
  if (command == "retry")
    return expect(1, 1) ? RetryCommand(*config, args[0]) : Usage("retry takes one JOB id");
  if (command == "cancel")
    return expect(1, 1) ? CancelCommand(*config, args[0]) : Usage("cancel takes one JOB id");
  if (command == "worker")
    return expect(0, 0) ? WorkerCommand(*config, wf) : Usage("worker takes no arguments");
  return Usage("unknown command " + command);
}
