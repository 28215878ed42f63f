// What `spotbatch aws deploy` reads (adapters/aws/deploy_xml.h) and the bucket documents it
// edits (adapters/aws/s3_bucket_config.h): every input is given to every parser and edit.
// A parser's refusals are kInternal and short, what it accepts is within its bounds; an edit
// of any document it accepts gives one that the same edit then leaves unchanged (so a second
// deploy sends nothing), and taking spotbatch's entry out after putting it in leaves none.
#include <string>

#include "adapters/aws/deploy_xml.h"
#include "adapters/aws/s3_bucket_config.h"
#include "common/control_bytes.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

template <typename T>
void CheckRefusal(const Result<T>& r) {
  FUZZ_CHECK_MSG(r.status().code() == StatusCode::kInternal, r.status().ToString());
  FUZZ_CHECK_MSG(r.status().message().size() <= 300, r.status().message().substr(0, 400));
}

void CheckParsers(std::string_view body) {
  if (auto t = ParseDescribeLaunchTemplates(body); t.ok()) {
    for (const LaunchTemplateInfo& i : *t) {
      FUZZ_CHECK(!i.id.empty() && i.name.size() >= 3 && i.name.size() <= 128);
      FUZZ_CHECK(i.latest_version >= 1);
      for (const auto& [k, v] : i.tags) FUZZ_CHECK(!HasControlByte(k) && !HasControlByte(v));
    }
  } else {
    CheckRefusal(t);
  }
  if (auto roles = ParseInstanceProfileRoles(body); roles.ok()) {
    FUZZ_CHECK(roles->size() <= 10);
  } else {
    CheckRefusal(roles);
  }
  if (auto doc = ParseRolePolicyDocument(body); !doc.ok()) CheckRefusal(doc);
  if (auto hooks = ParseLifecycleHookNames(body); hooks.ok()) {
    for (const std::string& h : *hooks) FUZZ_CHECK(!h.empty() && h.size() <= 255);
  } else {
    CheckRefusal(hooks);
  }
}

void CheckEdits(std::string_view body) {
  const QueueNotification n{"spotbatch-events", "arn:aws:sqs:us-east-1:123456789012:events",
                            "claims/"};
  if (auto with = WithQueueNotification(body, n); with.ok()) {
    auto again = WithQueueNotification(with->document, n);
    FUZZ_CHECK_MSG(again.ok(), again.status().ToString());
    FUZZ_CHECK(!again->changed);
    auto without = WithoutQueueNotification(with->document, n.id);
    FUZZ_CHECK_MSG(without.ok(), without.status().ToString());
    FUZZ_CHECK(without->changed);
    FUZZ_CHECK(!WithoutQueueNotification(without->document, n.id)->changed);
  } else {
    FUZZ_CHECK(with.status().code() == StatusCode::kInternal);
  }
  const AbortUploadsRule rule{"spotbatch-abort-uploads", "_spotbatch/", 7};
  if (auto with = WithLifecycleRule(body, rule); with.ok()) {
    auto again = WithLifecycleRule(with->document, rule);
    FUZZ_CHECK_MSG(again.ok(), again.status().ToString());
    FUZZ_CHECK(!again->changed);
    auto without = WithoutLifecycleRule(with->document, rule.id);
    FUZZ_CHECK_MSG(without.ok(), without.status().ToString());
    FUZZ_CHECK(without->changed);
  } else {
    FUZZ_CHECK(with.status().code() == StatusCode::kInternal);
  }
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  spotbatch::CheckParsers(body);
  spotbatch::CheckEdits(body);
  return 0;
}
