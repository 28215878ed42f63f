// Where a pipeline's objects live: input keys, deterministic output keys, staging keys.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "spotbatch/status.h"

namespace spotbatch {

// On S3 a prefix's first segment is its bucket: "acme-in/claims/" is ("acme-in", "claims/"),
// "acme-in" alone ("acme-in", "").
std::pair<std::string_view, std::string_view> BucketAndKeyPrefix(std::string_view prefix);

// "in/a/b.txt" under input prefix "in/" is "a/b.txt"; kInvalidArgument when not under it.
Result<std::string> RelativeInputKey(std::string_view input_prefix, std::string_view key);
// The folder of the outputs of the input whose relative key is `rel`: "<output_prefix><rel>/".
// kInvalidArgument when it falls in spotbatch's own area, a key of its bucket that starts
// with "_spotbatch/" (on S3 that is the work bucket's staging, checkpoints and bills, which the
// janitor deletes): the input "in/_spotbatch/x" with output prefix "out/" is refused.
Result<std::string> OutputFolder(std::string_view output_prefix, std::string_view rel);
// The final key of output file `file` (a relative path inside the output directory) of the
// input whose relative key is `rel`: OutputFolder + `file`. Validated.
Result<std::string> OutputKey(std::string_view output_prefix, std::string_view rel,
                              std::string_view file);
// Where attempt `token` stages its output number `index` before its commit; never visible to
// users. Flat (no folder per attempt): the staging area holds only attempts in flight.
std::string StagingKey(std::string_view token, size_t index);
// The prefix of every key StagingKey() gives for `token`.
std::string StagingPrefix(std::string_view token);
// Where checkpoint number `seq` of attempt `token` of task `task_id` is kept:
// "_spotbatch/checkpoints/<task_id>/<token>.<seq>/"; each file of the command's checkpoint
// folder goes under it by its relative path (CheckpointFileKey, validated).
std::string CheckpointPrefix(std::string_view task_id, std::string_view token, int seq);
Result<std::string> CheckpointFileKey(std::string_view prefix, std::string_view file);
// The last segment of a key ("photo.jpg" of "in/a/photo.jpg").
std::string_view KeyName(std::string_view key);

}  // namespace spotbatch
