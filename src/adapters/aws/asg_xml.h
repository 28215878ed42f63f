// The XML of Auto Scaling's answers that the EC2 fleet reads: pages of
// DescribeAutoScalingGroups and of DescribeScalingActivities. Auto Scaling speaks the query
// protocol with `<member>` lists; its answers are untrusted input: a body over kMaxEc2XmlBytes is
// refused, every field is bounded and checked, and a refusal is kInternal quoting at most about 100
// bytes of what was wrong. (Its error documents, <ErrorResponse><Error>, are read by
// aws_json_error.h.) No parser here crashes or throws on any input (fuzz/asg_xml_fuzzer.cc).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

inline constexpr size_t kMaxAsgNameBytes = 255;  // group names: 1..255 printable bytes
inline constexpr int kMaxAsgSize = 100'000;      // far above any group's MaxSize

struct AsgInstance {
  std::string id;               // "i-0123456789abcdef0"
  std::string instance_type;    // "c5.xlarge"; empty where the answer has none
  std::string zone;             // "us-east-1a"
  std::string lifecycle_state;  // "Pending", "InService", "Terminating:Wait", ...
  std::string health;           // "Healthy" or "Unhealthy"
  bool protected_from_scale_in = false;
  bool operator==(const AsgInstance&) const = default;
};

struct AsgGroup {
  std::string name;
  int min_size = 0;
  int max_size = 0;
  int desired_capacity = 0;
  std::vector<AsgInstance> instances;
  std::map<std::string, std::string> tags;  // Key -> Value
  bool operator==(const AsgGroup&) const = default;
};

struct AsgPage {
  std::vector<AsgGroup> groups;
  std::string next_token;  // empty on the last page
};

// A DescribeAutoScalingGroupsResponse. kInternal for another document, a group name that is
// not 1..255 printable bytes, sizes that are not integers in 0..kMaxAsgSize, an instance id,
// type or zone that is not 1..64 bytes of [a-z0-9.-], a lifecycle state or health that is not
// 1..64 bytes of letters and ':', ProtectedFromScaleIn other than "true" or "false", or a
// token over 4096 bytes or not printable.
Result<AsgPage> ParseDescribeAutoScalingGroups(std::string_view body);

// A DescribeAutoScalingInstancesResponse: each instance with the group it is in (the
// instance's own question: which group am I in). The checks as above.
struct AsgMembership {
  AsgInstance instance;
  std::string group;
};
Result<std::vector<AsgMembership>> ParseDescribeAutoScalingInstances(std::string_view body);

// One scaling activity of a group: how Auto Scaling tells that a launch failed, minutes
// after the desired capacity was raised ("Failed" or "Cancelled", the cause in the message).
inline constexpr size_t kMaxAsgActivityTextBytes = 4096;
struct AsgActivity {
  std::string id;
  std::string group;
  std::string status_code;     // "Successful", "Failed", "Cancelled", "InProgress", ...
  std::string description;     // "Launching a new EC2 instance: i-...", "Terminating ..."
  std::string status_message;  // the cause of a failure; empty otherwise
  int64_t start_unix_millis = 0;
  bool operator==(const AsgActivity&) const = default;
  // A launch that did not happen.
  bool FailedLaunch() const {
    return (status_code == "Failed" || status_code == "Cancelled") &&
           description.starts_with("Launching a new EC2 instance");
  }
};
struct AsgActivityPage {
  std::vector<AsgActivity> activities;  // newest first, as Auto Scaling lists them
  std::string next_token;
};
// A DescribeScalingActivitiesResponse. kInternal for another document, an activity id that is
// not 1..64 bytes of [a-z0-9.-], a group name as above, a status code that is not 1..64
// letters, a description or message over kMaxAsgActivityTextBytes or holding control bytes
// other than tab and newline, a StartTime that is not a UTC timestamp, or a bad token.
Result<AsgActivityPage> ParseDescribeScalingActivities(std::string_view body);

}  // namespace spotbatch
