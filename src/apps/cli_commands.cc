#include "apps/cli_commands.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "adapters/aws/env_credentials.h"
#include "adapters/aws/imds_client.h"
#include "adapters/local/local_protection.h"
#include "agent/ingest.h"
#include "agent/job_actions.h"
#include "agent/worker.h"
#include "apps/aws_policy.h"
#include "apps/aws_services.h"
#include "apps/bills.h"
#include "apps/ec2_worker.h"
#include "apps/job_json.h"
#include "apps/wiring.h"
#include "core/cost_ledger.h"
#include "core/object_key.h"
#include "core/task_machine.h"

namespace spotbatch {
namespace {

namespace fs = std::filesystem;

int Fail(const char* command, const Status& s) {
  std::fprintf(stderr, "spotbatch %s: %s\n", command, s.message().c_str());
  return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

Worker* g_worker = nullptr;
void OnWorkerSignal(int) {
  if (g_worker != nullptr) g_worker->RequestStop();
}

}  // namespace

int PutCommand(const Config& config, const std::vector<std::string>& paths,
               const std::string& key) {
  if (paths.empty()) return Fail("put", InvalidArgument("no files to upload"));
  // Plan every upload and validate every key before changing anything.
  std::vector<std::pair<std::string, std::string>> uploads;  // (local path, key)
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      if (!key.empty())
        return Fail("put", InvalidArgument("--key takes one file, not a directory"));
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
           it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        uploads.emplace_back(
            it->path().string(),
            config.pipeline.input_prefix + fs::relative(it->path(), path, ec).generic_string());
      }
    } else if (fs::is_regular_file(path, ec)) {
      if (!key.empty() && paths.size() > 1) {
        return Fail("put", InvalidArgument("--key takes exactly one file"));
      }
      uploads.emplace_back(
          path,
          key.empty() ? config.pipeline.input_prefix + fs::path(path).filename().string() : key);
    } else {
      return Fail("put", InvalidArgument("no such file or directory: " + path));
    }
  }
  for (const auto& [path, k] : uploads) {
    Status s = ValidateObjectKey(k);
    if (!s.ok()) return Fail("put", InvalidArgument(path + ": " + s.message()));
  }
  auto services = OpenServices(config);
  if (!services.ok()) return Fail("put", services.status());
  Ingest ingest = IngestFor(config, *services);
  for (const auto& [path, k] : uploads) {
    auto info = services->store->PutFile(k, path);
    if (!info.ok()) return Fail("put", info.status());
    if (k.rfind(config.pipeline.input_prefix, 0) != 0) {
      std::printf("%s\n", k.c_str());
      continue;
    }
    bool created = false;
    auto job = ingest.IngestObject(*info, &created);
    if (!job.ok()) return Fail("put", job.status());
    std::printf("%s job %s%s\n", k.c_str(), job->c_str(), created ? "" : " (exists)");
  }
  return 0;
}

int StatusCommand(const Config& config, bool json) {
  auto services = OpenServices(config);
  if (!services.ok()) return Fail("status", services.status());
  auto jobs = services->state->ListJobs();
  if (!jobs.ok()) return Fail("status", jobs.status());
  nlohmann::json out = nlohmann::json::array();
  if (!json)
    std::printf("%-16s  %-9s  %8s  %13s  %s\n", "ID", "STATE", "ATTEMPTS", "INTERRUPTIONS",
                "INPUT");
  // Costs come from the stored bills; a bill that cannot be read leaves them out, said once.
  Result<CostSummary> bills =
      json ? LoadBills(*services->store) : Result<CostSummary>{CostSummary{}};
  if (!bills.ok()) {
    std::fprintf(stderr, "spotbatch status: costs left out: %s\n",
                 bills.status().ToString().c_str());
  }
  for (const JobView& v : *jobs) {
    nlohmann::json j = JobJson(v);
    if (json) {
      const JobCost* cost = nullptr;
      if (bills.ok()) {
        auto it = bills->jobs.find(v.job.id);
        if (it != bills->jobs.end()) cost = &it->second;
      }
      j["cost_usd"] = cost ? ToUsd(cost->cost_nano_usd) : 0.0;
      j["on_demand_cost_usd"] = cost ? ToUsd(cost->on_demand_cost_nano_usd) : 0.0;
      out.push_back(std::move(j));
    } else {
      std::printf("%-16s  %-9s  %8d  %13d  %s\n", v.job.id.c_str(),
                  j["state"].get<std::string>().c_str(), j["attempts"].get<int>(),
                  j["interruptions"].get<int>(), v.job.input_key.c_str());
    }
  }
  auto dead = services->queue->Depth(config.pipeline.queue + "-dlq");
  if (!dead.ok()) return Fail("status", dead.status());
  const int64_t dead_letters = dead->visible + dead->in_flight + dead->delayed;
  if (json) {
    nlohmann::json status = {{"jobs", out}, {"dead_letters", dead_letters}};
    if (bills.ok()) {
      status["cost_usd"] = ToUsd(bills->cost_nano_usd);
      status["on_demand_cost_usd"] = ToUsd(bills->on_demand_cost_nano_usd);
    }
    std::printf("%s\n", DumpJson(status).c_str());
  } else if (dead_letters > 0) {
    std::printf("%lld messages of failed tasks in queue %s-dlq\n",
                static_cast<long long>(dead_letters), config.pipeline.queue.c_str());
  }
  return 0;
}

int CostCommand(const Config& config, bool json) {
  auto services = OpenServices(config);
  if (!services.ok()) return Fail("cost", services.status());
  auto sum = LoadBills(*services->store);
  if (!sum.ok()) return Fail("cost", sum.status());
  if (json) {
    std::printf("%s\n", DumpJson(CostJson(*sum)).c_str());
    return 0;
  }
  std::printf("%-16s  %-9s  %10s  %10s  %10s  %12s  %8s  %8s\n", "POOL", "MARKET", "HOURS", "COST",
              "IDLE", "ON-DEMAND", "NOTICES", "RECLAIMS");
  for (const auto& [name, p] : sum->pools) {
    std::printf("%-16s  %-9s  %10.3f  %10.4f  %10.4f  %12.4f  %8d  %8d\n", name.c_str(),
                p.market.c_str(), p.instance_hours, ToUsd(p.cost_nano_usd), ToUsd(p.idle_nano_usd),
                ToUsd(p.on_demand_cost_nano_usd), p.notices, p.reclaims);
  }
  std::printf("\n%-16s  %10s  %12s  %8s  %13s  %s\n", "JOB", "COST", "ON-DEMAND", "ATTEMPTS",
              "INTERRUPTIONS", "INPUT");
  for (const auto& [id, j] : sum->jobs) {
    std::printf("%-16s  %10.4f  %12.4f  %8d  %13d  %s\n", id.c_str(), ToUsd(j.cost_nano_usd),
                ToUsd(j.on_demand_cost_nano_usd), j.attempts, j.interruptions, j.input.c_str());
  }
  const int64_t saved = sum->on_demand_cost_nano_usd - sum->cost_nano_usd;
  std::printf("\n%d runs: $%.4f (idle $%.4f); the same instance time on demand $%.4f", sum->runs,
              ToUsd(sum->cost_nano_usd), ToUsd(sum->idle_nano_usd),
              ToUsd(sum->on_demand_cost_nano_usd));
  if (sum->on_demand_cost_nano_usd > 0) {
    std::printf(", %.0f%% saved", 100.0 * static_cast<double>(saved) /
                                      static_cast<double>(sum->on_demand_cost_nano_usd));
  }
  std::printf("\n");
  return 0;
}

int GetCommand(const Config& config, const std::string& key, const std::string& dest) {
  Status valid = ValidateInternalKey(key);
  if (!valid.ok()) return Fail("get", valid);
  auto services = OpenServices(config);
  if (!services.ok()) return Fail("get", services.status());
  if (dest == "-") {
    auto data = services->store->Get(key);
    if (!data.ok()) return Fail("get", data.status());
    std::fwrite(data->data(), 1, data->size(), stdout);
    return 0;
  }
  std::string path = dest.empty() ? std::string(fs::path(key).filename()) : dest;
  std::error_code ec;
  if (fs::is_directory(path, ec)) path = (fs::path(path) / fs::path(key).filename()).string();
  // Download beside the destination, then rename: no half-written file under its name.
  const std::string tmp = path + ".spotbatch-part";
  Status s = services->store->GetToFile(key, tmp);
  if (s.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) s = Internal("cannot write " + path);
  if (!s.ok()) {
    std::remove(tmp.c_str());
    return Fail("get", s);
  }
  return 0;
}

int LogsCommand(const Config& config, const std::string& id) {
  auto services = OpenServices(config);
  if (!services.ok()) return Fail("logs", services.status());
  std::vector<std::string> tasks;
  if (auto task = services->state->GetTask(id); task.ok()) {
    tasks.push_back(id);
  } else if (auto job = services->state->GetJob(id); job.ok()) {
    for (const TaskRecord& t : job->tasks) tasks.push_back(t.id);
  } else {
    return Fail("logs", NotFound("no task or job " + id));
  }
  for (const std::string& t : tasks) {
    auto attempts = services->state->ListAttempts(t);
    if (!attempts.ok()) return Fail("logs", attempts.status());
    for (const AttemptRecord& a : *attempts) {
      std::printf("=== task %s attempt %d on %s%s%s: %s (exit %d) %s .. %s", t.c_str(), a.number,
                  a.worker.c_str(), a.pool.empty() ? "" : " in pool ", a.pool.c_str(),
                  AttemptOutcomeName(a.outcome), a.exit_code,
                  FormatUtc(a.started_unix_millis).c_str(), FormatUtc(a.ended_unix_millis).c_str());
      if (a.outcome == AttemptOutcome::kInterrupted || a.outcome == AttemptOutcome::kLost) {
        std::printf(", %.1f s of work lost", static_cast<double>(a.lost_work_millis) / 1000.0);
      }
      std::printf("\n");
      if (!a.message.empty()) std::printf("%s\n", a.message.c_str());
      std::fwrite(a.log_tail.data(), 1, a.log_tail.size(), stdout);
      if (!a.log_tail.empty() && a.log_tail.back() != '\n') std::printf("\n");
    }
  }
  return 0;
}

int RetryCommand(const Config& config, const std::string& job_id) {
  auto services = OpenServices(config);
  if (!services.ok()) return Fail("retry", services.status());
  Ingest ingest = IngestFor(config, *services);
  Status s = RetryJob(ingest, *services->state, SystemClock(), config.pipeline.retry, job_id);
  if (!s.ok()) return Fail("retry", s);
  std::printf("job %s queued again\n", job_id.c_str());
  return 0;
}

int CancelCommand(const Config& config, const std::string& job_id) {
  auto services = OpenServices(config);
  if (!services.ok()) return Fail("cancel", services.status());
  Status s = CancelJob(*services->state, SystemClock(), config.pipeline.retry, job_id);
  if (!s.ok()) return Fail("cancel", s);
  std::printf("job %s cancelled\n", job_id.c_str());
  return 0;
}

int WorkerCommand(const Config& config, const WorkerFlags& flags) {
  auto services = OpenServices(config);
  if (!services.ok()) return Fail("worker", services.status());
  // The real metadata address only when told this runs on EC2; never as a fallback.
  std::string endpoint = flags.metadata_url;
  if (flags.on_ec2 && endpoint.empty()) endpoint = kEc2MetadataEndpoint;
  if (endpoint.empty()) {
    if (const char* env = std::getenv("SPOTBATCH_METADATA_URL")) endpoint = env;
  }
  std::unique_ptr<Ec2WorkerSide> ec2;
  if (flags.on_ec2) {
    auto side =
        Ec2WorkerSide::Open(config, endpoint, flags.lifecycle_heartbeat_millis, SystemClock());
    if (!side.ok()) return Fail("worker", side.status());
    ec2 = std::move(*side);
  }
  std::string worker_id = flags.worker_id;
  if (worker_id.empty()) {
    worker_id = ec2 ? ec2->identity().instance_id : "worker-" + std::to_string(::getpid());
  }
  WorkerOptions options = WorkerOptionsFor(config, worker_id);
  options.pool = flags.pool;
  // On EC2 the instance's group says its pool: the fleet manager bills its attempts to it.
  if (options.pool.empty() && ec2) options.pool = ec2->PoolIn(config);
  options.on_spot = flags.on_spot || (ec2 && ec2->identity().spot);
  if (flags.metadata_poll_millis > 0) options.metadata_poll_millis = flags.metadata_poll_millis;
  std::unique_ptr<InstanceMetadata> metadata;
  if (!endpoint.empty()) {
    auto client = NewImdsClient({endpoint, 21600, 1000}, SystemClock());
    if (!client.ok()) {
      std::fprintf(stderr, "spotbatch worker: %s\n", client.status().message().c_str());
      return 2;
    }
    metadata = std::move(*client);
  }
  std::mt19937_64 rng(std::random_device{}());
  Worker worker(config.pipeline, options, *services->store, *services->queue, *services->state,
                SystemClock(),
                [&rng] { return std::uniform_real_distribution<double>(0, 1)(rng); });
  worker.set_instance_metadata(metadata.get());
  // The worker protects its instance from scale-in while it holds a task: on EC2 with Auto
  // Scaling's SetInstanceProtection; on the local fleet through its metadata server (the
  // fleet reads it as "busy").
  std::unique_ptr<ScaleInProtection> protection;
  if (ec2) {
    if (ec2->protection() != nullptr) worker.set_scale_in_protection(ec2->protection());
    ec2->StartHeartbeats();
  } else if (!endpoint.empty()) {
    auto local = NewLocalScaleInProtection(endpoint);
    if (local.ok()) {
      protection = std::move(*local);
      worker.set_scale_in_protection(protection.get());
    }
  }
  g_worker = &worker;
  struct sigaction sa {};
  sa.sa_handler = OnWorkerSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  Status s = worker.Run();
  g_worker = nullptr;
  if (ec2) {
    if (const std::string done = ec2->Finish(); !done.empty()) {
      std::fprintf(stderr, "spotbatch worker %s: %s\n", options.worker_id.c_str(), done.c_str());
    }
  }
  std::error_code ec;
  fs::remove_all(options.work_dir, ec);
  if (!s.ok()) return Fail("worker", s);
  if (worker.exit_reason() == "disk-full") {
    // Not a clean exit: the fleet restarts a worker that keeps stopping only after a delay.
    std::fprintf(stderr, "spotbatch worker %s: stops taking work: disk full (%s)\n",
                 options.worker_id.c_str(), worker.disk_full_reason().c_str());
    return 3;
  }
  if (worker.exit_reason() == "interrupted" || worker.exit_reason() == "drained") {
    std::fprintf(stderr, "spotbatch worker %s: %s (instance notice)\n", options.worker_id.c_str(),
                 worker.exit_reason().c_str());
  }
  return 0;
}

int AwsPolicyCommand(const Config& config, const std::string& role, const std::string& account) {
  if (!config.uses_aws()) {
    return Fail("aws policy",
                InvalidArgument(config.file + " puts nothing on AWS (no [store] url, [queue] url, "
                                              "[state] url or [ingest] events)"));
  }
  if (Status s = ValidateAwsAccount(account); !s.ok()) return Fail("aws policy", s);
  PolicyScope scope;
  scope.account = account;
  if (auto region = AwsRegionFor(config, ProcessEnvironment()); region.ok()) scope.region = *region;
  nlohmann::ordered_json out;
  if (role.empty()) {
    for (AwsRole r : AllAwsRoles())
      out[std::string(AwsRoleName(r))] = AwsPolicyFor(config, r, scope);
  } else {
    auto parsed = ParseAwsRole(role);
    if (!parsed.ok()) return Fail("aws policy", parsed.status());
    out = AwsPolicyFor(config, *parsed, scope);
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace spotbatch
