// The answers deploy reads, as EC2, IAM and Auto Scaling (and moto) write them.
#include "adapters/aws/deploy_xml.h"

#include <gtest/gtest.h>

namespace spotbatch {
namespace {

TEST(ParseDescribeLaunchTemplates, ReadsIdsVersionsAndTags) {
  auto t = ParseDescribeLaunchTemplates(
      "<DescribeLaunchTemplatesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15\">"
      "<launchTemplates><item><launchTemplateId>lt-81b6bc4354baa3ae5</launchTemplateId>"
      "<launchTemplateName>spotbatch-q-worker</launchTemplateName>"
      "<latestVersionNumber>2</latestVersionNumber><tagSet><item><key>spotbatch:spec</key>"
      "<value>20aec4e5</value></item></tagSet></item></launchTemplates>"
      "</DescribeLaunchTemplatesResponse>");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ(
      (*t)[0],
      (LaunchTemplateInfo{
          "lt-81b6bc4354baa3ae5", "spotbatch-q-worker", 2, {{"spotbatch:spec", "20aec4e5"}}}));
  EXPECT_EQ(ParseDescribeLaunchTemplates(
                "<DescribeLaunchTemplatesResponse><launchTemplates><item><launchTemplateId>lt-1"
                "</launchTemplateId><launchTemplateName>a b</launchTemplateName>"
                "<latestVersionNumber>1</latestVersionNumber></item></launchTemplates>"
                "</DescribeLaunchTemplatesResponse>")
                .status()
                .code(),
            StatusCode::kInternal);
}

TEST(ParseRolePolicyDocument, DecodesWhatIamEncodes) {
  auto doc = ParseRolePolicyDocument(
      "<GetRolePolicyResponse><GetRolePolicyResult><PolicyDocument>%7B%22a%22%3A%22b+c%22%7D"
      "</PolicyDocument></GetRolePolicyResult></GetRolePolicyResponse>");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(*doc, "{\"a\":\"b+c\"}");
  EXPECT_EQ(
      ParseRolePolicyDocument("<GetRolePolicyResponse><GetRolePolicyResult><PolicyDocument>"
                              "%7"
                              "</PolicyDocument></GetRolePolicyResult></GetRolePolicyResponse>")
          .status()
          .code(),
      StatusCode::kInternal);
}

TEST(ParseInstanceProfileRolesAndHooks, ReadTheirNames) {
  auto roles = ParseInstanceProfileRoles(
      "<GetInstanceProfileResponse><GetInstanceProfileResult><InstanceProfile><Roles><member>"
      "<RoleName>dp-worker</RoleName></member></Roles></InstanceProfile></GetInstanceProfileResult>"
      "</GetInstanceProfileResponse>");
  ASSERT_TRUE(roles.ok());
  EXPECT_EQ(*roles, (std::vector<std::string>{"dp-worker"}));
  auto hooks = ParseLifecycleHookNames(
      "<DescribeLifecycleHooksResponse><DescribeLifecycleHooksResult><LifecycleHooks><member>"
      "<LifecycleHookName>spotbatch-drain</LifecycleHookName></member></LifecycleHooks>"
      "</DescribeLifecycleHooksResult></DescribeLifecycleHooksResponse>");
  ASSERT_TRUE(hooks.ok());
  EXPECT_EQ(*hooks, (std::vector<std::string>{"spotbatch-drain"}));
  EXPECT_FALSE(ParseLifecycleHookNames("<Other/>").ok());
}

}  // namespace
}  // namespace spotbatch
