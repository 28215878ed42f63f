// The command line of `spotbatch`, parsed with CLI11: one subcommand per command, each with
// its own options and --help, and the choice of config file when -c is not given.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "apps/cli_commands.h"
#include "spotbatch/status.h"

namespace spotbatch {

// What the command line asks for. Only the fields of `command` are set.
struct CliRequest {
  std::string command;            // "run", "put", ..., "aws policy"
  std::string config_path;        // -c FILE; empty: not given (see ResolveConfigPath)
  bool json = false;              // --json (run, status, simulate, market)
  std::string key;                // put --key
  std::string svg_dir;            // simulate --svg, run --svg
  double deadline_hours = 0;      // run --deadline; 0: not given
  std::vector<std::string> args;  // the positional arguments (put's paths, get's KEY [DEST], ids)
  WorkerFlags worker;             // worker's flags
  std::string role;               // aws policy --role; empty: every role
  std::string account = "*";      // aws policy --account
  bool delete_data = false;       // aws destroy --delete-data
};

// Parses argv. Returns the request to carry out, or nothing when the process is to exit now
// with *exit_code: 0 after printing help or the version to stdout, 2 after a usage error
// (one line naming the problem and one with a hint, on stderr; never the whole usage).
std::optional<CliRequest> ParseCommandLine(int argc, const char* const* argv, int* exit_code);

// The config file a command reads: -c FILE when given, else $SPOTBATCH_CONFIG when set, else
// spotbatch.toml in the current folder. An error names what was looked for when that file
// does not exist; a -c FILE that does not exist is left to the config loader to report.
Result<std::string> ResolveConfigPath(const std::string& flag);

// The second line of every usage error: where the command's usage is.
std::string UsageHint(const std::string& command);

}  // namespace spotbatch
