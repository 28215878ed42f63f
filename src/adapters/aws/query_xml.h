// What the parsers of query-protocol answers (ec2_xml.h, asg_xml.h) share: loading a bounded
// document and checking its root, naming what was wrong in a short kInternal, and the checks
// of names, integers and tokens. Internal to those parsers.
#pragma once

#include <map>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "spotbatch/status.h"

namespace spotbatch {

// A price page holds at most 1000 items of ~300 bytes, but DescribeAutoScalingGroups lists
// every instance of a group in one answer: 10,000 instances of ~350 bytes are 3.5 MB.
inline constexpr size_t kMaxQueryXmlBytes = 16 << 20;
inline constexpr size_t kMaxQueryNameBytes = 64;     // zones, instance types, ids, states
inline constexpr size_t kMaxQueryTokenBytes = 4096;  // NextToken
inline constexpr int kMaxQueryItems = 100'000;       // a group of 10,000 instances, with tags

// kInternal "<what>: <field> "<value, quoted, at most ~100 bytes>"". `what`: "EC2
// DescribeSpotPriceHistory", the service and action.
Status QueryXmlBad(std::string_view what, std::string_view field, std::string_view value);

// The root of `body` parsed into `doc`, when it is the document `root_name`; kInternal for a
// body over kMaxQueryXmlBytes, one that is not XML, or another document.
Result<pugi::xml_node> LoadQueryXmlRoot(pugi::xml_document& doc, std::string_view body,
                                        std::string_view what, std::string_view root_name);

// The text of `node`'s `child` as a page token: at most kMaxQueryTokenBytes printable bytes.
Result<std::string> QueryXmlToken(std::string_view what, pugi::xml_node node, const char* child);

// 1..kMaxQueryNameBytes of [a-z0-9.-]: zones, regions, instance types and ids.
bool IsQueryName(std::string_view s);

// The tags under `tags` (each child `item` holding `key_name` and `value_name`) into `out`:
// keys of 1..128 and values of 0..256 bytes without control bytes, as AWS allows; each tag
// counts against `items` (kMaxQueryItems in all).
Status ReadQueryXmlTags(std::string_view what, pugi::xml_node tags, const char* item,
                        const char* key_name, const char* value_name, int& items,
                        std::map<std::string, std::string>* out);

// A decimal integer in [min, max], digits only (no sign, spaces or exponent).
std::optional<int> QueryXmlInt(std::string_view text, int min, int max);

}  // namespace spotbatch
