#include "core/task_codec.h"

#include <charconv>

#include "common/control_bytes.h"

namespace spotbatch {

namespace {

constexpr uint64_t kMaxPartSize = uint64_t{5} << 30;  // S3's largest part

// Splits `text` into lines of exactly `n` tab-separated fields, calling `take` with each
// line's fields; false if any line has another shape or `take` refuses it.
template <typename Take>
bool ForEachLine(std::string_view text, size_t n, Take take) {
  std::vector<std::string_view> fields;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return false;
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    fields.clear();
    for (size_t tab; (tab = line.find('\t')) != std::string_view::npos;) {
      fields.push_back(line.substr(0, tab));
      line.remove_prefix(tab + 1);
    }
    fields.push_back(line);
    if (fields.size() != n || !take(fields)) return false;
  }
  return true;
}

}  // namespace

std::string EncodeOutputs(const std::vector<OutputFile>& outputs) {
  std::string out;
  for (const OutputFile& f : outputs) {
    out.append(f.staging_key).append(1, '\t').append(f.final_key).append(1, '\n');
  }
  return out;
}

bool DecodeOutputs(std::string_view text, std::vector<OutputFile>* out) {
  out->clear();
  const bool ok = ForEachLine(text, 2, [&](const std::vector<std::string_view>& f) {
    out->push_back({std::string(f[0]), std::string(f[1])});
    return true;
  });
  if (!ok) out->clear();
  return ok;
}

std::string EncodePendingUploads(const std::vector<PendingUpload>& uploads) {
  std::string out;
  for (const PendingUpload& u : uploads) {
    out.append(u.final_key).append(1, '\t').append(u.staging_key).append(1, '\t');
    out.append(u.upload_id).append(1, '\t').append(std::to_string(u.part_size)).append(1, '\n');
  }
  return out;
}

bool DecodePendingUploads(std::string_view text, std::vector<PendingUpload>* out) {
  out->clear();
  const bool ok = ForEachLine(text, 4, [&](const std::vector<std::string_view>& f) {
    PendingUpload u{std::string(f[0]), std::string(f[1]), std::string(f[2]), 0};
    const char* end = f[3].data() + f[3].size();
    const auto [ptr, ec] = std::from_chars(f[3].data(), end, u.part_size);
    if (ec != std::errc() || ptr != end || f[3].empty() || u.part_size > kMaxPartSize ||
        !IsRecordable(u)) {
      return false;
    }
    out->push_back(std::move(u));
    return true;
  });
  if (!ok) out->clear();
  return ok;
}

bool IsRecordable(const PendingUpload& u) {
  for (const std::string* s : {&u.final_key, &u.staging_key, &u.upload_id}) {
    if (s->empty() || HasControlByte(*s)) return false;
  }
  return u.part_size <= kMaxPartSize;
}

}  // namespace spotbatch
