// The TOML configuration (see DESIGN.md): parsed, validated, paths resolved against the
// config file's folder. Every error names the file, the line and the key.
#pragma once

#include <string>

#include "agent/pipeline_spec.h"
#include "spotbatch/status.h"

namespace spotbatch {

struct Config {
  std::string file;                      // the config file, absolute
  std::string store_path;                // [store] path
  std::string state_db;                  // [state] path: the SQLite file holding queue and state
  bool state_fsync_every_commit = true;  // [state] durability = "power-loss" | "process-crash"
  PipelineSpec pipeline;
  int workers = 4;                    // [fleet] workers
  double lease_seconds = 60;          // [worker] lease_seconds
  double heartbeat_seconds = 15;      // [worker] heartbeat_seconds
  double kill_grace_seconds = 5;      // [worker] kill_grace_seconds
  std::string work_dir;               // [worker] work_dir
  double watch_interval_seconds = 1;  // [pipeline] watch_interval_seconds (spotbatch up)
  std::string server_listen;          // [server] listen "host:port"; empty: no HTTP API
  std::string token_file;             // [server] token_file: bearer token for changes
};

// kInvalidArgument with "FILE:LINE: key: problem" on any error; kNotFound for a missing file.
Result<Config> LoadConfig(const std::string& path);

}  // namespace spotbatch
