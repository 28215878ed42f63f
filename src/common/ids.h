// Identifiers and digests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace spotbatch {

// `bytes` random bytes from the OS (getrandom), as lowercase hex: unguessable lease tokens.
std::string RandomHex(size_t bytes);
// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Streaming MD5 (S3's ETag of a single-part object).
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void Update(const void* data, size_t size);
  std::string FinishHex();

 private:
  void* ctx_;
};

}  // namespace spotbatch
