// The worker's scale-in protection against its instance's local metadata server, over real
// HTTP on loopback.
#include "adapters/local/local_protection.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include "adapters/local/local_imds_server.h"
#include "common/fake_clock.h"

namespace spotbatch {
namespace {

class LocalProtectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = LocalImdsServer::Start(clock_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    // A generous timeout: no case here waits on purpose, and 500 ms was exceeded once on two
    // busy cores during a full ctest run.
    auto p = NewLocalScaleInProtection(server_->endpoint(), 10'000);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    protection_ = std::move(*p);
  }
  FakeClock clock_{1'764'000'000'000};
  std::unique_ptr<LocalImdsServer> server_;
  std::unique_ptr<ScaleInProtection> protection_;
};

TEST_F(LocalProtectionTest, TheWorkerProtectsItsInstanceAndLiftsIt) {
  EXPECT_FALSE(server_->protected_from_scale_in());
  ASSERT_TRUE(protection_->Protect(true).ok());
  EXPECT_TRUE(server_->protected_from_scale_in());
  ASSERT_TRUE(protection_->Protect(false).ok());
  EXPECT_FALSE(server_->protected_from_scale_in());
  EXPECT_EQ(server_->token_requests(), 1) << "one token serves every call";
}

TEST_F(LocalProtectionTest, ARevokedTokenIsRenewedOnce) {
  ASSERT_TRUE(protection_->Protect(true).ok());
  server_->RevokeTokens();
  ASSERT_TRUE(protection_->Protect(false).ok());
  EXPECT_FALSE(server_->protected_from_scale_in());
  EXPECT_EQ(server_->token_requests(), 2);
}

TEST_F(LocalProtectionTest, AFailingServerIsUnavailableAndChangesNothing) {
  ASSERT_TRUE(protection_->Protect(true).ok());
  server_->FailNextRequests(1, 500);
  EXPECT_EQ(protection_->Protect(false).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(server_->protected_from_scale_in());
  server_->Reclaim();
  EXPECT_EQ(protection_->Protect(false).code(), StatusCode::kUnavailable) << "the instance is gone";
}

TEST_F(LocalProtectionTest, TheServerRefusesRequestsWithoutATokenOrWithABadBody) {
  httplib::Client raw(server_->endpoint());
  auto res = raw.Put(kProtectionPath, "true", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  auto token = raw.Put("/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}}, "",
                       "text/plain");
  ASSERT_TRUE(token && token->status == 200);
  res = raw.Put(kProtectionPath, {{"X-aws-ec2-metadata-token", token->body}}, "yes please",
                "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_FALSE(server_->protected_from_scale_in());
}

TEST(LocalProtection, OnlyALoopbackServerIsAccepted) {
  EXPECT_EQ(NewLocalScaleInProtection("http://169.254.169.254").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(NewLocalScaleInProtection("http://127.0.0.1:9").ok());
}

}  // namespace
}  // namespace spotbatch
