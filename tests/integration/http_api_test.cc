// The HTTP API of `spotbatch up`, over real HTTP on loopback.
#include <httplib.h>
#include <signal.h>

#include <regex>

#include "integration/pipeline_fixture.h"

namespace spotbatch {
namespace {

class HttpApiTest : public testing::PipelineFixture {
 protected:
  virtual std::string Command() const { return testing::kShaCommand; }
  void SetUp() override {
    WriteConfig(
        Command(), 2,
        "max_attempts = 1\nwatch_interval_seconds = 0.1\n[server]\nlisten = \"127.0.0.1:0\"\n");
    up_ = testing::StartCli({"up", "-c", config()}, dir_ / "up.out", dir_ / "up.err");
    std::smatch m;
    ASSERT_TRUE(testing::WaitFor([&] {
      const std::string err = testing::ReadFile(dir_ / "up.err");
      static const std::regex kApi("API at http://127\\.0\\.0\\.1:([0-9]+)/");
      if (!std::regex_search(err, m, kApi)) return false;
      port_ = std::stoi(m[1].str());
      return true;
    })) << testing::ReadFile(dir_ / "up.err");
    token_ = testing::ReadFile(dir_ / "api.token");
    token_.pop_back();  // newline
  }
  void TearDown() override {
    ::kill(up_, SIGTERM);
    EXPECT_EQ(testing::WaitExit(up_), 0);
  }
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    return c;
  }
  httplib::Headers Auth() { return {{"Authorization", "Bearer " + token_}}; }

  pid_t up_ = -1;
  int port_ = 0;
  std::string token_;
};

TEST_F(HttpApiTest, UploadRunsJobAndResultsAreServed) {
  auto c = Client();
  ASSERT_EQ(c.Get("/healthz")->status, 200);
  auto put = c.Put("/api/objects/in/hello.txt", Auth(), "hello\n", "application/octet-stream");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 201) << put->body;
  const std::string job = nlohmann::json::parse(put->body)["job"];
  ASSERT_TRUE(testing::WaitFor([&] {
    auto r = c.Get("/api/jobs/" + job);
    return r && r->status == 200 && nlohmann::json::parse(r->body)["state"] == "SUCCEEDED";
  }));
  auto detail = nlohmann::json::parse(c.Get("/api/jobs/" + job)->body);
  EXPECT_EQ(detail["outputs"][0], "out/hello.txt/sum.txt");
  EXPECT_EQ(detail["attempt_log"][0]["outcome"], "SUCCEEDED");
  auto out = c.Get("/api/objects/out/hello.txt/sum.txt");
  ASSERT_EQ(out->status, 200);
  EXPECT_EQ(out->body, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  -\n");
  auto jobs = nlohmann::json::parse(c.Get("/api/jobs")->body)["jobs"];
  EXPECT_EQ(jobs.size(), 1u);
  auto metrics = c.Get("/metrics");
  ASSERT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("spotbatch_jobs{state=\"SUCCEEDED\"} 1\n"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("spotbatch_attempts_total 1\n"), std::string::npos);
  auto page = c.Get("/");
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("/api/jobs"), std::string::npos);
}

TEST_F(HttpApiTest, ChangesNeedTheTokenAndBadInputChangesNothing) {
  auto c = Client();
  auto anonymous = c.Put("/api/objects/in/x", "data", "application/octet-stream");
  EXPECT_EQ(anonymous->status, 401);
  auto wrong = c.Put("/api/objects/in/x", {{"Authorization", "Bearer nope"}}, "data", "text/plain");
  EXPECT_EQ(wrong->status, 401);
  auto traversal = c.Put("/api/objects/in/../../etc/x", Auth(), "data", "text/plain");
  EXPECT_EQ(traversal->status, 400) << traversal->body;
  auto reserved = c.Put("/api/objects/_spotbatch/staging/x", Auth(), "data", "text/plain");
  EXPECT_EQ(reserved->status, 400);
  EXPECT_EQ(c.Post("/api/jobs/0123456789abcdef/cancel", Auth(), "", "text/plain")->status, 404);
  EXPECT_EQ(c.Post("/api/jobs/0123456789abcdef/cancel", "", "text/plain")->status, 401);
  EXPECT_EQ(c.Get("/api/objects/out/missing")->status, 404);
  EXPECT_TRUE(nlohmann::json::parse(c.Get("/api/jobs")->body)["jobs"].empty());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data/in/x"));
}

class BinaryOutputTest : public HttpApiTest {
 protected:
  std::string Command() const override {
    return R"(["sh", "-c", "printf '\\377\\376 binary'; exit 1"])";
  }
};

// Regression: a log tail that is not UTF-8 made JSON serialization throw.
TEST_F(BinaryOutputTest, LogTailThatIsNotUtf8IsServedAsJson) {
  auto c = Client();
  auto put = c.Put("/api/objects/in/bin", Auth(), "x", "text/plain");
  ASSERT_EQ(put->status, 201);
  const std::string job = nlohmann::json::parse(put->body)["job"];
  ASSERT_TRUE(testing::WaitFor(
      [&] { return nlohmann::json::parse(c.Get("/api/jobs/" + job)->body)["state"] == "FAILED"; }));
  auto detail = c.Get("/api/jobs/" + job);
  ASSERT_EQ(detail->status, 200) << detail->body;
  const std::string tail = nlohmann::json::parse(detail->body)["attempt_log"][0]["log_tail"];
  EXPECT_EQ(tail, "\xEF\xBF\xBD\xEF\xBF\xBD binary");  // two U+FFFD, then the text
}

// The dashboard, rendered by a real browser: its script fetches /api/jobs and fills the page.
TEST_F(HttpApiTest, DashboardShowsJobsInHeadlessChromium) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "scripts/setup installs chromium";
  auto c = Client();
  auto put = c.Put("/api/objects/in/page.txt", Auth(), "x", "text/plain");
  ASSERT_EQ(put->status, 201);
  const std::string job = nlohmann::json::parse(put->body)["job"];
  ASSERT_TRUE(testing::WaitFor([&] {
    return nlohmann::json::parse(c.Get("/api/jobs/" + job)->body)["state"] == "SUCCEEDED";
  }));
  const std::string cmd =
      "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic "
      "--no-first-run --disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir='" +
      dir_ / "chromium" +
      "' --virtual-time-budget=5000 --dump-dom "
      "http://127.0.0.1:" +
      std::to_string(port_) + "/ > '" + dir_ / "dom.html" + "' 2> '" + dir_ / "chromium.err" + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << testing::ReadFile(dir_ / "chromium.err");
  const std::string dom = testing::ReadFile(dir_ / "dom.html");
  EXPECT_NE(dom.find(job), std::string::npos) << dom;
  EXPECT_NE(dom.find("SUCCEEDED: 1"), std::string::npos) << dom;
  EXPECT_NE(dom.find("in/page.txt"), std::string::npos);
}

}  // namespace
}  // namespace spotbatch
