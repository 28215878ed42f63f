#include "adapters/aws/s3_event.h"

#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "core/object_key.h"

namespace spotbatch {
namespace {

using Json = nlohmann::json;

constexpr size_t kQuoted = 200;

std::string Quote(std::string_view text) {
  std::string out(text.substr(0, kQuoted));
  if (text.size() > kQuoted) out += "...";
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The string at `name` in `object`, or nullptr when it is missing or not a string.
const std::string* StringAt(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

// One record of {"Records": [...]}: appended to `event` as created, ignored or malformed.
void AddRecord(const Json& record, S3Event* event) {
  auto malformed = [&](const std::string& why) {
    event->malformed.push_back(Quote(why + ": " + record.dump()));
  };
  if (!record.is_object()) return malformed("a record is not an object");
  const std::string* source = StringAt(record, "eventSource");
  const std::string* name = StringAt(record, "eventName");
  if (source == nullptr || *source != "aws:s3") return malformed("not an aws:s3 record");
  if (name == nullptr) return malformed("no eventName");
  if (!name->starts_with("ObjectCreated:")) {
    ++event->ignored;
    return;
  }
  auto s3 = record.find("s3");
  if (s3 == record.end() || !s3->is_object()) return malformed("no s3 object");
  auto bucket = s3->find("bucket");
  auto object = s3->find("object");
  if (bucket == s3->end() || !bucket->is_object() || object == s3->end() || !object->is_object()) {
    return malformed("no s3.bucket or s3.object");
  }
  const std::string* bucket_name = StringAt(*bucket, "name");
  const std::string* encoded_key = StringAt(*object, "key");
  if (bucket_name == nullptr || encoded_key == nullptr) {
    return malformed("no s3.bucket.name or s3.object.key");
  }
  S3CreatedObject created;
  created.bucket = *bucket_name;
  Result<std::string> key = DecodeS3EventKey(*encoded_key);
  if (!key.ok()) return malformed(key.status().message());
  created.key = std::move(*key);
  if (Status s = ValidateObjectKey(created.bucket + "/" + created.key); !s.ok()) {
    return malformed(s.message());
  }
  if (auto size = object->find("size"); size != object->end()) {
    if (!size->is_number_unsigned()) return malformed("s3.object.size is not a whole number");
    created.size = size->get<uint64_t>();
  }
  if (const std::string* etag = StringAt(*object, "eTag")) created.etag = *etag;
  if (const std::string* sequencer = StringAt(*object, "sequencer")) {
    created.sequencer = *sequencer;
  }
  // The time only informs (ingest reads the object's current version): one that is not a UTC
  // timestamp is taken as unknown rather than costing the record. moto writes it without a
  // zone ("2026-12-02T00:04:34.470462").
  if (const std::string* time = StringAt(record, "eventTime")) {
    created.event_unix_millis = ParseUtcTimestamp(*time).value_or(0);
  }
  event->created.push_back(std::move(created));
}

Result<S3Event> ParseRecords(const Json& doc, std::string_view body) {
  S3Event event;
  if (const std::string* test = StringAt(doc, "Event");
      test != nullptr && *test == "s3:TestEvent") {
    event.test_event = true;
    return event;
  }
  auto records = doc.find("Records");
  if (records == doc.end() || !records->is_array()) {
    return InvalidArgument("S3 event: no Records array: " + Quote(body));
  }
  for (const Json& record : *records) AddRecord(record, &event);
  return event;
}

}  // namespace

Result<std::string> DecodeS3EventKey(std::string_view encoded) {
  if (encoded.size() > 3 * kMaxS3KeyBytes) {
    return InvalidArgument("S3 event key is " + std::to_string(encoded.size()) +
                           " bytes encoded; the limit is " + std::to_string(3 * kMaxS3KeyBytes));
  }
  std::string key;
  key.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '+') {
      key += ' ';
    } else if (c != '%') {
      key += c;
    } else {
      const int high = i + 2 < encoded.size() ? HexValue(encoded[i + 1]) : -1;
      const int low = high >= 0 ? HexValue(encoded[i + 2]) : -1;
      if (low < 0) {
        return InvalidArgument("S3 event key has a broken %-escape at byte " + std::to_string(i) +
                               ": " + Quote(encoded));
      }
      key += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  if (key.empty()) return InvalidArgument("S3 event key is empty");
  if (key.size() > kMaxS3KeyBytes) {
    return InvalidArgument("S3 event key is " + std::to_string(key.size()) +
                           " bytes; the limit is " + std::to_string(kMaxS3KeyBytes));
  }
  return key;
}

Result<S3Event> ParseS3Event(std::string_view body) {
  if (body.size() > kMaxS3EventBytes) {
    return InvalidArgument("S3 event is " + std::to_string(body.size()) + " bytes; the limit is " +
                           std::to_string(kMaxS3EventBytes));
  }
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return InvalidArgument("S3 event is not a JSON object: " + Quote(body));
  // Through an SNS topic the event is a string inside the notification (once: an envelope
  // inside an envelope is not what SNS sends).
  if (const std::string* type = StringAt(doc, "Type"); type != nullptr && *type == "Notification") {
    const std::string* message = StringAt(doc, "Message");
    if (message == nullptr) return InvalidArgument("SNS notification without a Message");
    Json inner = Json::parse(*message, nullptr, /*allow_exceptions=*/false);
    if (!inner.is_object()) {
      return InvalidArgument("SNS notification's Message is not a JSON object: " + Quote(*message));
    }
    return ParseRecords(inner, *message);
  }
  return ParseRecords(doc, body);
}

}  // namespace spotbatch
