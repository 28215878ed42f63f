#include "apps/ec2_managed_fleet.h"

#include <cstdio>

#include "adapters/aws/env_credentials.h"
#include "apps/aws_services.h"
#include "apps/fleet_reports.h"
#include "apps/live_market.h"
#include "core/backlog_scaling.h"

namespace spotbatch {
namespace {

int64_t MonotonicMillisOf(Clock& clock) { return clock.MonotonicNanos() / 1'000'000; }

}  // namespace

AsgFleetOptions AsgFleetOptionsFor(const Config& config) {
  AsgFleetOptions o;
  for (const PoolConfig& p : config.pools) {
    o.pools.push_back({{p.name, p.spot, p.instance_type, "", p.max_instances}, p.group});
  }
  return o;
}

std::vector<MetricDatum> BacklogMetrics(const WorkSnapshot& work, int instances,
                                        const std::string& queue, int64_t unix_millis) {
  const std::vector<std::pair<std::string, std::string>> dims = {{"Queue", queue}};
  auto datum = [&](const char* name, double value, const char* unit) {
    return MetricDatum{name, value, unit, dims, unix_millis};
  };
  // Per instance, at least one: with no instance the backlog itself is what a group must
  // grow by, and target tracking cannot divide by zero either.
  return {datum("QueuedTasks", work.queued, "Count"), datum("RunningTasks", work.running, "Count"),
          datum("Instances", instances, "Count"),
          datum("BacklogPerInstance", static_cast<double>(work.queued) / std::max(1, instances),
                "None")};
}

Result<std::unique_ptr<Ec2ManagedFleet>> Ec2ManagedFleet::Open(const Config& config,
                                                               StateStore& state, TaskQueue& queue,
                                                               Clock& clock) {
  SB_ASSIGN_OR_RETURN(const std::string region, AwsRegionFor(config, ProcessEnvironment()));
  std::unique_ptr<Ec2ManagedFleet> f(new Ec2ManagedFleet(config, state, queue, clock));
  SB_ASSIGN_OR_RETURN(f->credentials_, AwsCredentialsFor(config, ProcessEnvironment(), clock, ""));
  auto client = [&](const char* service, QueryApi api) {
    return AwsQueryClientFor(config, service, api, region, *f->credentials_, clock);
  };
  SB_ASSIGN_OR_RETURN(f->autoscaling_, client("autoscaling", kAutoScalingApi));
  SB_ASSIGN_OR_RETURN(f->ec2_, client("ec2", kEc2Api));
  SB_ASSIGN_OR_RETURN(f->cloudwatch_, client("cloudwatch", kCloudWatchApi));
  SB_ASSIGN_OR_RETURN(f->fleet_,
                      AsgFleet::New(AsgFleetOptionsFor(config), *f->autoscaling_, clock));
  SB_ASSIGN_OR_RETURN(f->market_,
                      Ec2Market::New(Ec2MarketOptionsFor(config, region), *f->ec2_, clock));
  SB_ASSIGN_OR_RETURN(CloudWatchMetrics metrics,
                      CloudWatchMetrics::New(*f->cloudwatch_, kSpotbatchMetricNamespace));
  f->metrics_.emplace(std::move(metrics));
  f->manager_ = std::make_unique<FleetManager>(*f->fleet_, *f->market_, *f->policy_, f->work_,
                                               clock, kInstanceStartSeconds);
  return f;
}

Ec2ManagedFleet::Ec2ManagedFleet(const Config& config, StateStore& state, TaskQueue& queue,
                                 Clock& clock)
    : config_(config),
      clock_(clock),
      policy_(NewBacklogScalingPolicy(config.scaling)),
      work_(state, queue, config.pipeline.queue, clock,
            config.deadline_hours > 0
                ? clock.NowUnixMillis() + static_cast<int64_t>(config.deadline_hours * 3.6e6)
                : 0,
            config.pipeline.order) {}

Ec2ManagedFleet::~Ec2ManagedFleet() { StopAll(0); }

void Ec2ManagedFleet::SayOnce(const std::string& what, const Status& s, std::string* last) {
  if (s.ToString() == *last) return;
  *last = s.ToString();
  std::fprintf(stderr, "%s: %s\n", what.c_str(), last->c_str());
}

int Ec2ManagedFleet::Tick() {
  if (stopped_) return 0;
  const int64_t now = MonotonicMillisOf(clock_);
  if (!started_) {
    if (Status s = manager_->Init(); !s.ok()) {
      SayOnce("fleet manager", s, &last_error_);
      return 0;
    }
    started_ = true;
    start_millis_ = clock_.NowUnixMillis();
  }
  if (now >= next_decision_millis_) {
    next_decision_millis_ = now + kDecideEveryMillis;
    auto made = manager_->Tick();
    if (!made.ok()) {
      SayOnce("fleet manager", made.status(), &last_error_);  // decides at the next tick
    } else {
      last_error_.clear();
      for (const FleetDecision& d : *made) {
        if (d.what == FleetDecision::kFailed) {
          std::fprintf(stderr, "fleet manager: %s in %s: %s\n", FleetDecisionName(d.what),
                       d.pool.c_str(), d.why.c_str());
        }
      }
    }
  }
  if (now >= next_publish_millis_) {
    next_publish_millis_ = now + kPublishEveryMillis;
    Publish(clock_.NowUnixMillis());
  }
  return 0;
}

void Ec2ManagedFleet::Publish(int64_t now) {
  int instances = 0;
  for (const AsgPoolCounts& c : fleet_->counts()) instances += c.instances;
  Status put = metrics_->Put(BacklogMetrics(work_.last(), instances, config_.pipeline.queue, now));
  if (!put.ok()) {
    SayOnce("CloudWatch metrics", put, &last_publish_error_);
    return;
  }
  last_publish_error_.clear();
  ++published_;
}

void Ec2ManagedFleet::StopAll(int64_t grace_millis) {
  (void)grace_millis;
  if (stopped_ || !started_) return;
  stopped_ = true;
  // Every instance goes, tickets are cancelled.
  auto instances = manager_->Sync();  // what it reads, the manager learns
  if (!instances.ok()) {
    std::fprintf(stderr, "fleet manager: the groups could not be read to scale them in: %s\n",
                 instances.status().ToString().c_str());
    return;
  }
  for (const FleetInstance& in : *instances) {
    if (IsLeaving(in.state)) continue;
    // The same terminate-in-group either way; the hook holds a busy one.
    if (Status s = fleet_->Drain(in.id); !s.ok()) {
      std::fprintf(stderr, "fleet manager: %s in %s stays: %s\n", in.id.c_str(), in.pool.c_str(),
                   s.ToString().c_str());
    }
  }
  (void)manager_->Sync();  // learns the ends it can see (billing stops), decides nothing
}

nlohmann::json Ec2ManagedFleet::Bill(StateStore& state, const std::set<std::string>* jobs) {
  std::vector<PoolTally> tallies;
  for (const AsgPoolCounts& c : fleet_->counts()) tallies.push_back({c.launched, 0, c.reclaims, 0});
  return ManagedBillJson(
      *manager_, state, jobs, clock_.NowUnixMillis(),
      [](int64_t unix_millis) { return unix_millis; }, tallies);
}

nlohmann::json Ec2ManagedFleet::Decisions() {
  return ManagedDecisionsJson(*manager_, start_millis_);
}

nlohmann::json Ec2ManagedFleet::FleetStatus() {
  const std::vector<AsgPoolCounts> counts = fleet_->counts();
  const spotbatch::Bill bill = manager_->BillNow();
  nlohmann::json pools = nlohmann::json::array();
  for (size_t p = 0; p < config_.pools.size(); ++p) {
    const PoolConfig& pool = config_.pools[p];
    pools.push_back({{"name", pool.name},
                     {"market", pool.spot ? "spot" : "on-demand"},
                     {"group", pool.group},
                     {"instances", counts[p].instances},
                     {"noticed", 0},  // notices reach the instances' workers, not the manager
                     {"room", std::max(0, pool.max_instances - counts[p].instances)},
                     {"launched", counts[p].launched},
                     {"notices", 0},
                     {"reclaims", counts[p].reclaims}});
  }
  return {{"pools", pools},
          {"cost_usd", ToUsd(bill.total)},
          {"on_demand_cost_usd", ToUsd(OnDemandOfInstanceTime(bill))}};
}

std::string Ec2ManagedFleet::Summary() {
  const std::vector<AsgPoolCounts> counts = fleet_->counts();
  std::string out;
  for (size_t p = 0; p < counts.size(); ++p) {
    out += (out.empty() ? "" : " ") + config_.pools[p].name + ":" +
           std::to_string(counts[p].instances);
  }
  const spotbatch::Bill bill = manager_->BillNow();
  char money[80];
  std::snprintf(money, sizeof money, " | $%.2f (on demand $%.2f)", ToUsd(bill.total),
                ToUsd(OnDemandOfInstanceTime(bill)));
  return out + money;
}

}  // namespace spotbatch
