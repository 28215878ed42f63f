// The IMDSv2 client against the local instance-metadata server, over real HTTP on loopback.
// Both follow one FakeClock, so token expiry and notice times are set by the test.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>

#include "adapters/aws/imds_client.h"
#include "adapters/local/local_imds_server.h"
#include "common/fake_clock.h"
#include "common/time_format.h"

namespace spotbatch {
namespace {

class ImdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = LocalImdsServer::Start(clock_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    client_ = NewClient(300);
  }
  std::unique_ptr<InstanceMetadata> NewClient(int64_t timeout_millis, int64_t ttl = 21600) {
    auto c = NewImdsClient({server_->endpoint(), ttl, timeout_millis}, clock_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  FakeClock clock_{1'764'000'000'000};
  std::unique_ptr<LocalImdsServer> server_;
  std::unique_ptr<InstanceMetadata> client_;
};

TEST_F(ImdsTest, NothingPendingIsEmptyNotices) {
  auto n = client_->Poll();
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, MetadataNotices{});
  EXPECT_EQ(server_->token_requests(), 1);
}

TEST_F(ImdsTest, InterruptionNoticeAppearsAtItsTime) {
  const int64_t now = clock_.NowUnixMillis();
  server_->ScheduleInterruption(now + 10'000, now + 130'000, SpotAction::kStop);
  ASSERT_FALSE(client_->Poll()->interruption.has_value());
  clock_.Advance(10'000);
  auto n = client_->Poll();
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_TRUE(n->interruption.has_value());
  EXPECT_EQ(n->interruption->action, SpotAction::kStop);
  EXPECT_EQ(n->interruption->time_unix_millis, now + 130'000);
}

TEST_F(ImdsTest, RebalanceAndLifecycleTogetherWithNotice) {
  const int64_t now = clock_.NowUnixMillis() / 1000 * 1000;
  server_->ScheduleRebalance(now);
  server_->ScheduleInterruption(now, now + 120'000);
  server_->SetTargetLifecycleState("Terminated");
  auto n = client_->Poll();
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->rebalance_unix_millis, now);
  ASSERT_TRUE(n->interruption.has_value());
  EXPECT_EQ(n->interruption->action, SpotAction::kTerminate);
  EXPECT_EQ(n->target_lifecycle_state, "Terminated");
}

TEST_F(ImdsTest, ExpiredTokenIsRenewedOn401) {
  auto client = NewClient(300, /*ttl=*/60);
  ASSERT_TRUE(client->Poll().ok());
  server_->RevokeTokens();  // the server forgets it: the next GET answers 401
  ASSERT_TRUE(client->Poll().ok());
  EXPECT_EQ(server_->token_requests(), 2);
  // Past its TTL the token is renewed before use (no 401 needed).
  clock_.Advance(61'000);
  ASSERT_TRUE(client->Poll().ok());
  EXPECT_EQ(server_->token_requests(), 3);
}

TEST_F(ImdsTest, ServerErrorsAreUnavailableThenRecover) {
  server_->FailNextRequests(3, 500);
  for (int i = 0; i < 3; ++i) {
    auto n = client_->Poll();
    EXPECT_EQ(n.status().code(), StatusCode::kUnavailable) << n.status().ToString();
  }
  EXPECT_TRUE(client_->Poll().ok());
}

TEST_F(ImdsTest, SlowServiceTimesOutWithinBound) {
  server_->SetAnswerDelayMillis(1500);
  const auto t0 = std::chrono::steady_clock::now();
  auto n = client_->Poll();
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(n.status().code(), StatusCode::kUnavailable);
  EXPECT_LT(waited, std::chrono::milliseconds(1200));  // one 300 ms timeout, with slack
  server_->SetAnswerDelayMillis(0);
}

TEST_F(ImdsTest, ReclaimedInstanceIsUnavailable) {
  ASSERT_TRUE(client_->Poll().ok());
  server_->Reclaim();
  EXPECT_EQ(client_->Poll().status().code(), StatusCode::kUnavailable);
}

TEST_F(ImdsTest, ServerRefusesWhatEc2Refuses) {
  httplib::Client raw(server_->endpoint());
  auto put = [&](const httplib::Headers& h) {
    return raw.Put("/latest/api/token", h, "", "text/plain");
  };
  EXPECT_EQ(put({})->status, 400);  // no TTL
  EXPECT_EQ(put({{"X-aws-ec2-metadata-token-ttl-seconds", "0"}})->status, 400);
  EXPECT_EQ(put({{"X-aws-ec2-metadata-token-ttl-seconds", "21601"}})->status, 400);
  EXPECT_EQ(
      put({{"X-aws-ec2-metadata-token-ttl-seconds", "60"}, {"X-Forwarded-For", "1.2.3.4"}})->status,
      403);
  auto token = put({{"X-aws-ec2-metadata-token-ttl-seconds", "60"}});
  ASSERT_EQ(token->status, 200);
  const char* path = "/latest/meta-data/spot/instance-action";
  EXPECT_EQ(raw.Get(path)->status, 401);  // IMDSv2 only: no token, no answer
  EXPECT_EQ(raw.Get(path, {{"X-aws-ec2-metadata-token", "forged"}})->status, 401);
  EXPECT_EQ(raw.Get(path, {{"X-aws-ec2-metadata-token", token->body}})->status, 404);
  clock_.Advance(60'000);
  EXPECT_EQ(raw.Get(path, {{"X-aws-ec2-metadata-token", token->body}})->status, 401);  // expired
}

TEST(ImdsClientOptions, RefusesEndpointsThatAreNotHttpHostPort) {
  FakeClock clock;
  for (const char* bad : {"169.254.169.254", "https://127.0.0.1:1", "http://", "http://h/x"}) {
    EXPECT_EQ(NewImdsClient({bad, 21600, 300}, clock).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(NewImdsClient({"http://127.0.0.1:1", 0, 300}, clock).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ImdsTest, TheInstancesIdentityIsReadOnce) {
  server_->SetIdentity({"i-0abc", "c5.xlarge", "us-east-1b", "us-east-1", "spot"});
  auto id = ReadInstanceIdentity({server_->endpoint(), 21600, 300}, clock_);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->instance_id, "i-0abc");
  EXPECT_EQ(id->instance_type, "c5.xlarge");
  EXPECT_EQ(id->zone, "us-east-1b");
  EXPECT_EQ(id->region, "us-east-1");
  EXPECT_TRUE(id->spot);
  server_->SetIdentity({"i-0abc", "c5.xlarge", "us-east-1b", "us-east-1", "on-demand"});
  EXPECT_FALSE(ReadInstanceIdentity({server_->endpoint(), 21600, 300}, clock_)->spot);
  server_->SetIdentity({"i-0abc", "c5.xlarge", "", "us-east-1", "spot"});
  auto missing = ReadInstanceIdentity({server_->endpoint(), 21600, 300}, clock_);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("placement/availability-zone"), std::string::npos);
  server_->SetIdentity({"i-0abc; rm", "c5.xlarge", "us-east-1b", "us-east-1", "spot"});
  EXPECT_EQ(ReadInstanceIdentity({server_->endpoint(), 21600, 300}, clock_).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spotbatch
