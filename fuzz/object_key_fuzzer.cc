// The key validator against its specification (core/object_key.h), and the pipeline's key
// builders (core/pipeline_keys.h) on top of it.
//
// Input: the whole input is a key. When it holds newlines it is also split into
// prefix \n relative key \n file name for the key builders.
#include <filesystem>
#include <vector>

#include "core/object_key.h"
#include "core/pipeline_keys.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

// Well-formed UTF-8 as Unicode's table 3-7 lists it (no overlong forms, no surrogates, nothing
// past U+10FFFF), written from the table rather than from the validator's decoder.
bool WellFormedUtf8(std::string_view s) {
  auto in = [](unsigned char c, int lo, int hi) { return c >= lo && c <= hi; };
  for (size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    auto at = [&](size_t k) -> unsigned char {
      return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
    };
    if (b0 <= 0x7F) {
      i += 1;
    } else if (in(b0, 0xC2, 0xDF) && in(at(1), 0x80, 0xBF)) {
      i += 2;
    } else if ((b0 == 0xE0 && in(at(1), 0xA0, 0xBF)) ||
               ((in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) && in(at(1), 0x80, 0xBF)) ||
               (b0 == 0xED && in(at(1), 0x80, 0x9F))) {
      if (!in(at(2), 0x80, 0xBF)) return false;
      i += 3;
    } else if ((b0 == 0xF0 && in(at(1), 0x90, 0xBF)) ||
               (in(b0, 0xF1, 0xF3) && in(at(1), 0x80, 0xBF)) ||
               (b0 == 0xF4 && in(at(1), 0x80, 0x8F))) {
      if (!in(at(2), 0x80, 0xBF) || !in(at(3), 0x80, 0xBF)) return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

std::vector<std::string_view> Segments(std::string_view key) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t slash = key.find('/', start);
    out.push_back(key.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

// The rules of core/object_key.h, stated directly.
enum class Kind { kKey, kInternalKey, kPrefix };
bool SpecAllows(std::string_view key, Kind kind) {
  if (kind == Kind::kPrefix && key.empty()) return true;
  if (key.empty() || key.size() > kMaxKeyBytes) return false;
  if (fuzz::HasControlByte(key) || !WellFormedUtf8(key)) return false;
  if (key.front() == '/') return false;
  if (kind == Kind::kPrefix && key.back() == '/') key.remove_suffix(1);
  const std::vector<std::string_view> segments = Segments(key);
  for (std::string_view s : segments) {
    if (s.empty() || s == "." || s == "..") return false;
  }
  const char first = segments.front().front();
  return first != '.' && (first != '_' || kind != Kind::kKey);
}

void CheckVerdict(std::string_view key, Kind kind, const Status& s) {
  const bool allowed = SpecAllows(key, kind);
  FUZZ_CHECK_MSG(s.ok() == allowed, allowed ? "refused: " + s.message() : "accepted");
  if (!s.ok()) {
    // Refusals are printed to users: they quote the key escaped and cut short.
    FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK(!s.message().empty() && s.message().size() < 512);
    FUZZ_CHECK_MSG(!fuzz::HasControlByte(s.message()), s.message());
  }
}

// A valid key names a file inside the store's folder: the directory store maps key k of
// bucket b to <root>/b/..., so no key may climb out of the root or alias another key.
void CheckStaysInside(std::string_view key) {
  namespace fs = std::filesystem;
  const fs::path root = "/store";
  const fs::path p = (root / fs::path(std::string(key))).lexically_normal();
  const fs::path rel = p.lexically_relative(root);
  FUZZ_CHECK_MSG(!rel.empty() && *rel.begin() != "..", p.string());
  FUZZ_CHECK_MSG(rel.generic_string() == key, rel.generic_string());
}

void CheckKey(std::string_view key) {
  const Status object = ValidateObjectKey(key);
  const Status internal = ValidateInternalKey(key);
  const Status prefix = ValidateKeyPrefix(key);
  CheckVerdict(key, Kind::kKey, object);
  CheckVerdict(key, Kind::kInternalKey, internal);
  CheckVerdict(key, Kind::kPrefix, prefix);
  // Each kind allows more than the one before it.
  FUZZ_CHECK(!object.ok() || internal.ok());
  FUZZ_CHECK(!internal.ok() || prefix.ok());
  if (internal.ok()) {
    CheckStaysInside(key);
    if (key.size() < kMaxKeyBytes) {
      FUZZ_CHECK(ValidateKeyPrefix(std::string(key) + "/").ok());
    }
  }
  const std::string_view name = KeyName(key);
  FUZZ_CHECK(name.find('/') == std::string_view::npos);
  FUZZ_CHECK(key.ends_with(name));
  if (internal.ok()) FUZZ_CHECK(!name.empty() && name != "." && name != "..");
}

// prefix \n rel \n file: the keys a pipeline builds from them.
void CheckPipelineKeys(std::string_view prefix, std::string_view rel, std::string_view file) {
  const std::string input = std::string(prefix) + std::string(rel);
  const Result<std::string> relative = RelativeInputKey(prefix, input);
  FUZZ_CHECK(relative.ok() == !rel.empty());
  if (relative.ok()) FUZZ_CHECK(*relative == rel);
  if (!prefix.empty()) {
    FUZZ_CHECK(!RelativeInputKey(prefix, prefix).ok());
    FUZZ_CHECK(!RelativeInputKey(prefix, prefix.substr(1)).ok());
  }

  // The prefix plays the output prefix too: outputs never land in spotbatch's own area.
  const Result<std::string> folder = OutputFolder(prefix, rel);
  const std::string expected_folder = input + "/";
  const bool own_area = std::string_view(expected_folder)
                            .substr(expected_folder.find('/') + 1)
                            .starts_with("_spotbatch/");
  FUZZ_CHECK(folder.ok() == !own_area);
  if (folder.ok()) FUZZ_CHECK(*folder == expected_folder);
  const Result<std::string> output = OutputKey(prefix, rel, file);
  if (output.ok()) {
    FUZZ_CHECK(*output == input + "/" + std::string(file));
    FUZZ_CHECK(ValidateObjectKey(*output).ok());
    // A file name cannot climb out of the input's output folder.
    CheckStaysInside(*output);
  } else {
    FUZZ_CHECK(own_area || !ValidateObjectKey(input + "/" + std::string(file)).ok());
  }

  const std::string checkpoint = CheckpointPrefix("task", "token", 3);
  const Result<std::string> cp = CheckpointFileKey(checkpoint, file);
  FUZZ_CHECK(cp.ok() == ValidateInternalKey(checkpoint + std::string(file)).ok());
  if (cp.ok()) {
    FUZZ_CHECK(cp->starts_with(checkpoint));
    FUZZ_CHECK(!ValidateObjectKey(*cp).ok());  // a user can never name a checkpoint
  }
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size > 4 * kMaxKeyBytes) return -1;  // the limit is 1024: longer says nothing new
  const std::string_view text = fuzz::AsText(data, size);
  CheckKey(text);
  const size_t a = text.find('\n');
  if (a != std::string_view::npos) {
    const size_t b = text.find('\n', a + 1);
    const std::string_view prefix = text.substr(0, a);
    const std::string_view rel = text.substr(a + 1, b == std::string_view::npos ? b : b - a - 1);
    const std::string_view file = b == std::string_view::npos ? "" : text.substr(b + 1);
    CheckKey(prefix);
    CheckKey(rel);
    CheckPipelineKeys(prefix, rel, file);
  }
  return 0;
}
