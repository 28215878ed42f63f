#include "apps/managed_fleet.h"

#include <unistd.h>

#include <cstdio>
#include <map>

#include "apps/ec2_managed_fleet.h"
#include "apps/fleet_reports.h"
#include "apps/plain_workers.h"
#include "core/backlog_scaling.h"

namespace spotbatch {
namespace {

// How long a new local worker takes to take tasks, in real seconds: what the manager weighs a
// replacement by (the changeover). Measured: 0.1-0.3 s to exec and open the store here.
constexpr double kWorkerStartSeconds = 0.5;

}  // namespace

LocalFleetOptions LocalFleetOptionsFor(const Config& config, const std::string& self_exe) {
  LocalFleetOptions o;
  for (const PoolConfig& p : config.pools) {
    LocalPoolSpec spec;
    spec.pool = {p.name, p.spot, p.instance_type, "", p.max_instances};
    spec.price = p.price_series.usd_per_hour.empty() ? PriceSeries::Constant(p.price_per_hour)
                                                     : p.price_series;
    spec.on_demand_usd_per_hour = p.on_demand_price_per_hour;
    spec.capacity = p.capacity;
    spec.trace_offset_millis = static_cast<int64_t>(p.trace_offset_seconds * 1000);
    o.pools.push_back(std::move(spec));
  }
  o.time_scale = config.time_scale;
  o.notice_seconds = config.notice_seconds;
  o.stop_grace_millis = static_cast<int64_t>(config.kill_grace_seconds * 1000) + 5000;
  o.metadata_poll_millis = static_cast<int64_t>(config.metadata_poll_seconds * 1000);
  o.scratch_root = config.work_dir;
  o.id_tag = std::to_string(::getpid());
  const std::string file = config.file;
  o.worker_argv = [self_exe, file](const LocalInstanceLaunch& l) {
    return std::vector<std::string>{self_exe,
                                    "worker",
                                    "-c",
                                    file,
                                    "--worker-id",
                                    l.id,
                                    "--pool",
                                    l.pool->name,
                                    "--market",
                                    l.pool->spot ? "spot" : "on-demand",
                                    "--metadata-url",
                                    l.metadata_url,
                                    "--metadata-poll-ms",
                                    std::to_string(l.metadata_poll_millis)};
  };
  return o;
}

ManagedFleet::ManagedFleet(const Config& config, const std::string& self_exe, StateStore& state,
                           TaskQueue& queue, Clock& real)
    : config_(config),
      real_(real),
      fleet_(LocalFleetOptionsFor(config, self_exe), real),
      policy_(NewBacklogScalingPolicy(config.scaling)),
      work_(state, queue, config.pipeline.queue, fleet_.clock(),
            config.deadline_hours > 0 ? fleet_.clock().NowUnixMillis() +
                                            static_cast<int64_t>(config.deadline_hours * 3.6e6)
                                      : 0,
            config.pipeline.order),
      manager_(std::make_unique<FleetManager>(fleet_, fleet_, *policy_, work_, fleet_.clock(),
                                              kWorkerStartSeconds * config.time_scale)) {}

ManagedFleet::~ManagedFleet() { StopAll(0); }

int ManagedFleet::Tick() {
  const int64_t now = real_.MonotonicNanos() / 1'000'000;
  if (!started_) {
    if (Status s = manager_->Init(); !s.ok()) {
      std::fprintf(stderr, "fleet manager: %s\n", s.ToString().c_str());
      return 0;
    }
    started_ = true;
    start_trace_millis_ = fleet_.clock().NowUnixMillis();
  }
  if (now < next_decision_millis_) {
    fleet_.Poll();  // deciding polls it too (through Describe)
    return 0;
  }
  next_decision_millis_ = now + kDecideEveryMillis;
  auto made = manager_->Tick();
  if (!made.ok()) {
    // A passing fault (a busy database): decide at the next tick; say so once per kind.
    if (made.status().ToString() != last_error_) {
      last_error_ = made.status().ToString();
      std::fprintf(stderr, "fleet manager: %s\n", last_error_.c_str());
    }
    return 0;
  }
  last_error_.clear();
  Record();
  for (const FleetDecision& d : *made) {
    if (d.what == FleetDecision::kFailed) {
      std::fprintf(stderr, "fleet manager: %s in %s: %s\n", FleetDecisionName(d.what),
                   d.pool.c_str(), d.why.c_str());
    }
  }
  return 0;
}

void ManagedFleet::StopAll(int64_t grace_millis) {
  fleet_.StopAll(grace_millis);
  if (started_) (void)manager_->Sync();  // learns the ends (billing stops), decides nothing
}

nlohmann::json ManagedFleet::Bill(StateStore& state, const std::set<std::string>* jobs) {
  std::vector<PoolTally> tallies;
  for (const LocalPoolCounts& c : fleet_.counts()) {
    tallies.push_back({c.launched, c.notices, c.reclaims, c.crashes});
  }
  return ManagedBillJson(
      *manager_, state, jobs, fleet_.clock().NowUnixMillis(),
      [this](int64_t unix_millis) { return fleet_.clock().FromBaseUnixMillis(unix_millis); },
      tallies);
}

std::vector<ManagedFleet::PoolCount> ManagedFleet::CountPerPool() const {
  std::vector<PoolCount> out(config_.pools.size());
  for (const FleetInstance& in : fleet_.LiveInstances()) {
    const size_t p = fleet_.PoolIndex(in.pool);
    if (p >= out.size()) continue;
    ++out[p].instances;
    out[p].noticed += in.interruption_unix_millis > 0;
  }
  return out;
}

FleetRunChart::Sample ManagedFleet::SampleNow() {
  FleetRunChart::Sample s;
  s.at_seconds = static_cast<double>(fleet_.clock().NowUnixMillis() - start_trace_millis_) / 1000;
  for (size_t p = 0; p < config_.pools.size(); ++p) s.room.push_back(fleet_.RoomNow(p));
  for (const PoolCount& c : CountPerPool()) s.instances.push_back(c.instances);
  s.queued = work_.last().queued;
  s.running = work_.last().running;
  return s;
}

void ManagedFleet::Record() {
  if (samples_.size() >= kMaxSamples) return;
  FleetRunChart::Sample s = SampleNow();
  if (!samples_.empty()) {
    const auto& last = samples_.back();
    if (last.instances == s.instances && last.room == s.room && last.queued == s.queued &&
        last.running == s.running) {
      return;
    }
  }
  samples_.push_back(std::move(s));
}

std::string ManagedFleet::TimelineSvg(const std::string& title) {
  FleetRunChart chart;
  for (const FleetPool& p : *fleet_.Pools()) {
    chart.pools.push_back({p.name, p.spot, p.max_instances});
  }
  chart.samples = samples_;
  if (started_) chart.samples.push_back(SampleNow());  // the end, as it is now
  chart.title = title;
  return FleetRunSvg(chart);
}

nlohmann::json ManagedFleet::Decisions() {
  return ManagedDecisionsJson(*manager_, start_trace_millis_);
}

nlohmann::json ManagedFleet::FleetStatus() {
  const std::vector<FleetPool> pools = *fleet_.Pools();
  const std::vector<PoolCount> count = CountPerPool();
  const spotbatch::Bill bill = manager_->BillNow();
  const NanoUsd on_demand = OnDemandOfInstanceTime(bill);
  nlohmann::json out = nlohmann::json::array();
  for (size_t p = 0; p < pools.size(); ++p) {
    const LocalPoolCounts& c = fleet_.counts()[p];
    out.push_back({{"name", pools[p].name},
                   {"market", pools[p].spot ? "spot" : "on-demand"},
                   {"instances", count[p].instances},
                   {"noticed", count[p].noticed},
                   {"room", fleet_.RoomNow(p)},
                   {"launched", c.launched},
                   {"notices", c.notices},
                   {"reclaims", c.reclaims}});
  }
  return {
      {"pools", out}, {"cost_usd", ToUsd(bill.total)}, {"on_demand_cost_usd", ToUsd(on_demand)}};
}

std::string ManagedFleet::Summary() {
  const std::vector<PoolCount> count = CountPerPool();
  int noticed = 0;
  std::string out;
  for (size_t p = 0; p < count.size(); ++p) {
    out +=
        (out.empty() ? "" : " ") + config_.pools[p].name + ":" + std::to_string(count[p].instances);
    noticed += count[p].noticed;
  }
  const spotbatch::Bill bill = manager_->BillNow();
  const NanoUsd on_demand = OnDemandOfInstanceTime(bill);
  char money[96];
  std::snprintf(money, sizeof money, " | %d noticed | $%.2f (on demand $%.2f)", noticed,
                ToUsd(bill.total), ToUsd(on_demand));
  return out + money;
}

Result<std::unique_ptr<WorkerFleet>> NewWorkerFleet(const Config& config,
                                                    const std::string& self_exe, StateStore& state,
                                                    TaskQueue& queue, int plain_workers) {
  if (config.pools.empty()) {
    return std::unique_ptr<WorkerFleet>(
        std::make_unique<PlainWorkers>(config, self_exe, SystemClock(), plain_workers));
  }
  if (config.ec2_pools()) {
    SB_ASSIGN_OR_RETURN(std::unique_ptr<Ec2ManagedFleet> fleet,
                        Ec2ManagedFleet::Open(config, state, queue, SystemClock()));
    return std::unique_ptr<WorkerFleet>(std::move(fleet));
  }
  return std::unique_ptr<WorkerFleet>(
      std::make_unique<ManagedFleet>(config, self_exe, state, queue, SystemClock()));
}

}  // namespace spotbatch
