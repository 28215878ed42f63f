// The pipeline end to end on S3, SQS and DynamoDB (moto on loopback) with the local fleet,
// through the real binary: inputs uploaded by the AWS CLI, workers killed with kill -9 while
// they work, every output read back by the AWS CLI, and the crash checker's verdict (read
// through the same AWS adapters) that nothing was lost and nothing done twice. Spot pools
// whose instances get interruption notices and are reclaimed while the data plane is on AWS,
// resuming from checkpoints in S3. Then `up` with [ingest] events: an upload by the CLI
// reaches its job through the bucket's notification to SQS, and a notification sent with
// `aws sqs send-message` through the same queue (with a test event and junk beside it).
#include <signal.h>

#include <map>
#include <random>
#include <regex>

#include "aws/aws_cli.h"
#include "aws/moto_server.h"
#include "integration/crash_checker.h"
#include "integration/pipeline_fixture.h"

namespace spotbatch {
namespace {

const std::string kCounter = SPOTBATCH_SOURCE_DIR "/examples/checkpoint-counter/counter.sh";
const std::string kFlappingTrace =
    SPOTBATCH_DATA_DIR "/traces/availability-1node/aws-10-26-2022/us-west-2b_v100_8.json";

constexpr const char* kSlowSha =
    R"(["sh", "-c", "sleep 0.2; sha256sum < \"$1\" > \"$2/sum.txt\"", "_", "{input}", "{output_dir}"])";

// Stops `up` (SIGTERM, then SIGKILL) when a test ends before it did, on a failed ASSERT: no
// `up` and its workers outlive the test. A process the test already waited for is left alone.
struct StopOnExit {
  pid_t pid;
  ~StopOnExit() {
    if (::waitpid(pid, nullptr, WNOHANG) != 0) return;  // reaped, or exited and reaped now
    ::kill(pid, SIGTERM);
    if (!testing::WaitFor([&] { return ::waitpid(pid, nullptr, WNOHANG) == pid; },
                          std::chrono::seconds(30))) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

class AwsPipelineTest : public testing::PipelineFixture {
 protected:
  // moto serves one request at a time here, so a worker's long poll would hold it for all the
  // others: workers poll without waiting (worker.poll_wait_seconds = 0). Long polling is
  // tested on a threaded moto (sqs_task_queue_test).
  static void SetUpTestSuite() {
    moto_ = new testing::MotoServer({.one_request_at_a_time = true});
    // The binary and this process's adapters (the crash checker's) sign as moto's default
    // user, and never look for an instance role.
    ::setenv("AWS_ACCESS_KEY_ID", "testing", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "testing", 1);
    ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    ::unsetenv("AWS_PROFILE");
  }
  static void TearDownTestSuite() { delete moto_; }
  void SetUp() override {
    ASSERT_FALSE(moto_->endpoint().empty()) << moto_->log();
    ::setenv("HOME", dir_.path().c_str(), 1);  // no ~/.aws of the machine's
    // A fresh name per test: one moto serves the suite.
    static int n = 0;
    suffix_ = std::to_string(::getpid()) + "-" + std::to_string(++n);
    in_ = "acme-in-" + suffix_;
    out_ = "acme-out-" + suffix_;
    for (const std::string& b : {in_, out_}) ASSERT_TRUE(Aws("s3 mb s3://" + b).second);
  }
  std::pair<std::string, bool> Aws(const std::string& args) {
    return testing::Aws(moto_->endpoint(), args);
  }
  // The store, queue, state and AWS sections of a pipeline on moto, and [pipeline] with
  // `command` and `pipeline_extra`: what every test here shares.
  std::string AwsConfigHead(const std::string& command, const std::string& pipeline_extra = "") {
    const std::string e = moto_->endpoint();
    std::string c = "[store]\nurl = \"s3://\"\n";
    c += "[queue]\nurl = \"sqs://tasks-" + suffix_ + "\"\n";
    c += "[state]\nurl = \"dynamodb://state-" + suffix_ + "\"\n";
    c += "[aws]\nregion = \"us-east-1\"\n";
    c += "[aws.endpoints]\ns3 = \"" + e + "\"\nsqs = \"" + e + "\"\ndynamodb = \"" + e + "\"\n";
    c += "[pipeline]\ninput = \"" + in_ + "/\"\noutput = \"" + out_ + "/\"\n";
    c += "command = " + command + "\nretry_backoff_seconds = 0.05\n" + pipeline_extra + "\n";
    return c;
  }
  void WriteAwsConfig(const std::string& extra = "") {
    testing::WriteFile(config(), AwsConfigHead(kSlowSha) +
                                     "[fleet]\nworkers = 3\n"
                                     "[worker]\nlease_seconds = 4\nheartbeat_seconds = 1\n"
                                     "poll_wait_seconds = 0\n"
                                     "kill_grace_seconds = 1\n" +
                                     extra);
  }
  // Visible + in flight + delayed messages of SQS queue `url`, as the CLI reads them; -1 when
  // it cannot.
  int QueueMessages(const std::string& url) {
    auto r = Aws("sqs get-queue-attributes --queue-url " + url +
                 " --attribute-names ApproximateNumberOfMessages "
                 "ApproximateNumberOfMessagesNotVisible ApproximateNumberOfMessagesDelayed");
    auto doc = nlohmann::json::parse(r.first, nullptr, /*allow_exceptions=*/false);
    if (!r.second || !doc.is_object() || !doc["Attributes"].is_object()) return -1;
    int n = 0;
    for (const auto& [name, value] : doc["Attributes"].items()) {
      if (!value.is_string()) return -1;
      n += std::stoi(value.get<std::string>());
    }
    return n;
  }
  // Every object of `bucket` but spotbatch's own (_spotbatch/), downloaded by the CLI in one
  // call (each call costs a second or two of Python): the folder they are in.
  std::string DownloadWithCli(const std::string& bucket) {
    const std::string to = dir_ / ("cli-" + bucket);
    auto got =
        Aws("s3 cp --recursive --quiet --exclude '_spotbatch/*' s3://" + bucket + "/ '" + to + "'");
    EXPECT_TRUE(got.second) << got.first;
    return to;
  }
  // Sends `body` to SQS queue `url` with the CLI (through a file: no shell quoting).
  void SendWithCli(const std::string& url, const std::string& body) {
    static int n = 0;
    const std::string file = dir_ / ("message" + std::to_string(++n) + ".json");
    testing::WriteFile(file, body);
    auto sent =
        Aws("sqs send-message --queue-url " + url + " --message-body 'file://" + file + "'");
    ASSERT_TRUE(sent.second) << sent.first;
  }
  static testing::MotoServer* moto_;
  std::string suffix_, in_, out_;
};
testing::MotoServer* AwsPipelineTest::moto_ = nullptr;

TEST_F(AwsPipelineTest, WorkersKilledMidTaskLoseNothingAndDoNothingTwice) {
  constexpr int kInputs = 24;
  constexpr int kKills = 4;
  WriteAwsConfig();
  for (int i = 0; i < kInputs; ++i) {
    testing::WriteFile(dir_ / ("inputs/f" + std::to_string(i)),
                       std::string(i * 7 % 50, 'a' + i % 26) + std::to_string(i));
  }
  auto uploaded = Aws("s3 cp --recursive --quiet '" + dir_ / "inputs" + "' s3://" + in_ + "/");
  ASSERT_TRUE(uploaded.second) << uploaded.first;

  std::mt19937 rng(std::random_device{}());
  const pid_t run =
      testing::StartCli({"run", "-c", config(), "--json"}, dir_ / "run.out", dir_ / "run.err");
  // Kills come at least 300-900 ms apart, each as soon as a worker is seen busy after that:
  // on two busy cores a worker spends most of its time in moto calls, and a look only every
  // few hundred milliseconds found one running its command too seldom (the run once ended
  // after 3 of the 4 kills).
  int kills = 0;
  auto next_kill = std::chrono::steady_clock::now();
  const auto deadline = next_kill + std::chrono::minutes(6);
  int status = 0;
  while (::waitpid(run, &status, WNOHANG) != run) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "the run did not finish: " << testing::ReadFile(dir_ / "run.err");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (kills >= kKills || std::chrono::steady_clock::now() < next_kill) continue;
    // A worker that holds a task: its command (sh) runs below its supervisor.
    for (pid_t worker : testing::ChildrenOf(run)) {
      bool busy = false;
      for (pid_t supervisor : testing::ChildrenOf(worker)) {
        busy = busy || !testing::ChildrenOf(supervisor).empty();
      }
      if (busy && ::kill(worker, SIGKILL) == 0) {
        ++kills;
        next_kill = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 900)(rng));
        break;
      }
    }
  }
  const std::string err = testing::ReadFile(dir_ / "run.err");
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << err;
  EXPECT_EQ(kills, kKills) << "the run ended before every kill happened";

  // The AWS CLI reads every output back.
  const std::string outputs = DownloadWithCli(out_);
  EXPECT_EQ(testing::FilesUnder(outputs).size(), static_cast<size_t>(kInputs));
  for (int i = 0; i < kInputs; ++i) {
    const std::string rel = "f" + std::to_string(i);
    EXPECT_EQ(testing::ReadFile(outputs + "/" + rel + "/sum.txt"),
              Sha256Hex(testing::ReadFile(dir_ / ("inputs/" + rel))) + "  -\n")
        << rel;
  }
  testing::CrashCheck check;
  check.folder = dir_.path();
  for (int i = 0; i < kInputs; ++i) check.inputs.push_back("f" + std::to_string(i));
  check.expected = testing::ShaOfEachInput(dir_ / "inputs");
  EXPECT_TRUE(testing::ExpectNothingLostNothingTwice(check));
  int lost = 0;
  for (const JobView& j : *testing::RunState(dir_.path()).state->ListJobs()) {
    lost += j.tasks[0].lost;
  }
  EXPECT_GT(lost, 0) << "killing busy workers should have lost attempts";
}

// Issue 11: spot pools on AWS. The instances of `run`'s pools (worker processes, each with its
// own local instance-metadata server) follow a real capacity trace, get interruption notices
// over HTTP and are reclaimed with kill -9, while tasks, state and checkpoints live in SQS,
// DynamoDB and S3. The command checkpoints: an interrupted task resumes where it stopped.
TEST_F(AwsPipelineTest, SpotInterruptionsResumeFromCheckpointsOnS3) {
  ASSERT_TRUE(std::filesystem::exists(kFlappingTrace))
      << kFlappingTrace << ": the project's data/ is incomplete";
  constexpr int kInputs = 20;
  auto steps = [](int i) { return 20 + i % 7; };
  // us-west-2b p3.16xlarge from tick 9 (5400 s) on: capacity for 4 ticks, then gone for 5,
  // back for 2, gone for 2...; at 600x a tick lasts one second and a notice 0.2 s: on moto
  // most noticed instances are still alive then (handing back takes an S3 upload, DynamoDB
  // and SQS calls) and are killed with SIGKILL; one killed before its task was handed back
  // loses the attempt, and the next resumes from the checkpoint of its last heartbeat.
  // Steps of 0.08 s make tasks of 1.6-2.1 s, which keep instances busy over several drops
  // of capacity (with 0.04 s, on two loaded cores, all six notices once found idle ones).
  testing::WriteFile(
      config(),
      AwsConfigHead("[\"env\", \"COUNTER_STEP_SECONDS=0.08\", \"sh\", \"" + kCounter +
                        "\", \"{input}\", \"{output_dir}\", \"{checkpoint_dir}\"]",
                    // Reclaims lose attempts: that budget (meant for a task that kills its
                    // worker) is not what this test is about.
                    "max_lost_attempts = 100") +
          "[worker]\nheartbeat_seconds = 0.5\nlease_seconds = 4\npoll_wait_seconds = 0\n"
          "[[fleet.pool]]\nname = \"spot-b\"\ninstance_type = \"p3.16xlarge\"\n"
          "price_per_hour = 7.34\ntrace = \"" +
          kFlappingTrace +
          "\"\ntrace_offset_seconds = 5400\nmax_instances = 3\n"
          "[[fleet.pool]]\nname = \"od\"\nmarket = \"on-demand\"\ninstance_type = \"p3.16xlarge\"\n"
          "price_per_hour = 24.48\nmax_instances = 1\n"
          "[fleet.market]\ntime_scale = 600\nnotice_seconds = 120\n");
  for (int i = 0; i < kInputs; ++i) {
    testing::WriteFile(dir_ / ("inputs/n" + std::to_string(i)), std::to_string(steps(i)) + "\n");
  }
  auto uploaded = Aws("s3 cp --recursive --quiet '" + dir_ / "inputs" + "' s3://" + in_ + "/");
  ASSERT_TRUE(uploaded.second) << uploaded.first;

  const auto started = std::chrono::steady_clock::now();
  const testing::CliResult ran =
      testing::RunCliWithin({"run", "-c", config(), "--json"}, std::chrono::minutes(3));
  std::fprintf(stderr, "run took %.1f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  const nlohmann::json run = nlohmann::json::parse(ran.out, nullptr, false);
  ASSERT_TRUE(run.is_object()) << ran.out;
  ASSERT_EQ(run["succeeded"], kInputs) << run.dump();
  int notices = 0, reclaims = 0;
  for (const auto& p : run["pools"]) {
    notices += p["notices"].get<int>();
    reclaims += p["reclaims"].get<int>();
  }
  EXPECT_GT(notices, 0) << run.dump();
  EXPECT_GT(run["interruptions"].get<int>(), 0) << run.dump();

  // What the counter gives for each input uninterrupted.
  std::map<int, std::string> serial;
  for (int i = 0; i < kInputs; ++i) {
    const int n = steps(i);
    if (serial.count(n)) continue;
    const std::string d = dir_ / ("serial" + std::to_string(n));
    std::filesystem::create_directories(d + "/o");
    std::filesystem::create_directories(d + "/c");
    testing::WriteFile(d + "/in", std::to_string(n) + "\n");
    ASSERT_EQ(std::system(("COUNTER_STEP_SECONDS=0 sh " + kCounter + " " + d + "/in " + d + "/o " +
                           d + "/c 2>/dev/null")
                              .c_str()),
              0);
    serial[n] = testing::ReadFile(d + "/o/result.txt");
  }
  // The AWS CLI reads every output back.
  const std::string outputs = DownloadWithCli(out_);
  EXPECT_EQ(testing::FilesUnder(outputs).size(), static_cast<size_t>(kInputs));
  for (int i = 0; i < kInputs; ++i) {
    EXPECT_EQ(testing::ReadFile(outputs + "/n" + std::to_string(i) + "/result.txt"),
              serial[steps(i)])
        << i;
  }
  // One committed attempt per task, nothing in the queues, no staging or checkpoint left in S3.
  testing::CrashCheck check;
  check.folder = dir_.path();
  for (int i = 0; i < kInputs; ++i) check.inputs.push_back("n" + std::to_string(i));
  check.expected = [&](const std::string& rel) {
    return std::map<std::string, std::string>{
        {"result.txt", serial[steps(std::stoi(rel.substr(1)))]}};
  };
  EXPECT_TRUE(testing::ExpectNothingLostNothingTwice(check));

  // Every interrupted attempt whose command had set its trap handed its task back with the
  // checkpoint the command saved on SIGTERM ("stopped at step N"), so the next attempt resumed from
  // that checkpoint in S3
  // ("resuming at step N"), at step 0 too (the checkpoint file exists then: without it the
  // counter says nothing). A reclaimed attempt (LOST) resumes from its last heartbeat's
  // checkpoint instead, at a step its log does not show.
  static const std::regex kStopped("stopped at step ([0-9]+)");
  static const std::regex kResuming("resuming at step ([0-9]+)");
  auto step_in = [](const std::string& log, const std::regex& what) {
    std::smatch m;
    return std::regex_search(log, m, what) ? std::stoi(m[1]) : -1;
  };
  int interrupted = 0, lost = 0, handed_back = 0, resumed_past_zero = 0, silent = 0;
  testing::RunState state(dir_.path());
  for (const JobView& j : *state.state->ListJobs()) {
    const TaskRecord& t = j.tasks.at(0);
    interrupted += t.interruptions;
    lost += t.lost;
    const std::vector<AttemptRecord> attempts = *state.state->ListAttempts(t.id);
    for (size_t k = 0; k < attempts.size(); ++k) {
      const AttemptRecord& a = attempts[k];
      if (a.outcome == AttemptOutcome::kInterrupted || a.outcome == AttemptOutcome::kLost) {
        EXPECT_EQ(a.pool, "spot-b") << t.id << ": only spot instances are reclaimed";
      }
      if (a.outcome != AttemptOutcome::kInterrupted) continue;
      const int stopped = step_in(a.log_tail, kStopped);
      if (stopped < 0) {
        // The notice came before the command had set its trap (while the input or the
        // checkpoint was staged, or as the shell started): this attempt saved nothing new.
        ++silent;
        continue;
      }
      ASSERT_LT(k + 1, attempts.size()) << t.id << " succeeded without another attempt";
      EXPECT_EQ(step_in(attempts[k + 1].log_tail, kResuming), stopped)
          << t.id << " attempt " << attempts[k + 1].number << " after one stopped at step "
          << stopped << ": " << attempts[k + 1].log_tail;
      ++handed_back;
      resumed_past_zero += stopped > 0;
    }
  }
  std::fprintf(stderr,
               "notices %d, reclaims %d, interrupted attempts %d (%d past step 0, %d before "
               "the command spoke), lost attempts %d\n",
               notices, reclaims, interrupted, resumed_past_zero, silent, lost);
  EXPECT_EQ(interrupted, run["interruptions"].get<int>());
  EXPECT_EQ(handed_back + silent, interrupted);
  EXPECT_GT(handed_back, 0) << "no interrupted command handed its checkpoint on";
}

TEST_F(AwsPipelineTest, AnUploadReachesItsJobThroughTheBucketNotification) {
  const std::string events = "events-" + suffix_;
  auto queue = Aws("sqs create-queue --queue-name " + events);
  ASSERT_TRUE(queue.second) << queue.first;
  const std::string url = nlohmann::json::parse(queue.first)["QueueUrl"];
  auto attrs = Aws("sqs get-queue-attributes --attribute-names QueueArn --queue-url " + url);
  ASSERT_TRUE(attrs.second) << attrs.first;
  const std::string arn = nlohmann::json::parse(attrs.first)["Attributes"]["QueueArn"];
  const nlohmann::json notification = {
      {"QueueConfigurations", {{{"QueueArn", arn}, {"Events", {"s3:ObjectCreated:*"}}}}}};
  auto notify = Aws("s3api put-bucket-notification-configuration --bucket " + in_ +
                    " --notification-configuration '" + notification.dump() + "'");
  ASSERT_TRUE(notify.second) << notify.first;
  WriteAwsConfig("[ingest]\nevents = \"sqs://" + events + "\"\n");

  const pid_t up = testing::StartCli({"up", "-c", config()}, dir_ / "up.out", dir_ / "up.err");
  const StopOnExit stop_up{up};
  testing::WriteFile(dir_ / "claim.txt", "claim 42\n");
  // A key S3 form-encodes in its events: a space, a plus, a folder.
  auto put =
      Aws("s3 cp --quiet '" + dir_ / "claim.txt" + "' 's3://" + in_ + "/claims/my claim+1.txt'");
  ASSERT_TRUE(put.second) << put.first;
  std::string got;
  const bool published = testing::WaitFor(
      [&] {
        auto r = Aws("s3 cp 's3://" + out_ + "/claims/my claim+1.txt/sum.txt' -");
        got = r.first;
        return r.second;
      },
      std::chrono::seconds(90));
  ::kill(up, SIGTERM);
  EXPECT_EQ(testing::WaitExit(up), 0) << testing::ReadFile(dir_ / "up.err");
  ASSERT_TRUE(published) << testing::ReadFile(dir_ / "up.err");
  EXPECT_EQ(got, Sha256Hex("claim 42\n") + "  -\n");
  const std::string log = testing::ReadFile(dir_ / "up.err");
  EXPECT_NE(log.find("new jobs from upload notifications"), std::string::npos)
      << "the job came from the notification, not the listing: " << log;
  auto jobs = Jobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["input"], in_ + "/claims/my claim+1.txt");
}

// Only `up` consumes [ingest] events: the other commands (a worker, status, run) neither make
// nor touch that queue, so their roles need no permission on it.
TEST_F(AwsPipelineTest, OnlyUpOpensTheEventsQueue) {
  const std::string events = "events-" + suffix_;
  WriteAwsConfig("[ingest]\nevents = \"sqs://" + events + "\"\n");
  auto exists = [&] { return Aws("sqs get-queue-url --queue-name " + events).second; };
  EXPECT_EQ(Jobs().size(), 0u);  // `status`: opens the pipeline's queues and table
  auto run = testing::RunCli({"run", "-c", config()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_FALSE(exists()) << "status or run made the events queue";
  const pid_t up = testing::StartCli({"up", "-c", config()}, dir_ / "up.out", dir_ / "up.err");
  const StopOnExit stop_up{up};
  EXPECT_TRUE(testing::WaitFor(exists, std::chrono::seconds(60)))
      << testing::ReadFile(dir_ / "up.err");
  ::kill(up, SIGTERM);
  EXPECT_EQ(testing::WaitExit(up), 0) << testing::ReadFile(dir_ / "up.err");
}

// Issue 11: a notification sent by hand (`aws sqs send-message`, no bucket notification set
// up) is processed by `up` like one from S3; the s3:TestEvent a bucket sends first, and a body
// that is no notification at all, harm nothing: the test event is deleted, the malformed body
// goes to the events queue's dead-letter queue at its first delivery (it does not come back),
// and `up` keeps running.
TEST_F(AwsPipelineTest, ANotificationSentWithTheCliIsProcessedAndJunkIsDeadLettered) {
  const std::string events = "events-" + suffix_;
  auto created = Aws("sqs create-queue --queue-name " + events);
  ASSERT_TRUE(created.second) << created.first;
  const std::string url = nlohmann::json::parse(created.first)["QueueUrl"];
  const std::string dlq = url + "-dlq";  // `up` makes it when it configures the events queue
  WriteAwsConfig("[ingest]\nevents = \"sqs://" + events + "\"\n");

  const pid_t up = testing::StartCli({"up", "-c", config()}, dir_ / "up.out", dir_ / "up.err");
  const StopOnExit stop_up{up};
  auto up_running = [&] { return ::waitpid(up, nullptr, WNOHANG) == 0; };
  const nlohmann::json test_event = {
      {"Service", "Amazon S3"},
      {"Event", "s3:TestEvent"},
      {"Time", "2026-12-02T01:00:00.000Z"},
      {"Bucket", in_},
      {"RequestId", "5582815E1AEA5ADF"},
      {"HostId", "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}};
  const std::string junk = "this is {not a notification";
  // One CLI call for both (each costs a second or two of Python).
  const nlohmann::json batch = {{{"Id", "test"}, {"MessageBody", test_event.dump()}},
                                {{"Id", "junk"}, {"MessageBody", junk}}};
  testing::WriteFile(dir_ / "batch.json", batch.dump());
  auto sent = Aws("sqs send-message-batch --queue-url " + url + " --entries 'file://" +
                  dir_ / "batch.json" + "'");
  ASSERT_TRUE(sent.second) << sent.first;
  const nlohmann::json answer = nlohmann::json::parse(sent.first, nullptr, false);
  ASSERT_TRUE(answer.is_object() && answer.value("Successful", nlohmann::json()).size() == 2)
      << sent.first;
  // Both are handled at the first poll, after `up`'s first listing of the input prefix: from
  // then on only notifications start jobs (the next listing is 10 minutes away). `up` logs
  // what a poll did once the poll has dead-lettered and deleted what it handled.
  constexpr std::string_view kJunkNote = "spotbatch up: events: not a notification";
  ASSERT_TRUE(testing::WaitFor(
      [&] { return testing::ReadFile(dir_ / "up.err").find(kJunkNote) != std::string::npos; },
      std::chrono::seconds(30)))
      << testing::ReadFile(dir_ / "up.err");
  ASSERT_TRUE(up_running()) << testing::ReadFile(dir_ / "up.err");

  // An upload with no notification configured: nothing starts it but the message below.
  testing::WriteFile(dir_ / "claim.txt", "claim 43\n");
  auto put =
      Aws("s3 cp --quiet '" + dir_ / "claim.txt" + "' 's3://" + in_ + "/claims/my claim+2.txt'");
  ASSERT_TRUE(put.second) << put.first;
  // The key as S3 writes it into events: form-URL-encoded ("+" a space, "%2B" a plus).
  const nlohmann::json record = {
      {"eventVersion", "2.1"},
      {"eventSource", "aws:s3"},
      {"awsRegion", "us-east-1"},
      {"eventTime", "2026-12-02T01:00:01.000Z"},
      {"eventName", "ObjectCreated:Put"},
      {"s3",
       {{"s3SchemaVersion", "1.0"},
        {"configurationId", "by-hand"},
        {"bucket", {{"name", in_}, {"arn", "arn:aws:s3:::" + in_}}},
        {"object",
         {{"key", "claims/my+claim%2B2.txt"}, {"size", 9}, {"sequencer", "0055AED6DCD90281E5"}}}}}};
  SendWithCli(url, nlohmann::json{{"Records", {record}}}.dump());
  nlohmann::json jobs;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        jobs = Jobs();
        return jobs.size() == 1 && jobs[0]["state"] == "SUCCEEDED";
      },
      std::chrono::seconds(60)))
      << jobs.dump() << testing::ReadFile(dir_ / "up.err");
  EXPECT_EQ(jobs[0]["input"], in_ + "/claims/my claim+2.txt");
  auto got = Aws("s3 cp 's3://" + out_ + "/claims/my claim+2.txt/sum.txt' -");
  ASSERT_TRUE(got.second) << got.first;
  EXPECT_EQ(got.first, Sha256Hex("claim 43\n") + "  -\n");
  EXPECT_TRUE(up_running()) << testing::ReadFile(dir_ / "up.err");
  ::kill(up, SIGTERM);
  EXPECT_EQ(testing::WaitExit(up), 0) << testing::ReadFile(dir_ / "up.err");

  const std::string log = testing::ReadFile(dir_ / "up.err");
  EXPECT_NE(log.find("new jobs from upload notifications"), std::string::npos)
      << "the job came from the message, not the listing: " << log;
  // The junk was handled once: dead-lettered, not released to come back again and again.
  size_t junk_notes = 0;
  for (size_t at = 0; (at = log.find(kJunkNote, at)) != std::string::npos; ++at) ++junk_notes;
  EXPECT_EQ(junk_notes, 1u) << log;
  EXPECT_EQ(log.find("released for a retry"), std::string::npos) << log;
  // It waits in the dead-letter queue, as sent, for someone to look at it.
  auto received = Aws("sqs receive-message --queue-url " + dlq + " --max-number-of-messages 10");
  ASSERT_TRUE(received.second) << received.first;
  const nlohmann::json dead = nlohmann::json::parse(received.first, nullptr, false);
  const nlohmann::json messages =
      dead.is_object() ? dead.value("Messages", nlohmann::json()) : nlohmann::json();
  ASSERT_TRUE(messages.is_array() && messages.size() == 1) << received.first;
  EXPECT_EQ(messages[0]["Body"], junk);
  // The test event and the notification were deleted once handled: nothing visible, in
  // flight or delayed.
  EXPECT_EQ(QueueMessages(url), 0);
}

}  // namespace
}  // namespace spotbatch
