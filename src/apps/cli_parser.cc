#include "apps/cli_parser.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "apps/aws_policy.h"

#ifndef SPOTBATCH_VERSION
#error "SPOTBATCH_VERSION comes from CMake's project(VERSION)"
#endif

namespace spotbatch {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultConfig = "spotbatch.toml";
constexpr const char* kExitCodes =
    "Exit codes: 0 success, 1 failure, 2 usage or configuration error.";

// Every command reads a config, so each takes -c; the one before the command (`spotbatch -c F
// run`) is the fallback, -c after it wins. TakeLast: a repeated -c replaces, as it always has.
void AddConfigOption(CLI::App* app, std::string* path) {
  app->add_option("-c,--config", *path,
                  "config file (default: $SPOTBATCH_CONFIG, else ./spotbatch.toml)")
      ->type_name("FILE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void AddJsonFlag(CLI::App* app, bool* json, const char* what) {
  app->add_flag("--json", *json, what);
}

std::string CommandList(CLI::App& app) {
  std::string list;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    list += (list.empty() ? "" : ", ") + sub->get_name();
  }
  return list;
}

// The deepest command given (`policy` of `spotbatch aws policy`), or nullptr for none.
const CLI::App* DeepestCommand(const CLI::App& app) {
  const CLI::App* deepest = nullptr;
  for (const CLI::App* level = &app; !level->get_subcommands().empty();) {
    deepest = level = level->get_subcommands()[0];
  }
  return deepest;
}

// "aws policy" of the `policy` command under `aws`; "" for the top level.
std::string CommandPath(const CLI::App* command) {
  std::string path;
  for (; command != nullptr && command->get_parent() != nullptr; command = command->get_parent()) {
    path = command->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

// The help of `command` (nullptr: of the top level), its usage line naming the program and
// the commands above it.
std::string HelpOf(const CLI::App& app, const CLI::App* command) {
  if (command == nullptr) return app.help();
  const std::string above = CommandPath(command->get_parent());
  return command->help(app.get_name() + (above.empty() ? "" : " " + above));
}

int UsageError(const std::string& command, const std::string& problem) {
  std::fprintf(stderr, "spotbatch: %s\n%s\n", problem.c_str(), UsageHint(command).c_str());
  return 2;
}

// The first word that is not an option of the top level: the command, or empty. Known here
// rather than from CLI11 so an unknown command is named as such, not as a stray argument.
std::string CommandWord(int argc, const char* const* argv, int* index) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-c" || a == "--config") {
      ++i;
    } else if (a.empty() || a[0] != '-') {
      *index = i;
      return a;
    } else if (a == "--") {
      break;
    }
  }
  return "";
}

// A --metadata-poll-ms value: a positive decimal count of milliseconds.
std::string CheckMillis(const std::string& n) {
  const bool ok = !n.empty() && n.size() <= 9 &&
                  n.find_first_not_of("0123456789") == std::string::npos && std::stoll(n) >= 1;
  return ok ? "" : "needs a positive number of milliseconds";
}

}  // namespace

std::string UsageHint(const std::string& command) {
  return command.empty() ? "run 'spotbatch --help' for usage"
                         : "run 'spotbatch " + command + " --help' for usage";
}

std::optional<CliRequest> ParseCommandLine(int argc, const char* const* argv, int* exit_code) {
  CliRequest req;
  std::string global_config, sub_config, market, poll_millis;
  std::string id, get_dest;  // the one positional of get, logs, retry, cancel; get's DEST

  CLI::App app("spotbatch: large batches on interruptible capacity, nothing lost, nothing twice.",
               "spotbatch");
  app.set_version_flag("--version", "spotbatch " SPOTBATCH_VERSION);
  AddConfigOption(&app, &global_config);
  app.require_subcommand(1);
  app.allow_extras();  // reported below as this level's unknown options
  // Subcommands keep what they cannot parse (allow_extras) so that it is reported as an
  // unknown option of that command, in one line, rather than as CLI11's "not expected" list.
  auto sub = [&](const char* name, const char* description) {
    CLI::App* s = app.add_subcommand(name, description);
    s->allow_extras();
    AddConfigOption(s, &sub_config);
    s->footer(kExitCodes);
    return s;
  };

  CLI::App* run = sub("run", "process every input without a finished job, then stop");
  AddJsonFlag(run, &req.json, "print a JSON summary of this run on stdout");
  run->add_option("--svg", req.svg_dir,
                  "with pools: write fleet.svg (instances per pool against room and backlog) "
                  "into DIR")
      ->type_name("DIR");
  run->add_option("--deadline", req.deadline_hours,
                  "hours (of the pools' trace time) the batch must be done in; overrides "
                  "[pipeline] deadline_hours")
      ->type_name("HOURS")
      ->check(CLI::Range(0.001, 1e6));

  sub("up", "serve: ingest new inputs as they appear, until SIGINT/SIGTERM");
  sub("lambda",
      "the ingest handler as a Lambda custom runtime (bootstrap): S3 events, or SQS events of "
      "S3 notifications, start jobs as put does");

  CLI::App* put = sub("put", "upload files (a directory: its files); each input starts a job");
  put->add_option("PATH", req.args, "files or directories to upload")->type_name("")->required();
  put->add_option("--key", req.key, "the object key of the one file uploaded")->type_name("KEY");

  CLI::App* status = sub("status", "list jobs");
  AddJsonFlag(status, &req.json, "print the jobs as JSON");

  CLI::App* cost = sub("cost", "the bill of every run so far, by pool and by job");
  AddJsonFlag(cost, &req.json, "print the bill as JSON");

  CLI::App* get = sub("get", "download an object (to DEST, or stdout with -)");
  get->add_option("KEY", id, "the object's key")->type_name("")->required();
  CLI::Option* dest =
      get->add_option("DEST", get_dest, "file or folder to write, or - for stdout")->type_name("");

  CLI::App* logs = sub("logs", "the attempts of a task and the tail of their output");
  logs->add_option("ID", id, "a TASK or JOB id")->type_name("")->required();
  CLI::App* retry = sub("retry", "run a failed or cancelled job again");
  retry->add_option("JOB", id, "the job's id")->type_name("")->required();
  CLI::App* cancel = sub("cancel", "cancel a job");
  cancel->add_option("JOB", id, "the job's id")->type_name("")->required();

  CLI::App* worker = sub("worker", "the worker agent (what runs on each instance)");
  WorkerFlags& wf = req.worker;
  worker->add_option("--worker-id", wf.worker_id, "this worker's id (default: worker-PID)")
      ->type_name("ID");
  worker->add_option("--pool", wf.pool, "the pool this instance belongs to")->type_name("NAME");
  worker->add_option("--market", market, "the instance's market")
      ->type_name("spot|on-demand")
      ->check([](const std::string& m) {
        return m == "spot" || m == "on-demand" ? "" : "needs spot or on-demand";
      });
  worker
      ->add_option("--metadata-url", wf.metadata_url,
                   "instance metadata endpoint to watch for spot interruption and rebalance "
                   "notices (default: $SPOTBATCH_METADATA_URL)")
      ->type_name("URL");
  worker->add_flag("--on-ec2", wf.on_ec2,
                   "run as an instance of the EC2 fleet: EC2's metadata service (169.254.169.254, "
                   "or --metadata-url), the instance's scale-in protection and lifecycle hook");
  worker
      ->add_option("--lifecycle-heartbeat-ms", wf.lifecycle_heartbeat_millis,
                   "how often a worker its group is terminating tells the lifecycle hook it is "
                   "still finishing (default 300000)")
      ->type_name("N")
      ->check(CheckMillis);
  worker->add_option("--metadata-poll-ms", poll_millis, "how often to poll the metadata")
      ->type_name("N")
      ->check(CheckMillis);

  CLI::App* simulate = sub("simulate", "compare fleet policies on the pools' market traces");
  AddJsonFlag(simulate, &req.json, "print the results as JSON");
  simulate->add_option("--svg", req.svg_dir, "write timeline.svg and cost_vs_slack.svg into DIR")
      ->type_name("DIR");

  CLI::App* market_cmd = sub("market", "the pools ranked by expected cost per useful hour");
  AddJsonFlag(market_cmd, &req.json, "print the ranking as JSON");

  CLI::App* aws = sub("aws", "what a pipeline on AWS needs (aws deploy, destroy, policy)");
  aws->require_subcommand(1);
  CLI::App* deploy = aws->add_subcommand(
      "deploy",
      "create or update the buckets, queues, table, notification and, for EC2 pools, the "
      "workers' role, launch template and groups the config names (again: changes nothing)");
  deploy->allow_extras();
  AddConfigOption(deploy, &sub_config);
  deploy->footer(kExitCodes);
  AddJsonFlag(deploy, &req.json, "print what was done as JSON");
  CLI::App* destroy = aws->add_subcommand(
      "destroy", "remove what aws deploy made for the config, and nothing else");
  destroy->allow_extras();
  AddConfigOption(destroy, &sub_config);
  destroy->footer(kExitCodes);
  AddJsonFlag(destroy, &req.json, "print what was done as JSON");
  destroy->add_flag("--delete-data", req.delete_data,
                    "empty the buckets deploy made before removing them (kept otherwise)");
  CLI::App* policy = aws->add_subcommand(
      "policy", "print least-privilege IAM policies of the ingest, worker and manager roles");
  policy->allow_extras();
  AddConfigOption(policy, &sub_config);
  policy->footer(kExitCodes);
  policy->add_option("--role", req.role, "print this role's policy document alone")
      ->type_name("ingest|worker|manager")
      ->check([](const std::string& r) {
        return r == "ingest" || r == "worker" || r == "manager" ? ""
                                                                : "needs ingest, worker or manager";
      });
  policy->add_option("--account", req.account, "the account in the ARNs (default: * for any)")
      ->type_name("ID")
      ->check([](const std::string& a) {
        return ValidateAwsAccount(a).ok() ? "" : "needs 12 digits or *";
      });

  app.footer(std::string("Run 'spotbatch COMMAND --help' for a command's options.\n") + kExitCodes);

  int command_index = 0;
  const std::string word = CommandWord(argc, argv, &command_index);
  if (word == "help") {  // `spotbatch help [COMMAND]`, as `--help` is
    const std::string of = command_index + 1 < argc ? argv[command_index + 1] : "";
    CLI::App* target = nullptr;
    if (!of.empty()) {
      try {
        target = app.get_subcommand(of);
      } catch (const CLI::OptionNotFound&) {
        *exit_code =
            UsageError("", "unknown command '" + of + "'; the commands: " + CommandList(app));
        return std::nullopt;
      }
    }
    std::fputs(HelpOf(app, target).c_str(), stdout);
    *exit_code = 0;
    return std::nullopt;
  }
  if (!word.empty() &&
      app.get_subcommands([&](CLI::App* s) { return s->get_name() == word; }).empty()) {
    *exit_code =
        UsageError("", "unknown command '" + word + "'; the commands: " + CommandList(app));
    return std::nullopt;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(HelpOf(app, DeepestCommand(app)).c_str(), stdout);
    *exit_code = 0;
    return std::nullopt;
  } catch (const CLI::CallForVersion& e) {
    std::printf("%s\n", e.what());
    *exit_code = 0;
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    const std::string command = CommandPath(DeepestCommand(app));
    std::string problem = e.what();
    if (command.empty() && !app.remaining().empty()) {
      problem = "unknown option " + app.remaining()[0];
    } else if (command.empty() && word.empty() &&
               dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      problem = "no command given; the commands: " + CommandList(app);
    } else if (!command.empty()) {
      problem = command + ": " + problem;
    }
    *exit_code = UsageError(command, problem);
    return std::nullopt;
  }

  // CLI11 keeps a "--" among the extras; it only ends the options, as usual.
  for (const std::string& extra : app.remaining()) {
    if (extra == "--") continue;
    *exit_code = UsageError("", "unknown option " + extra);
    return std::nullopt;
  }
  CLI::App* chosen = app.get_subcommands()[0];
  req.command = chosen->get_name();
  if (chosen == aws) {
    for (const std::string& extra : aws->remaining()) {
      if (extra == "--") continue;
      *exit_code = UsageError("aws", "unknown option " + extra + " for aws");
      return std::nullopt;
    }
    chosen = aws->get_subcommands()[0];
    req.command += " " + chosen->get_name();
  }
  for (const std::string& extra : chosen->remaining()) {
    if (extra == "--") continue;
    *exit_code = UsageError(req.command, extra.size() > 1 && extra[0] == '-'
                                             ? "unknown option " + extra + " for " + req.command
                                             : req.command + " takes no argument '" + extra + "'");
    return std::nullopt;
  }
  req.config_path = sub_config.empty() ? global_config : sub_config;
  if (!market.empty()) wf.on_spot = market == "spot";
  if (!poll_millis.empty()) wf.metadata_poll_millis = std::stoll(poll_millis);
  if (chosen == get || chosen == logs || chosen == retry || chosen == cancel)
    req.args.push_back(id);
  if (dest->count() > 0) req.args.push_back(get_dest);
  return req;
}

Result<std::string> ResolveConfigPath(const std::string& flag) {
  if (!flag.empty()) return flag;
  std::error_code ec;
  const char* env = std::getenv("SPOTBATCH_CONFIG");
  if (env != nullptr && *env != '\0') {
    // Named on purpose: a missing one is an error, not a reason to read another file.
    if (fs::exists(env, ec)) return std::string(env);
    return InvalidArgument("$SPOTBATCH_CONFIG names " + std::string(env) +
                           ", which does not exist (or pass -c FILE)");
  }
  if (fs::exists(kDefaultConfig, ec)) return std::string(kDefaultConfig);
  return InvalidArgument("no config: -c FILE not given, $SPOTBATCH_CONFIG not set, and no " +
                         std::string(kDefaultConfig) + " in " + fs::current_path(ec).string());
}

}  // namespace spotbatch
