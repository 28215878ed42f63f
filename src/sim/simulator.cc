#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <queue>

namespace spotbatch {
namespace {

// Dollars for running at `price` from trace time `from` to `to` (millis), the series sampled
// at its own ticks.
double PriceIntegralUsd(const PriceSeries& price, int64_t from, int64_t to) {
  if (to <= from) return 0;
  if (price.gap_millis <= 0 || price.usd_per_hour.size() <= 1) {
    return price.At(from) * static_cast<double>(to - from) / kMillisPerHour;
  }
  double usd = 0;
  for (int64_t t = from; t < to;) {
    const int64_t next = std::min(to, (t / price.gap_millis + 1) * price.gap_millis);
    usd += price.At(t) * static_cast<double>(next - t) / kMillisPerHour;
    t = next;
  }
  return usd;
}

enum class EventKind { kTick, kDecide, kReady, kReclaim, kDone };

struct Event {
  int64_t at;
  uint64_t seq;
  EventKind kind;
  int64_t id;    // pool for kTick, instance otherwise
  uint64_t gen;  // an instance event is stale once the instance's generation moved on
  bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

struct Instance {
  int64_t id;
  int pool;
  int64_t launched;
  int64_t ready_at;
  bool noticed = false;
  bool draining = false;
  int task = -1;
  int64_t progress_since = 0;  // when its task's progress started accruing (ready and holding)
  uint64_t gen = 0;
};

struct Task {
  double done_millis = 0;
  double total_millis = 0;
  bool finished = false;
};

class Simulation {
 public:
  Simulation(const std::vector<MarketPool>& pools, const Workload& work, FleetPolicy& policy,
             const SimOptions& options)
      : pools_(pools), work_(work), policy_(policy), options_(options) {}

  Result<SimResult> Run();

 private:
  int64_t TraceTime(int64_t now) const { return options_.start_offset_millis + now; }
  void Schedule(int64_t at, EventKind kind, int64_t id, uint64_t gen = 0) {
    events_.push({at, next_seq_++, kind, id, gen});
  }
  int Capacity(int pool, int64_t now) const {
    const MarketPool& p = pools_[pool];
    if (!p.spot() || p.capacity.values.empty()) return std::numeric_limits<int>::max() / 2;
    return p.capacity.CapacityAt(TraceTime(now), p.max_instances);
  }
  int Alive(int pool, bool count_noticed) const {
    return count_noticed ? alive_[pool] : alive_[pool] - noticed_[pool];
  }
  void ScheduleNextTick(int pool, int64_t now) {
    const MarketPool& p = pools_[pool];
    if (!p.spot() || p.capacity.values.empty()) return;
    const int64_t gap = p.capacity.gap_millis;
    const int64_t t = TraceTime(now);
    Schedule((t / gap + 1) * gap - options_.start_offset_millis, EventKind::kTick, pool);
  }
  // Credits the instance's task with the progress made up to `now`.
  void Settle(Instance& in, int64_t now) {
    if (in.task < 0 || now <= in.progress_since || now < in.ready_at) return;
    const auto credit = static_cast<double>(now - std::max(in.progress_since, in.ready_at));
    tasks_[in.task].done_millis += credit;
    remaining_millis_ -= credit;
    in.progress_since = now;
  }
  void StartWork(Instance& in, int64_t now) {
    if (in.task < 0 && !waiting_.empty() && !in.draining) {
      in.task = waiting_.front();
      waiting_.pop_front();
      ++running_tasks_;
    }
    if (in.task < 0 || now < in.ready_at) return;
    in.progress_since = now;
    const Task& t = tasks_[in.task];
    const double left = std::max(0.0, t.total_millis - t.done_millis);
    Schedule(now + static_cast<int64_t>(std::ceil(left)), EventKind::kDone, in.id, in.gen);
  }
  // Takes the instance's task back (progress kept only up to the last checkpoint) and bills it.
  void End(int64_t id, int64_t now, bool reclaimed) {
    auto it = instances_.find(id);
    Instance& in = it->second;
    Settle(in, now);
    if (in.task >= 0) {
      Task& t = tasks_[in.task];
      if (work_.checkpoint_hours > 0) {
        const double every = work_.checkpoint_hours * kMillisPerHour;
        const double kept = std::floor(t.done_millis / every) * every;
        remaining_millis_ += t.done_millis - kept;
        t.done_millis = kept;
      }
      waiting_.push_front(in.task);
      --running_tasks_;
      dispatch_ = true;  // an idle instance elsewhere may take it
    }
    const MarketPool& p = pools_[in.pool];
    const int64_t billed_until = std::max(now, in.launched + options_.min_billed_millis);
    result_.cost_usd += PriceIntegralUsd(p.price, TraceTime(in.launched), TraceTime(billed_until));
    const double hours = static_cast<double>(billed_until - in.launched) / kMillisPerHour;
    (p.spot() ? result_.spot_hours : result_.on_demand_hours) += hours;
    pool_hours_[in.pool] += hours;
    if (reclaimed) {
      ++result_.interruptions;
      ++pool_interruptions_[in.pool];
    }
    if (options_.record_timeline) {
      result_.timeline.push_back({in.pool, in.launched, now, reclaimed});
    }
    --alive_[in.pool];
    if (in.noticed) --noticed_[in.pool];
    instances_.erase(it);
  }
  // Gives waiting tasks to ready instances that hold none (after a task came back).
  void Dispatch(int64_t now) {
    if (!dispatch_) return;
    dispatch_ = false;
    for (auto& [id, in] : instances_) {
      if (waiting_.empty()) break;
      if (in.task < 0 && !in.draining && now >= in.ready_at) StartWork(in, now);
    }
  }
  Status Apply(const std::vector<FleetAction>& actions, int64_t now);
  Observation Observe(int64_t now) const;

  const std::vector<MarketPool>& pools_;
  const Workload& work_;
  FleetPolicy& policy_;
  const SimOptions& options_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  uint64_t next_seq_ = 0;
  std::map<int64_t, Instance> instances_;  // by id: launch order
  int64_t next_instance_ = 1;
  std::vector<Task> tasks_;
  std::deque<int> waiting_;
  int running_tasks_ = 0;
  bool dispatch_ = false;  // a task went back to waiting: hand it to an idle instance
  int unfinished_ = 0;
  double total_millis_ = 0;
  double remaining_millis_ = 0;  // of all tasks, as of the last Settle of each
  double longest_done_millis_ = 0;
  double done_millis_ = 0;    // the lengths of the finished tasks
  std::vector<int> alive_;    // instances per pool
  std::vector<int> noticed_;  // of which noticed
  std::vector<double> pool_hours_;
  std::vector<int> pool_interruptions_;
  SimResult result_;
};

Status Simulation::Apply(const std::vector<FleetAction>& actions, int64_t now) {
  for (const FleetAction& a : actions) {
    if (a.kind == FleetAction::Kind::kTerminate) {
      if (instances_.count(a.instance)) End(a.instance, now, /*reclaimed=*/false);
      continue;
    }
    if (a.kind == FleetAction::Kind::kDrain) {
      auto it = instances_.find(a.instance);
      if (it == instances_.end()) continue;
      if (it->second.task < 0) {
        End(a.instance, now, /*reclaimed=*/false);
      } else {
        it->second.draining = true;
      }
      continue;
    }
    if (a.pool < 0 || a.pool >= static_cast<int>(pools_.size())) {
      return InvalidArgument("policy " + std::string(policy_.name()) + " launched in pool " +
                             std::to_string(a.pool) + ", which does not exist");
    }
    ++result_.launches;
    if (Alive(a.pool, /*count_noticed=*/true) >=
        std::min(Capacity(a.pool, now), pools_[a.pool].max_instances)) {
      ++result_.failed_launches;
      continue;
    }
    Instance in{next_instance_++, a.pool, now,
                now + static_cast<int64_t>(work_.changeover_hours * kMillisPerHour)};
    auto [it, inserted] = instances_.emplace(in.id, in);
    ++alive_[a.pool];
    if (in.ready_at > now) Schedule(in.ready_at, EventKind::kReady, in.id, 0);
    StartWork(it->second, now);
  }
  return Status::Ok();
}

Observation Simulation::Observe(int64_t now) const {
  Observation o;
  o.now_millis = now;
  o.pools.reserve(pools_.size());
  for (size_t i = 0; i < pools_.size(); ++i) {
    const MarketPool& p = pools_[i];
    PoolView v;
    v.name = p.name;
    v.spot = p.spot();
    v.usd_per_hour = p.price.At(TraceTime(now));
    v.on_demand_usd_per_hour = p.on_demand_usd_per_hour;
    v.interruption_band = p.interruption_band;
    v.running = Alive(static_cast<int>(i), true);
    v.spare =
        std::max(0, std::min(Capacity(static_cast<int>(i), now), p.max_instances) - v.running);
    v.can_launch = v.spare > 0;
    v.instance_hours = pool_hours_[i];
    v.interruptions = pool_interruptions_[i];
    o.pools.push_back(std::move(v));
  }
  for (const auto& [id, in] : instances_) {
    o.instances.push_back({id, in.pool, in.launched, now >= in.ready_at, in.noticed, in.task >= 0,
                           in.draining,
                           /*rebalance=*/false});
  }
  o.work.total_hours = total_millis_ / kMillisPerHour;
  double left = 0;
  for (const auto& [id, in] : instances_) {
    if (in.task >= 0 && now > std::max(in.progress_since, in.ready_at)) {
      left -= static_cast<double>(now - std::max(in.progress_since, in.ready_at));
    }
  }
  o.work.remaining_hours = std::max(0.0, (remaining_millis_ + left) / kMillisPerHour);
  o.work.deadline_millis = static_cast<int64_t>(work_.deadline_hours * kMillisPerHour);
  o.work.changeover_hours = work_.changeover_hours;
  o.work.tasks_left = unfinished_;
  o.work.tasks_running = running_tasks_;
  o.work.mean_task_hours = total_millis_ / kMillisPerHour / static_cast<double>(tasks_.size());
  o.work.longest_done_task_hours = longest_done_millis_ / kMillisPerHour;
  o.work.tasks_queued = static_cast<int>(waiting_.size());
  const int done = static_cast<int>(tasks_.size()) - unfinished_;
  o.work.mean_done_task_hours = done > 0 ? done_millis_ / kMillisPerHour / done : 0;
  return o;
}

Result<SimResult> Simulation::Run() {
  if (pools_.empty()) return InvalidArgument("simulate: no pools");
  if (work_.task_hours.empty()) return InvalidArgument("simulate: no work");
  for (double h : work_.task_hours) {
    if (!(h > 0) || !std::isfinite(h))
      return InvalidArgument("simulate: task hours must be positive");
    tasks_.push_back({0, h * kMillisPerHour, false});
    total_millis_ += h * kMillisPerHour;
    waiting_.push_back(static_cast<int>(tasks_.size()) - 1);
  }
  unfinished_ = static_cast<int>(tasks_.size());
  remaining_millis_ = total_millis_;
  alive_.assign(pools_.size(), 0);
  noticed_.assign(pools_.size(), 0);
  pool_hours_.assign(pools_.size(), 0);
  pool_interruptions_.assign(pools_.size(), 0);
  result_.policy = std::string(policy_.name());
  result_.on_demand_only_cost_usd =
      total_millis_ / kMillisPerHour * CheapestOnDemandUsdPerHour(pools_);

  const auto give_up = static_cast<int64_t>(options_.give_up_after_hours * kMillisPerHour);
  constexpr int64_t kDecideEvery = 60'000;  // decisions between market events too
  for (size_t p = 0; p < pools_.size(); ++p) ScheduleNextTick(static_cast<int>(p), 0);
  Schedule(0, EventKind::kDecide, 0);
  int64_t now = 0;
  while (!events_.empty() && unfinished_ > 0) {
    now = events_.top().at;
    if (now > give_up) break;
    // Everything due now, in the order it was scheduled; then one decision.
    while (!events_.empty() && events_.top().at == now && unfinished_ > 0) {
      const Event e = events_.top();
      events_.pop();
      ++result_.events;
      switch (e.kind) {
        case EventKind::kTick: {
          ScheduleNextTick(static_cast<int>(e.id), now);
          const int pool = static_cast<int>(e.id);
          int excess = Alive(pool, /*count_noticed=*/false) - Capacity(pool, now);
          // The newest instances get the notice.
          for (auto it = instances_.rbegin(); excess > 0 && it != instances_.rend(); ++it) {
            Instance& in = it->second;
            if (in.pool != pool || in.noticed) continue;
            in.noticed = true;
            ++noticed_[pool];
            --excess;
            Schedule(now + options_.notice_millis, EventKind::kReclaim, in.id, in.gen);
          }
          break;
        }
        case EventKind::kDecide:
          Schedule(now + kDecideEvery, EventKind::kDecide, 0);
          break;
        case EventKind::kReady: {
          auto it = instances_.find(e.id);
          if (it != instances_.end()) StartWork(it->second, now);
          break;
        }
        case EventKind::kReclaim:
          if (instances_.count(e.id)) End(e.id, now, /*reclaimed=*/true);
          break;
        case EventKind::kDone: {
          auto it = instances_.find(e.id);
          if (it == instances_.end() || it->second.gen != e.gen || it->second.task < 0) break;
          Instance& in = it->second;
          Settle(in, now);
          Task& t = tasks_[in.task];
          if (t.done_millis + 0.5 < t.total_millis) break;  // rescheduled meanwhile
          t.finished = true;
          longest_done_millis_ = std::max(longest_done_millis_, t.total_millis);
          done_millis_ += t.total_millis;
          remaining_millis_ -= t.total_millis - t.done_millis;  // the rounding of the event time
          --unfinished_;
          --running_tasks_;
          in.task = -1;
          ++in.gen;
          result_.finish_hours = static_cast<double>(now) / kMillisPerHour;
          if (in.draining) {
            End(in.id, now, /*reclaimed=*/false);
          } else {
            StartWork(in, now);
          }
          break;
        }
      }
    }
    if (unfinished_ == 0) break;
    Dispatch(now);
    SB_RETURN_IF_ERROR(Apply(policy_.Decide(Observe(now)), now));
    Dispatch(now);
  }
  result_.finished = unfinished_ == 0;
  while (!instances_.empty()) End(instances_.begin()->first, now, /*reclaimed=*/false);
  result_.deadline_met = result_.finished && (work_.deadline_hours <= 0 ||
                                              result_.finish_hours <= work_.deadline_hours + 1e-9);
  return result_;
}

}  // namespace

Result<SimResult> Simulate(const std::vector<MarketPool>& pools, const Workload& work,
                           FleetPolicy& policy, const SimOptions& options) {
  Simulation sim(pools, work, policy, options);
  return sim.Run();
}

}  // namespace spotbatch
