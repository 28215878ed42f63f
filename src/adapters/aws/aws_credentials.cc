#include "adapters/aws/aws_credentials.h"

namespace spotbatch {

Status CheckCredentialValue(std::string_view field, std::string_view value) {
  const std::string name(field);
  if (value.empty()) return InvalidArgument(name + " is empty");
  if (value.size() > kMaxCredentialValue) return InvalidArgument(name + " is over 16 KiB");
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) {
      return InvalidArgument(name + " holds a space, a control byte or a non-ASCII byte");
    }
  }
  return Status::Ok();
}

}  // namespace spotbatch
