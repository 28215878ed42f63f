#include "core/pipeline_keys.h"

#include "core/object_key.h"

namespace spotbatch {

std::pair<std::string_view, std::string_view> BucketAndKeyPrefix(std::string_view prefix) {
  const size_t slash = prefix.find('/');
  if (slash == std::string_view::npos) return {prefix, ""};
  return {prefix.substr(0, slash), prefix.substr(slash + 1)};
}

Result<std::string> RelativeInputKey(std::string_view input_prefix, std::string_view key) {
  if (key.size() <= input_prefix.size() || key.substr(0, input_prefix.size()) != input_prefix) {
    return InvalidArgument("key " + std::string(key) + " is not under the input prefix " +
                           std::string(input_prefix));
  }
  return std::string(key.substr(input_prefix.size()));
}

namespace {
constexpr std::string_view kOwnArea = "_spotbatch/";
}  // namespace

Result<std::string> OutputFolder(std::string_view output_prefix, std::string_view rel) {
  std::string folder;
  folder.append(output_prefix).append(rel).append("/");
  const size_t slash = folder.find('/');
  if (std::string_view(folder).substr(slash + 1).starts_with(kOwnArea)) {
    return InvalidArgument("the outputs of " + std::string(rel) + " would go under " +
                           folder.substr(0, slash + 1) + std::string(kOwnArea) +
                           ", spotbatch's own area of that bucket: rename the input");
  }
  return folder;
}

Result<std::string> OutputKey(std::string_view output_prefix, std::string_view rel,
                              std::string_view file) {
  SB_ASSIGN_OR_RETURN(std::string key, OutputFolder(output_prefix, rel));
  key.append(file);
  SB_RETURN_IF_ERROR(ValidateObjectKey(key));
  return key;
}

std::string StagingPrefix(std::string_view token) {
  std::string key = "_spotbatch/staging/";
  key.append(token).append(".");
  return key;
}

std::string StagingKey(std::string_view token, size_t index) {
  return StagingPrefix(token) + std::to_string(index);
}

std::string CheckpointPrefix(std::string_view task_id, std::string_view token, int seq) {
  std::string key = "_spotbatch/checkpoints/";
  key.append(task_id).append("/").append(token).append(".").append(std::to_string(seq));
  key.append("/");
  return key;
}

Result<std::string> CheckpointFileKey(std::string_view prefix, std::string_view file) {
  std::string key(prefix);
  key.append(file);
  SB_RETURN_IF_ERROR(ValidateInternalKey(key));
  return key;
}

std::string_view KeyName(std::string_view key) {
  const size_t slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(slash + 1);
}

}  // namespace spotbatch
