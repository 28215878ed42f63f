// The `spotbatch` command: reads the config the command line names and dispatches (parsing
// is in cli_parser).
#include <unistd.h>

#include <cstdio>
#include <string>

#include "apps/aws_deploy.h"
#include "apps/cli_commands.h"
#include "apps/cli_parser.h"
#include "apps/config.h"
#include "apps/control_plane.h"
#include "apps/lambda_command.h"
#include "apps/market_command.h"
#include "apps/simulate_command.h"

namespace {

std::string SelfExe(const char* argv0) {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) return std::string(buf, static_cast<size_t>(n));
  return argv0;
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto request = spotbatch::ParseCommandLine(argc, argv, &exit_code);
  if (!request) return exit_code;
  const spotbatch::CliRequest& r = *request;
  auto config_path = spotbatch::ResolveConfigPath(r.config_path);
  if (!config_path.ok()) {
    std::fprintf(stderr, "spotbatch: %s\n%s\n", config_path.status().message().c_str(),
                 spotbatch::UsageHint(r.command).c_str());
    return 2;
  }
  const bool market = r.command == "simulate" || r.command == "market";
  auto config = spotbatch::LoadConfig(
      *config_path, market ? spotbatch::ConfigUse::kMarket : spotbatch::ConfigUse::kPipeline);
  if (!config.ok()) {
    std::fprintf(stderr, "spotbatch: %s\n", config.status().message().c_str());
    return 2;
  }
  // The parser has checked each command's arguments; this only dispatches.
  using namespace spotbatch;
  const std::string& c = r.command;
  if (config->ec2_pools() && c == "simulate") {
    // The simulator replays capacity traces, which EC2 pools have none of.
    std::fprintf(stderr,
                 "spotbatch simulate: %s has EC2 pools (provider = \"ec2\"), which have no "
                 "capacity trace to replay; `spotbatch market` quotes them live\n",
                 config->file.c_str());
    return 2;
  }
  if (c == "simulate") return SimulateCommand(*config, r.json, r.svg_dir);
  if (c == "market") return MarketCommand(*config, r.json);
  if (c == "run") {
    if (r.deadline_hours > 0) config->deadline_hours = r.deadline_hours;
    return RunPipeline(*config, SelfExe(argv[0]), r.json, r.svg_dir);
  }
  if (c == "cost") return CostCommand(*config, r.json);
  if (c == "up") return ServePipeline(*config, SelfExe(argv[0]));
  if (c == "put") return PutCommand(*config, r.args, r.key);
  if (c == "status") return StatusCommand(*config, r.json);
  if (c == "get") return GetCommand(*config, r.args[0], r.args.size() > 1 ? r.args[1] : "");
  if (c == "logs") return LogsCommand(*config, r.args[0]);
  if (c == "retry") return RetryCommand(*config, r.args[0]);
  if (c == "cancel") return CancelCommand(*config, r.args[0]);
  if (c == "worker") return WorkerCommand(*config, r.worker);
  if (c == "lambda") return LambdaCommand(*config);
  if (c == "aws policy") return AwsPolicyCommand(*config, r.role, r.account);
  if (c == "aws deploy") return AwsDeployCommand(*config, r.json);
  if (c == "aws destroy") return AwsDestroyCommand(*config, r.json, r.delete_data);
  std::fprintf(stderr, "spotbatch: %s: parsed but not dispatched\n", c.c_str());
  return 2;
}
