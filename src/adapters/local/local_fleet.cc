#include "adapters/local/local_fleet.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "adapters/local/worker_process.h"
#include "core/fleet_plan.h"
#include "core/restart_policy.h"

namespace spotbatch {
namespace {

constexpr int64_t kNanosPerMilli = 1'000'000;
// The most points PriceHistory returns: a bound on what one question may cost.
constexpr int64_t kMaxHistoryPoints = 100'000;

}  // namespace

LocalFleet::LocalFleet(LocalFleetOptions options, Clock& real)
    : options_(std::move(options)),
      real_(real),
      trace_clock_(real, options_.time_scale),
      notice_real_millis_(
          static_cast<int64_t>(options_.notice_seconds * 1000.0 / options_.time_scale)),
      start_trace_unix_millis_(trace_clock_.NowUnixMillis()) {
  for (const LocalPoolSpec& p : options_.pools) pools_.push_back(p.pool);
  pool_state_.resize(pools_.size());
  counts_.resize(pools_.size());
}

LocalFleet::~LocalFleet() { StopAll(0); }

Result<std::vector<FleetPool>> LocalFleet::Pools() { return pools_; }

size_t LocalFleet::PoolIndex(std::string_view name) const {
  for (size_t i = 0; i < pools_.size(); ++i) {
    if (pools_[i].name == name) return i;
  }
  return pools_.size();
}

int64_t LocalFleet::TraceMillisIntoTraces(size_t pool, int64_t trace_unix_millis) const {
  return options_.pools[pool].trace_offset_millis + (trace_unix_millis - start_trace_unix_millis_);
}

int LocalFleet::InPool(size_t pool, bool without_notice) const {
  int n = 0;
  for (const auto& [id, in] : instances_) {
    if (in->pool != pool || in->view.state == InstanceState::kTerminated) continue;
    if (without_notice && in->view.interruption_unix_millis > 0) continue;
    ++n;
  }
  return n;
}

int LocalFleet::CapacityNow(size_t pool, int64_t trace_now) const {
  const LocalPoolSpec& spec = options_.pools[pool];
  if (!spec.pool.spot || spec.capacity.values.empty()) return spec.pool.max_instances;
  return spec.capacity.CapacityAt(TraceMillisIntoTraces(pool, trace_now), spec.pool.max_instances);
}

LocalFleet::Instance* LocalFleet::Find(std::string_view id) {
  auto it = instances_.find(id);
  if (it == instances_.end() || it->second->view.state == InstanceState::kTerminated) {
    return nullptr;
  }
  return it->second.get();
}

bool LocalFleet::IsBusy(const Instance& in) const {
  return in.imds != nullptr && in.imds->protected_from_scale_in();
}

Result<std::string> LocalFleet::Launch(std::string_view pool_name) {
  Poll();
  const size_t pool = PoolIndex(pool_name);
  if (pool == pools_.size()) return NotFound("no pool named " + std::string(pool_name));
  const FleetPool& fp = pools_[pool];
  const int64_t trace_now = TraceNow();
  if (InPool(pool, false) >= fp.max_instances) {
    return FailedPrecondition("pool " + fp.name + " runs its " + std::to_string(fp.max_instances) +
                              " instances already");
  }
  if (InPool(pool, true) >= CapacityNow(pool, trace_now)) {
    return ResourceExhausted("pool " + fp.name + " has no capacity now");
  }
  const int64_t real_nanos = real_.MonotonicNanos();
  if (real_nanos < pool_state_[pool].launch_not_before_nanos) {
    return Unavailable("pool " + fp.name + ": its workers keep dying right after they start");
  }
  auto imds = LocalImdsServer::Start(real_);
  if (!imds.ok()) return Unavailable("pool " + fp.name + ": " + imds.status().ToString());
  auto in = std::make_unique<Instance>();
  in->id = fp.name + "-" + (options_.id_tag.empty() ? "" : options_.id_tag + "-") +
           std::to_string(next_id_++);
  in->pool = pool;
  in->imds = std::move(*imds);
  LocalInstanceLaunch launch{
      in->id, &fp, in->imds->endpoint(),
      MetadataPollMillis(notice_real_millis_, options_.metadata_poll_millis)};
  SB_ASSIGN_OR_RETURN(in->pid, SpawnWorker(options_.worker_argv(launch)));
  in->started_real_nanos = real_nanos;
  in->view.id = in->id;
  in->view.pool = fp.name;
  in->view.state = InstanceState::kPending;
  in->view.launched_unix_millis = trace_now;
  ++counts_[pool].launched;
  std::string id = in->id;
  instances_.emplace(id, std::move(in));
  return id;
}

void LocalFleet::End(Instance& in, bool reclaimed, int64_t trace_now) {
  if (in.view.state == InstanceState::kTerminated) return;
  in.view.state = InstanceState::kTerminated;
  in.view.ended_unix_millis = trace_now;
  in.view.reclaimed = reclaimed;
  in.view.busy = false;
  in.view.protected_from_scale_in = false;
  // A terminated instance's worker may still be handing its task back: its metadata stays up
  // until the worker is reaped (a reclaimed one's goes at once, in Poll).
  ended_unreported_.push_back(in.view);
  ended_ids_.insert(in.id);
}

void LocalFleet::RemoveScratch(const std::string& id) const {
  if (options_.scratch_root.empty()) return;
  std::error_code ec;  // best effort: the next worker of a folder empties it anyway
  std::filesystem::remove_all(options_.scratch_root + "/" + id, ec);
}

void LocalFleet::StartTermination(Instance& in, int64_t trace_now) {
  ::kill(in.pid, SIGTERM);  // the worker hands back whatever it took
  in.kill_at_real_nanos = real_.MonotonicNanos() + options_.stop_grace_millis * kNanosPerMilli;
  End(in, /*reclaimed=*/false, trace_now);
}

Status LocalFleet::Drain(std::string_view id) {
  Poll();
  Instance* in = Find(id);
  if (in == nullptr) return NotFound("no running instance " + std::string(id));
  if (!IsBusy(*in)) {
    StartTermination(*in, TraceNow());
    return Status::Ok();
  }
  in->view.state = InstanceState::kDraining;
  in->imds->SetTargetLifecycleState("Terminating:Wait");  // the worker finishes, then exits
  return Status::Ok();
}

Status LocalFleet::Terminate(std::string_view id) {
  Poll();
  Instance* in = Find(id);
  if (in == nullptr) {
    return ended_ids_.count(id) ? Status::Ok() : NotFound("no instance " + std::string(id));
  }
  if (IsBusy(*in) || in->manager_protected) {
    return FailedPrecondition("instance " + in->id + " is protected from scale-in");
  }
  StartTermination(*in, TraceNow());
  return Status::Ok();
}

Status LocalFleet::SetProtection(std::string_view id, bool protect) {
  Instance* in = Find(id);
  if (in == nullptr) return NotFound("no running instance " + std::string(id));
  in->manager_protected = protect;
  return Status::Ok();
}

void LocalFleet::ReapEnded(int64_t real_now, int64_t trace_now) {
  for (auto it = instances_.begin(); it != instances_.end();) {
    Instance& in = *it->second;
    const std::optional<int> status = ReapIfEnded(in.pid);
    if (!status) {
      if (in.kill_at_real_nanos > 0 && real_now >= in.kill_at_real_nanos) {
        ::kill(in.pid, SIGKILL);
        in.kill_at_real_nanos = INT64_MAX;  // once
      }
      ++it;
      continue;
    }
    if (in.view.state != InstanceState::kTerminated) {
      // Ended on its own: drained (exit 0), or crashed.
      PoolState& ps = pool_state_[in.pool];
      const bool clean = WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
      if (!clean) {
        ++counts_[in.pool].crashes;
        const int64_t delay =
            DelayAfterDeath((real_now - in.started_real_nanos) / kNanosPerMilli, &ps.quick_deaths);
        ps.launch_not_before_nanos = real_now + delay * kNanosPerMilli;
        std::fprintf(stderr, "worker %s (pid %d) %s%s\n", in.id.c_str(), in.pid,
                     DescribeWaitStatus(*status).c_str(),
                     delay > 0
                         ? ("; no launch in its pool for " + std::to_string(delay) + " ms").c_str()
                         : "");
      } else {
        ps.quick_deaths = 0;
      }
      End(in, /*reclaimed=*/false, trace_now);
    }
    RemoveScratch(in.id);
    it = instances_.erase(it);
  }
}

void LocalFleet::SendNotices(int64_t real_now, int64_t trace_now) {
  const int64_t wall = real_.NowUnixMillis();
  for (size_t pool = 0; pool < pools_.size(); ++pool) {
    if (!pools_[pool].spot) continue;
    const int notices = NoticesToSend(CapacityNow(pool, trace_now), InPool(pool, true));
    if (notices == 0) continue;
    std::vector<Instance*> alive;  // without a notice, newest first
    for (auto& [id, in] : instances_) {
      if (in->pool == pool && in->view.state != InstanceState::kTerminated &&
          in->view.interruption_unix_millis == 0) {
        alive.push_back(in.get());
      }
    }
    std::sort(alive.begin(), alive.end(), [](const Instance* a, const Instance* b) {
      return a->started_real_nanos > b->started_real_nanos;
    });
    for (int i = 0; i < notices && i < static_cast<int>(alive.size()); ++i) {
      Instance& in = *alive[static_cast<size_t>(i)];
      in.view.interruption_unix_millis =
          trace_now + static_cast<int64_t>(options_.notice_seconds * 1000.0);
      in.reclaim_at_real_nanos = real_now + notice_real_millis_ * kNanosPerMilli;
      in.imds->ScheduleInterruption(wall, wall + notice_real_millis_);
      ++counts_[pool].notices;
    }
  }
}

void LocalFleet::Poll() {
  const int64_t real_now = real_.MonotonicNanos();
  const int64_t trace_now = TraceNow();
  ReapEnded(real_now, trace_now);
  for (auto& [id, in] : instances_) {
    if (in->view.state == InstanceState::kTerminated) continue;
    // The provider reclaims at the time it announced, done or not.
    if (in->reclaim_at_real_nanos > 0 && real_now >= in->reclaim_at_real_nanos) {
      ::kill(in->pid, SIGKILL);
      in->imds->Reclaim();  // a gone instance answers nothing
      ++counts_[in->pool].reclaims;
      End(*in, /*reclaimed=*/true, trace_now);
      continue;
    }
    in->view.busy = IsBusy(*in);
    in->view.protected_from_scale_in = in->view.busy || in->manager_protected;
    if (in->view.state == InstanceState::kPending && in->imds->requests() > 0) {
      in->view.state = InstanceState::kRunning;  // its worker is up: it polls its metadata
    }
    if (in->view.state == InstanceState::kDraining && !in->view.busy) {
      StartTermination(*in, trace_now);
    }
  }
  SendNotices(real_now, trace_now);
}

Result<std::vector<FleetInstance>> LocalFleet::Describe() {
  Poll();
  std::vector<FleetInstance> out = std::move(ended_unreported_);
  ended_unreported_.clear();
  for (FleetInstance& in : LiveInstances()) out.push_back(std::move(in));
  return out;
}

std::vector<FleetInstance> LocalFleet::LiveInstances() const {
  std::vector<FleetInstance> out;
  for (const auto& [id, in] : instances_) {
    if (in->view.state != InstanceState::kTerminated) out.push_back(in->view);
  }
  return out;
}

Result<std::vector<PoolQuote>> LocalFleet::Quotes() {
  Poll();
  const int64_t trace_now = TraceNow();
  std::vector<PoolQuote> out;
  for (size_t pool = 0; pool < pools_.size(); ++pool) {
    const LocalPoolSpec& spec = options_.pools[pool];
    PoolQuote q;
    q.pool = spec.pool.name;
    q.spot = spec.pool.spot;
    q.usd_per_hour = spec.price.At(TraceMillisIntoTraces(pool, trace_now));
    q.on_demand_usd_per_hour = spec.on_demand_usd_per_hour;
    const int room = spec.pool.max_instances - InPool(pool, false);
    const int capacity = CapacityNow(pool, trace_now) - InPool(pool, true);
    q.spare = std::max(0, std::min(room, capacity));
    q.can_launch = q.spare > 0;
    q.interruption_band = spec.pool.spot ? spec.interruption_band : -1;
    out.push_back(std::move(q));
  }
  return out;
}

Result<std::vector<PricePoint>> LocalFleet::PriceHistory(std::string_view pool_name,
                                                         int64_t from_unix_millis,
                                                         int64_t to_unix_millis) {
  const size_t pool = PoolIndex(pool_name);
  if (pool == pools_.size()) return NotFound("no pool named " + std::string(pool_name));
  if (to_unix_millis < from_unix_millis) return InvalidArgument("the range ends before it starts");
  const PriceSeries& price = options_.pools[pool].price;
  const int64_t from = TraceMillisIntoTraces(pool, from_unix_millis);
  const int64_t to = TraceMillisIntoTraces(pool, to_unix_millis);
  if (price.usd_per_hour.size() <= 1 || price.gap_millis <= 0) {
    return std::vector<PricePoint>{{from_unix_millis, price.At(from)}};
  }
  // The series' ticks over the range (a position before its start has the first tick's price).
  const int64_t first = std::max<int64_t>(0, from) / price.gap_millis;
  const int64_t last = std::max<int64_t>(0, std::max(from, to - 1)) / price.gap_millis;
  if (last - first + 1 > kMaxHistoryPoints) {
    return InvalidArgument("a price history of more than " + std::to_string(kMaxHistoryPoints) +
                           " points; ask for a shorter range");
  }
  std::vector<PricePoint> out;
  for (int64_t tick = first; tick <= last; ++tick) {
    const int64_t at = tick * price.gap_millis;
    const double usd = price.At(std::max(at, from));
    if (!out.empty() && out.back().usd_per_hour == usd) continue;
    out.push_back({std::max(at, from) - from + from_unix_millis, usd});
  }
  return out;
}

void LocalFleet::StopAll(int64_t grace_millis) {
  std::vector<pid_t> pids;
  for (const auto& [id, in] : instances_) pids.push_back(in->pid);
  if (pids.empty()) return;
  (void)StopWorkers(pids, grace_millis);
  const int64_t trace_now = TraceNow();
  for (auto& [id, in] : instances_) {
    End(*in, /*reclaimed=*/false, trace_now);
    RemoveScratch(in->id);
  }
  instances_.clear();
}

}  // namespace spotbatch
