// `spotbatch run` and `spotbatch up`: ingest, a pool of local worker processes, supervision.
#pragma once

#include <string>

#include "apps/config.h"

namespace spotbatch {

// Processes every input object without a finished job, then stops. Returns the exit code of
// the contract: 0 all succeeded, 1 some did not, 130 interrupted by SIGINT/SIGTERM.
// `svg_dir`: where to write fleet.svg (the fleet's timeline; pools only); "" for none.
int RunPipeline(const Config& config, const std::string& self_exe, bool json,
                const std::string& svg_dir = "");
// Serves until SIGINT/SIGTERM: ingests new input objects as they appear, keeps the workers up.
int ServePipeline(const Config& config, const std::string& self_exe);

}  // namespace spotbatch
