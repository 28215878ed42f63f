#include "adapters/aws/asg_xml.h"

#include <algorithm>

#include "adapters/aws/query_xml.h"
#include "common/control_bytes.h"
#include "common/time_format.h"

namespace spotbatch {
namespace {

constexpr std::string_view kWhat = "Auto Scaling DescribeAutoScalingGroups";
constexpr std::string_view kWhatInstances = "Auto Scaling DescribeAutoScalingInstances";
constexpr std::string_view kWhatActivities = "Auto Scaling DescribeScalingActivities";

Status CheckGroupName(std::string_view what, const std::string& name) {
  if (name.empty() || name.size() > kMaxAsgNameBytes || !IsPrintableAscii(name)) {
    return QueryXmlBad(what, "AutoScalingGroupName", name);
  }
  return Status::Ok();
}

bool IsState(std::string_view s) {
  if (s.empty() || s.size() > kMaxQueryNameBytes) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ':')) return false;
  }
  return true;
}

// Activity texts are prose that may run over lines.
bool IsStrayControl(char c) { return IsControlByte(c) && c != '\n' && c != '\t'; }

Result<int> Size(pugi::xml_node group, const char* field) {
  const std::string_view text = group.child(field).text().get();
  const std::optional<int> v = QueryXmlInt(text, 0, kMaxAsgSize);
  if (!v) return QueryXmlBad(kWhat, field, text);
  return *v;
}

Result<AsgInstance> Instance(pugi::xml_node member, std::string_view what) {
  AsgInstance in;
  in.id = member.child("InstanceId").text().get();
  in.instance_type = member.child("InstanceType").text().get();
  in.zone = member.child("AvailabilityZone").text().get();
  in.lifecycle_state = member.child("LifecycleState").text().get();
  in.health = member.child("HealthStatus").text().get();
  if (!IsQueryName(in.id)) return QueryXmlBad(what, "InstanceId", in.id);
  // moto leaves it out for instances of a mixed-instances policy whose launch template names
  // no type (AWS always writes it): absent is allowed, anything else is checked.
  if (!in.instance_type.empty() && !IsQueryName(in.instance_type)) {
    return QueryXmlBad(what, "InstanceType", in.instance_type);
  }
  if (!IsQueryName(in.zone)) return QueryXmlBad(what, "AvailabilityZone", in.zone);
  if (!IsState(in.lifecycle_state)) return QueryXmlBad(what, "LifecycleState", in.lifecycle_state);
  if (!IsState(in.health)) return QueryXmlBad(what, "HealthStatus", in.health);
  const std::string_view protect = member.child("ProtectedFromScaleIn").text().get();
  if (protect != "true" && protect != "false") {
    return QueryXmlBad(what, "ProtectedFromScaleIn", protect);
  }
  in.protected_from_scale_in = protect == "true";
  return in;
}

}  // namespace

Result<AsgPage> ParseDescribeAutoScalingGroups(std::string_view body) {
  pugi::xml_document doc;
  SB_ASSIGN_OR_RETURN(const pugi::xml_node root,
                      LoadQueryXmlRoot(doc, body, kWhat, "DescribeAutoScalingGroupsResponse"));
  const pugi::xml_node result = root.child("DescribeAutoScalingGroupsResult");
  AsgPage page;
  int items = 0;
  for (pugi::xml_node member : result.child("AutoScalingGroups").children("member")) {
    if (++items > kMaxQueryItems) return QueryXmlBad(kWhat, "too many items", "");
    AsgGroup g;
    g.name = member.child("AutoScalingGroupName").text().get();
    SB_RETURN_IF_ERROR(CheckGroupName(kWhat, g.name));
    SB_ASSIGN_OR_RETURN(g.min_size, Size(member, "MinSize"));
    SB_ASSIGN_OR_RETURN(g.max_size, Size(member, "MaxSize"));
    SB_ASSIGN_OR_RETURN(g.desired_capacity, Size(member, "DesiredCapacity"));
    for (pugi::xml_node in : member.child("Instances").children("member")) {
      if (++items > kMaxQueryItems) return QueryXmlBad(kWhat, "too many items", "");
      SB_ASSIGN_OR_RETURN(AsgInstance instance, Instance(in, kWhat));
      g.instances.push_back(std::move(instance));
    }
    // Tags: at most 50 a group in Auto Scaling.
    SB_RETURN_IF_ERROR(
        ReadQueryXmlTags(kWhat, member.child("Tags"), "member", "Key", "Value", items, &g.tags));
    page.groups.push_back(std::move(g));
  }
  SB_ASSIGN_OR_RETURN(page.next_token, QueryXmlToken(kWhat, result, "NextToken"));
  return page;
}

Result<std::vector<AsgMembership>> ParseDescribeAutoScalingInstances(std::string_view body) {
  pugi::xml_document doc;
  SB_ASSIGN_OR_RETURN(
      const pugi::xml_node root,
      LoadQueryXmlRoot(doc, body, kWhatInstances, "DescribeAutoScalingInstancesResponse"));
  std::vector<AsgMembership> out;
  int items = 0;
  for (pugi::xml_node member : root.child("DescribeAutoScalingInstancesResult")
                                   .child("AutoScalingInstances")
                                   .children("member")) {
    if (++items > kMaxQueryItems) return QueryXmlBad(kWhatInstances, "too many items", "");
    AsgMembership m;
    SB_ASSIGN_OR_RETURN(m.instance, Instance(member, kWhatInstances));
    m.group = member.child("AutoScalingGroupName").text().get();
    SB_RETURN_IF_ERROR(CheckGroupName(kWhatInstances, m.group));
    out.push_back(std::move(m));
  }
  return out;
}

Result<AsgActivityPage> ParseDescribeScalingActivities(std::string_view body) {
  pugi::xml_document doc;
  SB_ASSIGN_OR_RETURN(
      const pugi::xml_node root,
      LoadQueryXmlRoot(doc, body, kWhatActivities, "DescribeScalingActivitiesResponse"));
  const pugi::xml_node result = root.child("DescribeScalingActivitiesResult");
  AsgActivityPage page;
  int items = 0;
  for (pugi::xml_node member : result.child("Activities").children("member")) {
    if (++items > kMaxQueryItems) return QueryXmlBad(kWhatActivities, "too many items", "");
    AsgActivity a;
    a.id = member.child("ActivityId").text().get();
    a.group = member.child("AutoScalingGroupName").text().get();
    a.status_code = member.child("StatusCode").text().get();
    a.description = member.child("Description").text().get();
    a.status_message = member.child("StatusMessage").text().get();
    if (!IsQueryName(a.id)) return QueryXmlBad(kWhatActivities, "ActivityId", a.id);
    SB_RETURN_IF_ERROR(CheckGroupName(kWhatActivities, a.group));
    if (!IsState(a.status_code)) return QueryXmlBad(kWhatActivities, "StatusCode", a.status_code);
    for (const auto& [field, text] : {std::pair{"Description", &a.description},
                                      std::pair{"StatusMessage", &a.status_message}}) {
      if (text->size() > kMaxAsgActivityTextBytes ||
          std::any_of(text->begin(), text->end(), IsStrayControl)) {
        return QueryXmlBad(kWhatActivities, field, *text);
      }
    }
    const std::string_view start = member.child("StartTime").text().get();
    const std::optional<int64_t> millis = ParseUtcTimestamp(start);
    if (!millis) return QueryXmlBad(kWhatActivities, "StartTime", start);
    a.start_unix_millis = *millis;
    page.activities.push_back(std::move(a));
  }
  SB_ASSIGN_OR_RETURN(page.next_token, QueryXmlToken(kWhatActivities, result, "NextToken"));
  return page;
}

}  // namespace spotbatch
