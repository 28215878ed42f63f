#include "adapters/local/data_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace spotbatch {

Result<std::string> ReadDataFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(what + " " + path + " cannot be read");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return InvalidArgument(what + " " + path + " is not a regular file");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > static_cast<uintmax_t>(kMaxDataFileBytes)) {
    return InvalidArgument(what + " " + path + " is over " +
                           std::to_string(kMaxDataFileBytes >> 20) + " MiB");
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace spotbatch
