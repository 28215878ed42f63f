// The S3 event parser (adapters/aws/s3_event.h): every input is given to it as an event body
// and to the key decoder as an encoded key. What it accepts is what its header promises: keys
// the object store can hold, bounded reasons for what it dropped, and the same objects again
// when the accepted ones are written back the way S3 writes them.
#include <cctype>
#include <nlohmann/json.hpp>

#include "adapters/aws/s3_event.h"
#include "common/time_format.h"
#include "core/object_key.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

// Form-URL-encodes a key as S3 does in events (unreserved bytes kept, a space as '+').
std::string FormEncode(std::string_view key) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void Event(std::string_view body) {
  const Result<S3Event> e = ParseS3Event(body);
  if (!e.ok()) {
    FUZZ_CHECK(e.status().code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK_MSG(e.status().message().size() <= 300, e.status().message().substr(0, 300));
    return;
  }
  for (const std::string& why : e->malformed) FUZZ_CHECK_MSG(why.size() <= 203, why);
  if (e->test_event) FUZZ_CHECK(e->created.empty());
  nlohmann::json records = nlohmann::json::array();
  for (const S3CreatedObject& o : e->created) {
    FUZZ_CHECK_MSG(ValidateObjectKey(o.bucket + "/" + o.key).ok(), o.bucket + "/" + o.key);
    FUZZ_CHECK(!o.key.empty() && o.key.size() <= kMaxS3KeyBytes);
    nlohmann::json record = {{"eventSource", "aws:s3"},
                             {"eventName", "ObjectCreated:Put"},
                             {"s3",
                              {{"bucket", {{"name", o.bucket}}},
                               {"object",
                                {{"key", FormEncode(o.key)},
                                 {"size", o.size},
                                 {"eTag", o.etag},
                                 {"sequencer", o.sequencer}}}}}};
    if (o.event_unix_millis != 0) {
      record["eventTime"] = FormatUtcTimestamp(o.event_unix_millis, /*millis=*/true);
    }
    records.push_back(std::move(record));
  }
  // Invalid UTF-8 in an etag or bucket cannot be written back as JSON: nothing to compare.
  std::string again_body;
  try {
    again_body = nlohmann::json{{"Records", records}}.dump();
  } catch (const nlohmann::json::exception&) {
    return;
  }
  const Result<S3Event> again = ParseS3Event(again_body);
  FUZZ_CHECK_MSG(again.ok(), again.status().message());
  FUZZ_CHECK_MSG(again->created.size() == e->created.size(), again_body.substr(0, 300));
  FUZZ_CHECK(again->malformed.empty());
  for (size_t i = 0; i < e->created.size(); ++i) {
    const S3CreatedObject &a = e->created[i], &b = again->created[i];
    FUZZ_CHECK(a.bucket == b.bucket && a.key == b.key && a.size == b.size && a.etag == b.etag &&
               a.sequencer == b.sequencer);
    // 0 (no eventTime, or the epoch itself) was written back as none.
    FUZZ_CHECK(a.event_unix_millis == b.event_unix_millis);
  }
}

void Key(std::string_view encoded) {
  const Result<std::string> key = DecodeS3EventKey(encoded);
  if (!key.ok()) {
    FUZZ_CHECK(key.status().code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK(key.status().message().size() <= 300);
    return;
  }
  FUZZ_CHECK(!key->empty() && key->size() <= kMaxS3KeyBytes);
  FUZZ_CHECK(key->size() <= encoded.size());
  const Result<std::string> back = DecodeS3EventKey(FormEncode(*key));
  FUZZ_CHECK_MSG(back.ok() && *back == *key, FormEncode(*key));
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size > 256 * 1024) return -1;
  const std::string_view body = fuzz::AsText(data, size);
  Event(body);
  Key(body);
  return 0;
}
