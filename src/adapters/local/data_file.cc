#include "adapters/local/data_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace spotbatch {

Result<std::string> ReadDataFile(const std::string& path, const std::string& what) {
  // Looked at before it is opened: opening a FIFO would block until something writes to it.
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return NotFound(what + " " + path + " cannot be read");
  if (!std::filesystem::is_regular_file(status)) {
    return InvalidArgument(what + " " + path + " is not a regular file");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > static_cast<uintmax_t>(kMaxDataFileBytes)) {
    return InvalidArgument(what + " " + path + " is over " +
                           std::to_string(kMaxDataFileBytes >> 20) + " MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(what + " " + path + " cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace spotbatch
