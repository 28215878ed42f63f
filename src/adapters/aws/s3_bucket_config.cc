#include "adapters/aws/s3_bucket_config.h"

#include <pugixml.hpp>
#include <sstream>

namespace spotbatch {
namespace {

constexpr size_t kMaxDocumentBytes = 1 << 20;
constexpr char kS3Namespace[] = "http://s3.amazonaws.com/doc/2006-03-01/";

// `existing` parsed, or a fresh document with `root_name` when it is empty.
Result<pugi::xml_node> Load(pugi::xml_document& doc, std::string_view existing,
                            const char* root_name) {
  if (existing.size() > kMaxDocumentBytes) {
    return Internal(std::string("S3 ") + root_name + ": over 1 MiB");
  }
  const bool blank = existing.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (!blank) {
    const pugi::xml_parse_result parsed = doc.load_buffer(existing.data(), existing.size());
    if (!parsed) return Internal(std::string("S3 ") + root_name + ": not XML");
  }
  pugi::xml_node root = doc.child(root_name);
  // moto answers GetBucketNotificationConfiguration with this root; S3 with the document's.
  if (pugi::xml_node moto = doc.child("GetBucketNotificationResponse");
      root.empty() && !moto.empty() && std::string_view(root_name) == "NotificationConfiguration") {
    moto.set_name(root_name);
    root = moto;
  }
  if (root.empty()) {
    if (!blank) return Internal(std::string("S3: not a ") + root_name);
    root = doc.append_child(root_name);
    root.append_attribute("xmlns").set_value(kS3Namespace);
  }
  return root;
}

std::string Save(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}

pugi::xml_node ChildWithText(pugi::xml_node parent, const char* name, const char* child,
                             std::string_view text) {
  for (pugi::xml_node n : parent.children(name)) {
    if (text == n.child(child).text().get()) return n;
  }
  return {};
}

bool SameNotification(pugi::xml_node n, const QueueNotification& want) {
  if (want.queue_arn != n.child("Queue").text().get()) return false;
  int events = 0;
  for (pugi::xml_node e : n.children("Event")) {
    if (std::string_view(e.text().get()) != "s3:ObjectCreated:*") return false;
    ++events;
  }
  int rules = 0;
  bool prefix = false;
  for (pugi::xml_node r : n.child("Filter").child("S3Key").children("FilterRule")) {
    ++rules;
    prefix = std::string_view(r.child("Name").text().get()) == "prefix" &&
             want.prefix == r.child("Value").text().get();
  }
  return events == 1 && (want.prefix.empty() ? rules == 0 : rules == 1 && prefix);
}

bool SameRule(pugi::xml_node r, const AbortUploadsRule& want) {
  return want.prefix == r.child("Filter").child("Prefix").text().get() &&
         std::string_view(r.child("Status").text().get()) == "Enabled" &&
         r.child("AbortIncompleteMultipartUpload").child("DaysAfterInitiation").text().as_int() ==
             want.days &&
         r.child("Expiration").empty() && r.child("Transition").empty();
}

// A document whose entries are found by an id child: spotbatch's entry is put in, checked or
// taken out alike in each.
struct EntryKind {
  const char* root;
  const char* entry;
  const char* id;
  bool other_entries_count;  // empty only when no child of any kind is left
};
constexpr EntryKind kNotifications{"NotificationConfiguration", "QueueConfiguration", "Id", true};
constexpr EntryKind kLifecycle{"LifecycleConfiguration", "Rule", "ID", false};

// `existing` with the entry `id` as `same` accepts it, or else replaced by one `write` fills.
template <typename Same, typename Write>
Result<BucketConfigEdit> WithEntry(std::string_view existing, const EntryKind& kind,
                                   const std::string& id, Same same, Write write) {
  pugi::xml_document doc;
  SB_ASSIGN_OR_RETURN(pugi::xml_node root, Load(doc, existing, kind.root));
  BucketConfigEdit edit;
  pugi::xml_node ours = ChildWithText(root, kind.entry, kind.id, id);
  if (ours.empty() || !same(ours)) {
    if (!ours.empty()) root.remove_child(ours);
    pugi::xml_node fresh = root.append_child(kind.entry);
    fresh.append_child(kind.id).text().set(id.c_str());
    write(fresh);
    edit.changed = true;
  }
  edit.document = Save(doc);
  return edit;
}

Result<BucketConfigEdit> WithoutEntry(std::string_view existing, const EntryKind& kind,
                                      std::string_view id) {
  pugi::xml_document doc;
  SB_ASSIGN_OR_RETURN(pugi::xml_node root, Load(doc, existing, kind.root));
  BucketConfigEdit edit;
  if (pugi::xml_node ours = ChildWithText(root, kind.entry, kind.id, id); !ours.empty()) {
    root.remove_child(ours);
    edit.changed = true;
  }
  edit.empty =
      kind.other_entries_count ? root.first_child().empty() : root.child(kind.entry).empty();
  edit.document = Save(doc);
  return edit;
}

}  // namespace

Result<BucketConfigEdit> WithQueueNotification(std::string_view existing,
                                               const QueueNotification& want) {
  return WithEntry(
      existing, kNotifications, want.id,
      [&](pugi::xml_node n) { return SameNotification(n, want); },
      [&](pugi::xml_node q) {
        q.append_child("Queue").text().set(want.queue_arn.c_str());
        q.append_child("Event").text().set("s3:ObjectCreated:*");
        if (want.prefix.empty()) return;
        pugi::xml_node rule =
            q.append_child("Filter").append_child("S3Key").append_child("FilterRule");
        rule.append_child("Name").text().set("prefix");
        rule.append_child("Value").text().set(want.prefix.c_str());
      });
}

Result<BucketConfigEdit> WithoutQueueNotification(std::string_view existing, std::string_view id) {
  return WithoutEntry(existing, kNotifications, id);
}

Result<BucketConfigEdit> WithLifecycleRule(std::string_view existing,
                                           const AbortUploadsRule& want) {
  return WithEntry(
      existing, kLifecycle, want.id, [&](pugi::xml_node r) { return SameRule(r, want); },
      [&](pugi::xml_node r) {
        r.append_child("Filter").append_child("Prefix").text().set(want.prefix.c_str());
        r.append_child("Status").text().set("Enabled");
        r.append_child("AbortIncompleteMultipartUpload")
            .append_child("DaysAfterInitiation")
            .text()
            .set(want.days);
      });
}

Result<BucketConfigEdit> WithoutLifecycleRule(std::string_view existing, std::string_view id) {
  return WithoutEntry(existing, kLifecycle, id);
}

}  // namespace spotbatch
