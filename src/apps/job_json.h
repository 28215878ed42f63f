// The JSON shape of jobs and attempts, shared by `spotbatch status --json` and the HTTP API.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spotbatch/state_store.h"

namespace spotbatch {

// "2026-11-25T12:00:00Z", or "-" for 0.
std::string FormatUtc(int64_t unix_millis);
// id, input, state, outputs (published keys), attempts, interruptions, error, created, tasks.
nlohmann::json JobJson(const JobView& view);
nlohmann::json AttemptJson(const AttemptRecord& attempt);
// Serializes `j`; bytes that are not UTF-8 (a command's output may hold anything) become
// U+FFFD instead of failing the whole response.
std::string DumpJson(const nlohmann::json& j);

}  // namespace spotbatch
