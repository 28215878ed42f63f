#include "adapters/aws/s3_xml.h"

#include <algorithm>
#include <charconv>
#include <pugixml.hpp>

#include "common/control_bytes.h"
#include "common/time_format.h"
#include "core/object_key.h"

namespace spotbatch {
namespace {

constexpr size_t kMaxCodeBytes = 128;
constexpr size_t kMaxMessageBytes = 300;
constexpr size_t kQuoteBytes = 100;

Status Bad(std::string_view what, std::string_view field, std::string_view value = {}) {
  std::string m = "S3 " + std::string(what) + ": " + std::string(field);
  if (!value.empty()) m += " \"" + Quotable(value, kQuoteBytes) + "\"";
  return Internal(std::move(m));
}

// Parses `body` into `doc`; its root element must be named `root`.
Status Load(std::string_view body, std::string_view root, pugi::xml_document& doc,
            pugi::xml_node& out) {
  if (body.size() > kMaxS3XmlBytes) {
    return Internal("S3 " + std::string(root) + ": the answer is " + std::to_string(body.size()) +
                    " bytes, over the bound");
  }
  const pugi::xml_parse_result r =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) return Internal("S3 " + std::string(root) + ": not XML (" + r.description() + ")");
  out = doc.document_element();
  // moto names some roots after the operation ("ListPartsResponse" for S3's
  // "ListPartsResult"): the same document otherwise.
  static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
      {"ListPartsResult", "ListPartsResponse"},
      {"CompleteMultipartUploadResult", "CompleteMultipartUploadResponse"},
      {"ListMultipartUploadsResult", "ListMultipartUploadsResponse"},
      {"InitiateMultipartUploadResult", "CreateMultipartUploadResponse"},
      {"CopyPartResult", "UploadPartCopyResponse"},
      {"CopyObjectResult", "CopyObjectResponse"},
  };
  for (const auto& [name, alias] : kAliases) {
    if (root == name && std::string_view(out.name()) == alias) return Status::Ok();
  }
  if (std::string_view(out.name()) != root) {
    return Bad(root, "the answer's root element is", out.name());
  }
  return Status::Ok();
}

// The text of `node`'s only child element `name` (empty when absent).
std::string_view Text(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().get();
}

std::optional<uint64_t> Number(std::string_view text) {
  uint64_t v = 0;
  if (text.empty() || text.size() > 20) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// IsTruncated is "true" or "false" (absent: false).
Result<bool> Truncated(const pugi::xml_node& root, std::string_view what) {
  const std::string_view t = Text(root, "IsTruncated");
  if (t.empty() || t == "false") return false;
  if (t == "true") return true;
  return Bad(what, "IsTruncated is", t);
}

Result<std::string> Token(const pugi::xml_node& node, const char* name, std::string_view what) {
  const std::string_view t = Text(node, name);
  if (t.size() > kMaxS3TokenBytes || !IsPrintableAscii(t)) return Bad(what, name, t);
  return std::string(t);
}

bool OneOf(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (std::string_view c : codes) {
    if (code == c) return true;
  }
  return false;
}

}  // namespace

std::optional<S3Error> ParseS3Error(std::string_view body) {
  if (body.empty() || body.size() > kMaxS3XmlBytes) return std::nullopt;
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8)) {
    return std::nullopt;
  }
  const pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "Error") return std::nullopt;
  S3Error e;
  e.code = Quotable(Text(root, "Code"), kMaxCodeBytes);
  e.message = Quotable(Text(root, "Message"), kMaxMessageBytes);
  return e;
}

std::string UnquoteETag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  if (etag.empty() || etag.size() > kMaxS3ETagBytes || !IsPrintableAscii(etag) ||
      etag.find('"') != std::string_view::npos) {
    return "";
  }
  return std::string(etag);
}

Result<S3ObjectPage> ParseListObjectsV2(std::string_view body) {
  constexpr std::string_view kWhat = "ListBucketResult";
  pugi::xml_document doc;
  pugi::xml_node root;
  SB_RETURN_IF_ERROR(Load(body, kWhat, doc, root));
  S3ObjectPage page;
  for (const pugi::xml_node& c : root.children("Contents")) {
    S3ListedObject o;
    const std::string_view key = Text(c, "Key");
    if (key.empty() || key.size() > kMaxKeyBytes) return Bad(kWhat, "a Key of bad length", key);
    o.key = std::string(key);
    const std::optional<uint64_t> size = Number(Text(c, "Size"));
    if (!size) return Bad(kWhat, "the Size of", key);
    o.size = *size;
    o.etag = UnquoteETag(Text(c, "ETag"));
    if (o.etag.empty()) return Bad(kWhat, "the ETag of", key);
    const std::optional<int64_t> modified = ParseUtcTimestamp(Text(c, "LastModified"));
    if (!modified) return Bad(kWhat, "the LastModified of", key);
    o.modified_unix_millis = *modified;
    page.objects.push_back(std::move(o));
  }
  SB_ASSIGN_OR_RETURN(page.truncated, Truncated(root, kWhat));
  SB_ASSIGN_OR_RETURN(page.next_token, Token(root, "NextContinuationToken", kWhat));
  if (page.truncated && page.next_token.empty()) {
    return Bad(kWhat, "a truncated page without a NextContinuationToken");
  }
  return page;
}

Result<S3PartPage> ParseListParts(std::string_view body) {
  constexpr std::string_view kWhat = "ListPartsResult";
  pugi::xml_document doc;
  pugi::xml_node root;
  SB_RETURN_IF_ERROR(Load(body, kWhat, doc, root));
  S3PartPage page;
  for (const pugi::xml_node& p : root.children("Part")) {
    S3Part part;
    const std::string_view number_text = Text(p, "PartNumber");
    const std::optional<uint64_t> number = Number(number_text);
    if (!number || *number < 1 || *number > kMaxS3PartNumber) {
      return Bad(kWhat, "a PartNumber", number_text);
    }
    part.number = static_cast<int>(*number);
    const std::optional<uint64_t> size = Number(Text(p, "Size"));
    if (!size) return Bad(kWhat, "the Size of part", number_text);
    part.size = *size;
    part.etag = UnquoteETag(Text(p, "ETag"));
    if (part.etag.empty()) return Bad(kWhat, "the ETag of part", number_text);
    page.parts.push_back(std::move(part));
  }
  SB_ASSIGN_OR_RETURN(page.truncated, Truncated(root, kWhat));
  const std::string_view marker = Text(root, "NextPartNumberMarker");
  if (!marker.empty()) {
    const std::optional<uint64_t> m = Number(marker);
    if (!m || *m > kMaxS3PartNumber) return Bad(kWhat, "NextPartNumberMarker", marker);
    page.next_marker = static_cast<int>(*m);
  }
  if (page.truncated && page.next_marker == 0) {
    return Bad(kWhat, "a truncated page without a NextPartNumberMarker");
  }
  return page;
}

Result<S3UploadPage> ParseListMultipartUploads(std::string_view body) {
  constexpr std::string_view kWhat = "ListMultipartUploadsResult";
  pugi::xml_document doc;
  pugi::xml_node root;
  SB_RETURN_IF_ERROR(Load(body, kWhat, doc, root));
  S3UploadPage page;
  for (const pugi::xml_node& u : root.children("Upload")) {
    S3Upload upload;
    const std::string_view key = Text(u, "Key");
    if (key.empty() || key.size() > kMaxKeyBytes) return Bad(kWhat, "a Key of bad length", key);
    upload.key = std::string(key);
    const std::string_view id = Text(u, "UploadId");
    if (id.empty() || id.size() > kMaxS3TokenBytes || !IsPrintableAscii(id)) {
      return Bad(kWhat, "the UploadId of", key);
    }
    upload.upload_id = std::string(id);
    const std::string_view initiated = Text(u, "Initiated");
    if (!initiated.empty()) {
      const std::optional<int64_t> t = ParseUtcTimestamp(initiated);
      if (!t) return Bad(kWhat, "the Initiated of", key);
      upload.initiated_unix_millis = *t;
    }
    page.uploads.push_back(std::move(upload));
  }
  SB_ASSIGN_OR_RETURN(page.truncated, Truncated(root, kWhat));
  SB_ASSIGN_OR_RETURN(page.next_key_marker, Token(root, "NextKeyMarker", kWhat));
  SB_ASSIGN_OR_RETURN(page.next_upload_id_marker, Token(root, "NextUploadIdMarker", kWhat));
  if (page.next_key_marker.size() > kMaxKeyBytes) {
    return Bad(kWhat, "NextKeyMarker", page.next_key_marker);
  }
  if (page.truncated && page.next_key_marker.empty()) {
    return Bad(kWhat, "a truncated page without a NextKeyMarker");
  }
  return page;
}

Result<std::string> ParseInitiateMultipartUpload(std::string_view body) {
  constexpr std::string_view kWhat = "InitiateMultipartUploadResult";
  pugi::xml_document doc;
  pugi::xml_node root;
  SB_RETURN_IF_ERROR(Load(body, kWhat, doc, root));
  SB_ASSIGN_OR_RETURN(std::string id, Token(root, "UploadId", kWhat));
  if (id.empty()) return Bad(kWhat, "no UploadId");
  return id;
}

Result<std::string> ParseETagResult(std::string_view body, std::string_view root_name) {
  if (std::optional<S3Error> e = ParseS3Error(body)) {
    std::string m = std::string(root_name) + ": " + e->code;
    if (!e->message.empty()) m += ": " + e->message;
    m.resize(std::min<size_t>(m.size(), kMaxRefusalBytes));  // a code and message at their caps
    if (OneOf(e->code, {"InternalError", "SlowDown", "ServiceUnavailable", "RequestTimeout"})) {
      return Unavailable(std::move(m));
    }
    return Internal(std::move(m));
  }
  pugi::xml_document doc;
  pugi::xml_node root;
  SB_RETURN_IF_ERROR(Load(body, root_name, doc, root));
  std::string etag = UnquoteETag(Text(root, "ETag"));
  if (etag.empty()) return Bad(root_name, "no ETag, or a bad one", Text(root, "ETag"));
  return etag;
}

std::string CompleteMultipartUploadXml(const std::vector<S3Part>& parts) {
  // ETags are printable ASCII without '"' (UnquoteETag) but may hold '&' or '<' in theory:
  // pugixml escapes them.
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("CompleteMultipartUpload");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  for (const S3Part& p : parts) {
    pugi::xml_node part = root.append_child("Part");
    part.append_child("PartNumber").text().set(p.number);
    part.append_child("ETag").text().set(("\"" + p.etag + "\"").c_str());
  }
  struct Writer : pugi::xml_writer {
    std::string out;
    void write(const void* data, size_t size) override {
      out.append(static_cast<const char*>(data), size);
    }
  } writer;
  doc.save(writer, "", pugi::format_raw | pugi::format_no_declaration);
  return std::move(writer.out);
}

std::optional<int64_t> ParseHttpDate(std::string_view t) {
  // "Wed, 12 Oct 2009 17:50:00 GMT": fixed width, 29 bytes.
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (t.size() != 29 || t.substr(3, 2) != ", " || t[7] != ' ' || t[11] != ' ' || t[16] != ' ' ||
      t.substr(25) != " GMT") {
    return std::nullopt;
  }
  bool day_ok = false;
  for (std::string_view d : kDays) day_ok = day_ok || t.substr(0, 3) == d;
  int month = 0;
  for (int m = 0; m < 12; ++m) {
    if (t.substr(8, 3) == kMonths[m]) month = m + 1;
  }
  if (!day_ok || month == 0) return std::nullopt;
  for (size_t i : {5u, 6u, 12u, 13u, 14u, 15u}) {
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
  }
  // The rest as ISO 8601 for the one parser of dates: "2009-10-12T17:50:00Z".
  std::string iso;
  iso.append(t.substr(12, 4)).append("-");
  iso.append(month < 10 ? "0" : "").append(std::to_string(month)).append("-");
  iso.append(t.substr(5, 2)).append("T").append(t.substr(17, 8)).append("Z");
  return ParseUtcTimestamp(iso);
}

std::optional<uint64_t> ParseContentRangeTotal(std::string_view t) {
  if (!t.starts_with("bytes ")) return std::nullopt;
  const size_t slash = t.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return Number(t.substr(slash + 1));
}

}  // namespace spotbatch
