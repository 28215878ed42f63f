// SHA-256 and HMAC-SHA256 on OpenSSL 3's EVP interfaces (the low-level SHA256_* and HMAC_CTX
// calls are deprecated there), for SigV4.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace spotbatch {

using Sha256Digest = std::array<uint8_t, 32>;

// HMAC-SHA256 of `data` under `key`. Cannot fail short of OpenSSL running out of memory,
// which throws std::runtime_error (as RandomHex does when getrandom fails).
Sha256Digest HmacSha256(std::string_view key, std::string_view data);
inline Sha256Digest HmacSha256(const Sha256Digest& key, std::string_view data) {
  return HmacSha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), data);
}
// Lowercase hex of a digest (64 characters).
std::string HexDigest(const Sha256Digest& digest);

}  // namespace spotbatch
