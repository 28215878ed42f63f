#include "adapters/aws/deploy_xml.h"

#include "adapters/aws/query_xml.h"

namespace spotbatch {
namespace {

constexpr size_t kMaxPolicyBytes = 10'240;  // IAM's limit on an inline role policy

bool IsTemplateName(std::string_view s) {
  if (s.size() < 3 || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '(' || c == ')' || c == '.' || c == '-' || c == '/' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// 1..128 characters of IAM's name set, as roles and hooks use.
bool IsIamName(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("+=,.@_-").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The IAM-style names under `list` (each `member` holding `child`), at most `max`.
Result<std::vector<std::string>> Names(std::string_view what, pugi::xml_node list,
                                       const char* child, size_t max) {
  std::vector<std::string> names;
  for (pugi::xml_node m : list.children("member")) {
    if (names.size() >= max) return QueryXmlBad(what, "too many members", "");
    std::string name = m.child(child).text().get();
    if (!IsIamName(name)) return QueryXmlBad(what, child, name);
    names.push_back(std::move(name));
  }
  return names;
}

}  // namespace

Result<std::vector<LaunchTemplateInfo>> ParseDescribeLaunchTemplates(std::string_view body) {
  constexpr std::string_view what = "EC2 DescribeLaunchTemplates";
  pugi::xml_document doc;
  SB_ASSIGN_OR_RETURN(const pugi::xml_node root,
                      LoadQueryXmlRoot(doc, body, what, "DescribeLaunchTemplatesResponse"));
  std::vector<LaunchTemplateInfo> out;
  int items = 0;
  for (pugi::xml_node item : root.child("launchTemplates").children("item")) {
    if (++items > kMaxQueryItems) return QueryXmlBad(what, "too many items", "");
    LaunchTemplateInfo t;
    t.id = item.child("launchTemplateId").text().get();
    if (!IsQueryName(t.id)) return QueryXmlBad(what, "launchTemplateId", t.id);
    t.name = item.child("launchTemplateName").text().get();
    if (!IsTemplateName(t.name)) return QueryXmlBad(what, "launchTemplateName", t.name);
    const auto version =
        QueryXmlInt(item.child("latestVersionNumber").text().get(), 1, 1'000'000'000);
    if (!version) {
      return QueryXmlBad(what, "latestVersionNumber",
                         item.child("latestVersionNumber").text().get());
    }
    t.latest_version = *version;
    // EC2 writes an item's tags as tagSet; its API reference calls them tags.
    pugi::xml_node tags = item.child("tagSet");
    if (tags.empty()) tags = item.child("tags");
    SB_RETURN_IF_ERROR(ReadQueryXmlTags(what, tags, "item", "key", "value", items, &t.tags));
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<std::string>> ParseInstanceProfileRoles(std::string_view body) {
  constexpr std::string_view what = "IAM GetInstanceProfile";
  pugi::xml_document doc;
  SB_ASSIGN_OR_RETURN(const pugi::xml_node root,
                      LoadQueryXmlRoot(doc, body, what, "GetInstanceProfileResponse"));
  return Names(what, root.child("GetInstanceProfileResult").child("InstanceProfile").child("Roles"),
               "RoleName", 10);
}

Result<std::string> ParseRolePolicyDocument(std::string_view body) {
  constexpr std::string_view what = "IAM GetRolePolicy";
  pugi::xml_document doc;
  SB_ASSIGN_OR_RETURN(const pugi::xml_node root,
                      LoadQueryXmlRoot(doc, body, what, "GetRolePolicyResponse"));
  const std::string_view encoded =
      root.child("GetRolePolicyResult").child("PolicyDocument").text().get();
  if (encoded.size() > 3 * kMaxPolicyBytes) return QueryXmlBad(what, "PolicyDocument size", "");
  std::string out;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%') {
      const int hi = i + 2 < encoded.size() ? HexValue(encoded[i + 1]) : -1;
      const int lo = hi >= 0 ? HexValue(encoded[i + 2]) : -1;
      if (lo < 0) return QueryXmlBad(what, "PolicyDocument escape", encoded.substr(i, 3));
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += encoded[i];
    }
  }
  return out;
}

Result<std::vector<std::string>> ParseLifecycleHookNames(std::string_view body) {
  constexpr std::string_view what = "Auto Scaling DescribeLifecycleHooks";
  pugi::xml_document doc;
  SB_ASSIGN_OR_RETURN(const pugi::xml_node root,
                      LoadQueryXmlRoot(doc, body, what, "DescribeLifecycleHooksResponse"));
  return Names(what, root.child("DescribeLifecycleHooksResult").child("LifecycleHooks"),
               "LifecycleHookName", 50);
}

}  // namespace spotbatch
