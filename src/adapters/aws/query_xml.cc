#include "adapters/aws/query_xml.h"

#include <charconv>

#include "common/control_bytes.h"

namespace spotbatch {

Status QueryXmlBad(std::string_view what, std::string_view field, std::string_view value) {
  return Internal(std::string(what) + ": " + std::string(field) + " \"" + Quotable(value, 100) +
                  "\"");
}

Status ReadQueryXmlTags(std::string_view what, pugi::xml_node tags, const char* item,
                        const char* key_name, const char* value_name, int& items,
                        std::map<std::string, std::string>* out) {
  for (pugi::xml_node tag : tags.children(item)) {
    if (++items > kMaxQueryItems) return QueryXmlBad(what, "too many items", "");
    const std::string_view key = tag.child(key_name).text().get();
    const std::string_view value = tag.child(value_name).text().get();
    if (key.empty() || key.size() > 128 || value.size() > 256 || HasControlByte(key) ||
        HasControlByte(value)) {
      return QueryXmlBad(what, "a tag that is not 1..128 and 0..256 printable characters", key);
    }
    (*out)[std::string(key)] = std::string(value);
  }
  return Status::Ok();
}

Result<pugi::xml_node> LoadQueryXmlRoot(pugi::xml_document& doc, std::string_view body,
                                        std::string_view what, std::string_view root_name) {
  if (body.size() > kMaxQueryXmlBytes) {
    return Internal(std::string(what) + ": the answer is " + std::to_string(body.size()) +
                    " bytes, over the bound");
  }
  const pugi::xml_parse_result r =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) return Internal(std::string(what) + ": not XML (" + r.description() + ")");
  const pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != root_name) {
    return QueryXmlBad(what, "the answer's root element is", root.name());
  }
  return root;
}

Result<std::string> QueryXmlToken(std::string_view what, pugi::xml_node node, const char* child) {
  std::string token = node.child(child).text().get();
  if (token.size() > kMaxQueryTokenBytes || !IsPrintableAscii(token)) {
    return QueryXmlBad(what, child, token);
  }
  return token;
}

bool IsQueryName(std::string_view s) {
  if (s.empty() || s.size() > kMaxQueryNameBytes) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  return true;
}

std::optional<int> QueryXmlInt(std::string_view text, int min, int max) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    return std::nullopt;
  }
  return static_cast<int>(v);
}

}  // namespace spotbatch
