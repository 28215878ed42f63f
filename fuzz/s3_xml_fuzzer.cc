// S3's answers (adapters/aws/s3_xml.h): every input is given to every parser. What a parser
// accepts is what its header promises (bounded, printable, in range; a truncated page says
// where to go on), its refusals are kInternal and short, and what it accepts reads back the
// same when written as S3 writes it.
#include <pugixml.hpp>

#include "adapters/aws/s3_xml.h"
#include "common/time_format.h"
#include "core/object_key.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

void Refusal(const Status& s) {
  FUZZ_CHECK_MSG(s.code() == StatusCode::kInternal || s.code() == StatusCode::kUnavailable,
                 s.ToString().substr(0, 300));
  FUZZ_CHECK_MSG(s.message().size() <= kMaxRefusalBytes, s.message().substr(0, 400));
}

bool PrintableEtag(const std::string& etag) {
  if (etag.empty() || etag.size() > kMaxS3ETagBytes) return false;
  for (char ch : etag) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F || c == '"') return false;
  }
  return true;
}

// A ListObjectsV2 page written back as S3 writes it.
std::string WriteListPage(const S3ObjectPage& page) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("ListBucketResult");
  root.append_child("IsTruncated").text().set(page.truncated ? "true" : "false");
  if (!page.next_token.empty()) {
    root.append_child("NextContinuationToken").text().set(page.next_token.c_str());
  }
  for (const S3ListedObject& o : page.objects) {
    pugi::xml_node c = root.append_child("Contents");
    c.append_child("Key").text().set(o.key.c_str());
    c.append_child("LastModified")
        .text()
        .set(FormatUtcTimestamp(o.modified_unix_millis, /*millis=*/true).c_str());
    c.append_child("ETag").text().set(("\"" + o.etag + "\"").c_str());
    c.append_child("Size").text().set(std::to_string(o.size).c_str());
  }
  struct Writer : pugi::xml_writer {
    std::string out;
    void write(const void* data, size_t size) override {
      out.append(static_cast<const char*>(data), size);
    }
  } w;
  doc.save(w, "", pugi::format_raw);
  return w.out;
}

void ListObjects(std::string_view body) {
  const Result<S3ObjectPage> page = ParseListObjectsV2(body);
  if (!page.ok()) return Refusal(page.status());
  for (const S3ListedObject& o : page->objects) {
    FUZZ_CHECK(!o.key.empty() && o.key.size() <= kMaxKeyBytes);
    FUZZ_CHECK_MSG(PrintableEtag(o.etag), o.etag);
  }
  FUZZ_CHECK(!page->truncated || !page->next_token.empty());
  FUZZ_CHECK(page->next_token.size() <= kMaxS3TokenBytes);
  // Keys with a NUL or a byte XML cannot carry are not written back the same: skip those.
  for (const S3ListedObject& o : page->objects) {
    if (o.key.find('\0') != std::string::npos || HasControlByte(o.key)) return;
    if (o.key.find_first_not_of(" \t\n\r") == std::string::npos) return;  // whitespace only
  }
  const std::string again_body = WriteListPage(*page);
  const Result<S3ObjectPage> again = ParseListObjectsV2(again_body);
  FUZZ_CHECK_MSG(again.ok(), again.status().message());
  FUZZ_CHECK(again->objects.size() == page->objects.size());
  FUZZ_CHECK(again->truncated == page->truncated && again->next_token == page->next_token);
  for (size_t i = 0; i < page->objects.size(); ++i) {
    const S3ListedObject &a = page->objects[i], &b = again->objects[i];
    FUZZ_CHECK_MSG(a.key == b.key, a.key);
    FUZZ_CHECK(a.size == b.size && a.etag == b.etag);
    FUZZ_CHECK(a.modified_unix_millis == b.modified_unix_millis);
  }
}

void Parts(std::string_view body) {
  const Result<S3PartPage> page = ParseListParts(body);
  if (!page.ok()) return Refusal(page.status());
  for (const S3Part& p : page->parts) {
    FUZZ_CHECK(p.number >= 1 && p.number <= kMaxS3PartNumber);
    FUZZ_CHECK_MSG(PrintableEtag(p.etag), p.etag);
  }
  FUZZ_CHECK(!page->truncated || page->next_marker > 0);
  // What CompleteMultipartUpload would send of these parts is XML naming them, in order.
  const std::string xml = CompleteMultipartUploadXml(page->parts);
  pugi::xml_document doc;
  FUZZ_CHECK(doc.load_buffer(xml.data(), xml.size()));
  size_t i = 0;
  for (const pugi::xml_node& p : doc.document_element().children("Part")) {
    FUZZ_CHECK(i < page->parts.size());
    FUZZ_CHECK(p.child("PartNumber").text().as_int() == page->parts[i].number);
    FUZZ_CHECK("\"" + page->parts[i].etag + "\"" == p.child("ETag").text().get());
    ++i;
  }
  FUZZ_CHECK(i == page->parts.size());
}

void Uploads(std::string_view body) {
  const Result<S3UploadPage> page = ParseListMultipartUploads(body);
  if (!page.ok()) return Refusal(page.status());
  for (const S3Upload& u : page->uploads) {
    FUZZ_CHECK(!u.key.empty() && u.key.size() <= kMaxKeyBytes);
    FUZZ_CHECK(!u.upload_id.empty() && u.upload_id.size() <= kMaxS3TokenBytes);
    FUZZ_CHECK(!HasControlByte(u.upload_id));  // it goes back in a query
  }
  FUZZ_CHECK(!page->truncated || !page->next_key_marker.empty());
  FUZZ_CHECK(page->next_key_marker.size() <= kMaxKeyBytes);
}

void Results(std::string_view body) {
  if (const std::optional<S3Error> e = ParseS3Error(body)) {
    FUZZ_CHECK(e->code.size() <= 128 && e->message.size() <= 300);
    FUZZ_CHECK(!HasControlByte(e->code) && !HasControlByte(e->message));
  }
  for (const char* root : {"CopyObjectResult", "CopyPartResult", "CompleteMultipartUploadResult"}) {
    const Result<std::string> etag = ParseETagResult(body, root);
    if (!etag.ok()) {
      Refusal(etag.status());
    } else {
      FUZZ_CHECK_MSG(PrintableEtag(*etag), *etag);
    }
  }
  const Result<std::string> id = ParseInitiateMultipartUpload(body);
  if (!id.ok()) {
    Refusal(id.status());
  } else {
    FUZZ_CHECK(!id->empty() && id->size() <= kMaxS3TokenBytes && !HasControlByte(*id));
  }
}

void Headers(std::string_view text) {
  const std::string etag = UnquoteETag(text);
  FUZZ_CHECK(etag.empty() || PrintableEtag(etag));
  if (!etag.empty()) FUZZ_CHECK(UnquoteETag("\"" + etag + "\"") == etag);
  if (const std::optional<int64_t> t = ParseHttpDate(text)) {
    // The same instant as ISO 8601 reads back the same (whole seconds only).
    FUZZ_CHECK(*t % 1000 == 0);
    FUZZ_CHECK(ParseUtcTimestamp(FormatUtcTimestamp(*t)) == t);
  }
  (void)ParseContentRangeTotal(text);
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size > 256 * 1024) return -1;
  const std::string_view body = fuzz::AsText(data, size);
  ListObjects(body);
  Parts(body);
  Uploads(body);
  Results(body);
  Headers(body);
  return 0;
}
