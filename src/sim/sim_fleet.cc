#include "sim/sim_fleet.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace spotbatch {
namespace {

constexpr std::string_view kIdPrefix = "i-";

// The number of an id this fleet gave ("i-<n>"); 0 for anything else.
int64_t Number(std::string_view id) {
  if (id.substr(0, kIdPrefix.size()) != kIdPrefix) return 0;
  const std::string_view digits = id.substr(kIdPrefix.size());
  if (digits.empty() || digits.front() == '0') return 0;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return ec == std::errc() && end == digits.data() + digits.size() ? n : 0;
}

Status NoInstance(std::string_view id) {
  return NotFound("instance " + std::string(id) + " is not in the fleet (or terminated)");
}

}  // namespace

SimFleet::SimFleet(const std::vector<MarketPool>& pools, const Workload& work,
                   const SimFleetOptions& options, Clock& clock)
    : pools_(pools),
      work_(work),
      options_(options),
      rng_(options.seed),
      clock_(clock),
      start_unix_(clock.NowUnixMillis()) {
  for (double h : work_.task_hours) {
    tasks_.push_back({0, h * kMillisPerHour});
    total_millis_ += h * kMillisPerHour;
    waiting_.push_back(static_cast<int>(tasks_.size()) - 1);
  }
  if (work_.order == TaskOrder::kLargestFirst) {
    const std::vector<double>& predicted =
        work_.predicted_hours.empty() ? work_.task_hours : work_.predicted_hours;
    std::stable_sort(waiting_.begin(), waiting_.end(),
                     [&](int a, int b) { return predicted[a] > predicted[b]; });
  }
  unfinished_ = static_cast<int>(tasks_.size());
  remaining_millis_ = total_millis_;
  alive_.assign(pools_.size(), 0);
  noticed_.assign(pools_.size(), 0);
  for (size_t p = 0; p < pools_.size(); ++p) {
    ScheduleNextTick(static_cast<int>(p), 0, EventKind::kTick);
    ScheduleNextTick(static_cast<int>(p), 0, EventKind::kPrice);
  }
}

int SimFleet::Capacity(int pool, int64_t at) const {
  const MarketPool& p = pools_[pool];
  if (!p.spot() || p.capacity.values.empty()) return std::numeric_limits<int>::max() / 2;
  return p.capacity.CapacityAt(TraceTime(at), p.max_instances);
}

int SimFleet::Room(int pool, int64_t at) const {
  return std::min(Capacity(pool, at), pools_[pool].max_instances);
}

// The next tick of the pool's capacity trace (kTick) or price series (kPrice): capacity may
// change then, and the manager must see a new price when it comes into force to bill it.
void SimFleet::ScheduleNextTick(int pool, int64_t at, EventKind kind) {
  const MarketPool& p = pools_[pool];
  int64_t gap = 0;
  if (kind == EventKind::kTick && p.spot() && !p.capacity.values.empty()) {
    gap = p.capacity.gap_millis;
  } else if (kind == EventKind::kPrice && p.price.usd_per_hour.size() > 1) {
    gap = p.price.gap_millis;
  }
  if (gap <= 0) return;
  const int64_t t = TraceTime(at);
  Schedule((t / gap + 1) * gap - options_.start_offset_millis, kind, pool);
}

SimFleet::Instance* SimFleet::Find(std::string_view id) {
  auto it = instances_.find(Number(id));
  return it == instances_.end() ? nullptr : &it->second;
}

int SimFleet::PoolIndex(std::string_view name) const {
  for (size_t i = 0; i < pools_.size(); ++i) {
    if (pools_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

// Credits the instance's task with the progress made up to `now`.
void SimFleet::Settle(Instance& in, int64_t now) {
  if (in.task < 0 || now <= in.progress_since || now < in.ready_at) return;
  const auto credit = static_cast<double>(now - std::max(in.progress_since, in.ready_at));
  tasks_[in.task].done_millis += credit;
  remaining_millis_ -= credit;
  in.progress_since = now;
}

void SimFleet::StartWork(Instance& in, int64_t now) {
  if (in.task < 0 && !waiting_.empty() && !in.draining) {
    in.task = waiting_.front();
    waiting_.pop_front();
    ++running_;
    in.took = now;
    if (options_.workers_protect) in.protect = true;
  }
  if (in.task < 0 || !in.ready) return;
  in.progress_since = now;
  const Task& t = tasks_[in.task];
  const double left = std::max(0.0, t.total_millis - t.done_millis);
  Schedule(now + static_cast<int64_t>(std::ceil(left)), EventKind::kDone, in.n, in.gen);
}

void SimFleet::Record(const Instance& in, int64_t now, bool interrupted, bool wasted) {
  const int64_t from = std::max(in.took, in.ready_at);
  if (now <= from) return;
  attempts_.push_back({in.id, in.task, Unix(from), Unix(now), interrupted, wasted});
}

void SimFleet::Finish(Instance& in, int64_t now) {
  Task& t = tasks_[in.task];
  longest_done_millis_ = std::max(longest_done_millis_, t.total_millis);
  done_millis_ += t.total_millis;
  remaining_millis_ -= t.total_millis - t.done_millis;  // the rounding of the event time
  t.done_millis = t.total_millis;
  --unfinished_;
  --running_;
  Record(in, now, false, false);
  in.task = -1;
  ++in.gen;
  if (options_.workers_protect) in.protect = false;
  finished_at_ = now;
  if (in.draining) {
    End(in.n, now, /*reclaimed=*/false);
  } else {
    StartWork(in, now);
  }
}

// Takes the instance's task back (progress kept only up to the last checkpoint) and reports
// the end at the next Describe.
void SimFleet::End(int64_t n, int64_t now, bool reclaimed) {
  auto it = instances_.find(n);
  Instance& in = it->second;
  Settle(in, now);
  if (in.task >= 0) {
    Task& t = tasks_[in.task];
    double lost = 0;
    if (work_.checkpoint_hours > 0) {
      const double every = work_.checkpoint_hours * kMillisPerHour;
      const double kept = std::floor(t.done_millis / every) * every;
      lost = t.done_millis - kept;
      remaining_millis_ += lost;
      t.done_millis = kept;
    }
    Record(in, now, reclaimed, lost > 0);
    waiting_.push_front(in.task);
    --running_;
    dispatch_ = true;  // an idle instance elsewhere may take it
  }
  FleetInstance v;
  v.id = in.id;
  v.pool = pools_[in.pool].name;
  v.state = InstanceState::kTerminated;
  v.launched_unix_millis = Unix(in.launched);
  v.ended_unix_millis = Unix(now);
  v.interruption_unix_millis = in.noticed ? Unix(in.reclaim_at) : 0;
  v.rebalance_recommended = in.rebalance;
  v.reclaimed = reclaimed;
  ended_.push_back(std::move(v));
  if (options_.record_timeline) timeline_.push_back({in.pool, in.launched, now, reclaimed});
  --alive_[in.pool];
  if (in.noticed) --noticed_[in.pool];
  instances_.erase(it);
}

Result<std::vector<FleetPool>> SimFleet::Pools() {
  std::vector<FleetPool> out;
  for (const MarketPool& p : pools_) {
    out.push_back({p.name, p.spot(), p.instance_type, p.zone, p.max_instances});
  }
  return out;
}

Result<std::string> SimFleet::Launch(std::string_view pool_name) {
  const int pool = PoolIndex(pool_name);
  if (pool < 0) return NotFound("pool " + std::string(pool_name) + " is not in the fleet");
  const MarketPool& p = pools_[pool];
  const int64_t now = Now();
  if (alive_[pool] >= p.max_instances) {
    return FailedPrecondition("pool " + p.name + " runs its " + std::to_string(p.max_instances) +
                              " instances already");
  }
  if (alive_[pool] >= Capacity(pool, now)) {
    return ResourceExhausted("pool " + p.name + " has no spot capacity now");
  }
  Instance in;
  in.n = next_n_++;
  in.id = std::string(kIdPrefix) + std::to_string(in.n);
  in.pool = pool;
  in.launched = now;
  in.ready_at = now + static_cast<int64_t>(work_.changeover_hours * kMillisPerHour);
  in.ready = in.ready_at <= now;
  auto [it, inserted] = instances_.emplace(in.n, std::move(in));
  ++alive_[pool];
  if (!it->second.ready) Schedule(it->second.ready_at, EventKind::kReady, it->first);
  if (p.spot()) ScheduleSpuriousRebalance(it->first, now);
  StartWork(it->second, now);
  return it->second.id;
}

Status SimFleet::Drain(std::string_view id) {
  Instance* in = Find(id);
  if (in == nullptr) return NoInstance(id);
  if (in->task < 0) {
    End(in->n, Now(), /*reclaimed=*/false);
  } else {
    in->draining = true;
  }
  return Status::Ok();
}

Status SimFleet::Terminate(std::string_view id) {
  Instance* in = Find(id);
  if (in == nullptr) {
    const int64_t n = Number(id);
    return n > 0 && n < next_n_ ? Status::Ok() : NoInstance(id);  // ended already: done
  }
  if (in->protect) {
    return FailedPrecondition("instance " + std::string(id) +
                              " is protected from scale-in (its worker holds a task)");
  }
  End(in->n, Now(), /*reclaimed=*/false);
  return Status::Ok();
}

Status SimFleet::SetProtection(std::string_view id, bool protect) {
  Instance* in = Find(id);
  if (in == nullptr) return NoInstance(id);
  in->protect = protect;
  return Status::Ok();
}

Result<std::vector<FleetInstance>> SimFleet::Describe() {
  std::vector<FleetInstance> out;
  out.reserve(instances_.size() + ended_.size());
  for (const auto& [n, in] : instances_) {
    FleetInstance v;
    v.id = in.id;
    v.pool = pools_[in.pool].name;
    v.state = in.draining ? InstanceState::kDraining
              : in.ready  ? InstanceState::kRunning
                          : InstanceState::kPending;
    v.launched_unix_millis = Unix(in.launched);
    v.busy = in.task >= 0;
    v.protected_from_scale_in = in.protect;
    v.interruption_unix_millis = in.noticed ? Unix(in.reclaim_at) : 0;
    v.rebalance_recommended = in.rebalance;
    out.push_back(std::move(v));
  }
  for (FleetInstance& v : ended_) out.push_back(std::move(v));
  ended_.clear();
  return out;
}

Result<std::vector<PoolQuote>> SimFleet::Quotes() {
  const int64_t now = Now();
  std::vector<PoolQuote> out;
  out.reserve(pools_.size());
  for (size_t i = 0; i < pools_.size(); ++i) {
    const MarketPool& p = pools_[i];
    PoolQuote q;
    q.pool = p.name;
    q.spot = p.spot();
    q.usd_per_hour = p.price.At(TraceTime(now));
    q.on_demand_usd_per_hour = p.on_demand_usd_per_hour;
    q.spare = std::max(0, Room(static_cast<int>(i), now) - alive_[i]);
    q.can_launch = q.spare > 0;
    q.interruption_band = p.spot() ? p.interruption_band : kUnknownBand;
    out.push_back(std::move(q));
  }
  return out;
}

Result<std::vector<PricePoint>> SimFleet::PriceHistory(std::string_view pool_name, int64_t from,
                                                       int64_t to) {
  if (to < from) return InvalidArgument("price history: the end is before the start");
  const int pool = PoolIndex(pool_name);
  if (pool < 0) return NotFound("pool " + std::string(pool_name) + " is not in the fleet");
  const PriceSeries& price = pools_[pool].price;
  const int64_t gap = price.gap_millis;
  if (gap <= 0 || price.usd_per_hour.size() <= 1) {
    return std::vector<PricePoint>{{std::min(from, start_unix_), price.At(0)}};
  }
  // Each tick of the series, in clock time, from the one in force at `from`.
  std::vector<PricePoint> out;
  const int64_t first = std::max<int64_t>(0, TraceTime(from - start_unix_)) / gap;
  for (int64_t k = first;; ++k) {
    const int64_t at = Unix(k * gap - options_.start_offset_millis);
    if (k > first && at >= to) break;
    out.push_back({at, price.At(k * gap)});
  }
  return out;
}

Result<WorkSnapshot> SimFleet::Work() {
  const int64_t now = Now();
  WorkSnapshot w;
  w.queued = static_cast<int>(waiting_.size());
  w.running = running_;
  w.left = unfinished_;
  const int done = static_cast<int>(tasks_.size()) - unfinished_;
  w.mean_done_task_seconds = done > 0 ? done_millis_ / 1000 / done : 0;
  w.longest_done_task_seconds = longest_done_millis_ / 1000;
  w.deadline_unix_millis = work_.deadline_hours > 0
                               ? Unix(static_cast<int64_t>(work_.deadline_hours * kMillisPerHour))
                               : 0;
  // The work left now: progress of the running tasks since their last Settle counts too.
  double left = remaining_millis_;
  for (const auto& [n, in] : instances_) {
    const int64_t since = std::max(in.progress_since, in.ready_at);
    if (in.task >= 0 && in.ready && now > since) left -= static_cast<double>(now - since);
  }
  w.remaining_hours = std::max(0.0, left / kMillisPerHour);
  w.total_hours = total_millis_ / kMillisPerHour;
  w.mean_task_seconds = tasks_.empty() ? 0 : total_millis_ / 1000 / tasks_.size();
  w.longest_first = work_.order == TaskOrder::kLargestFirst;
  return w;
}

int64_t SimFleet::NextEventUnixMillis() const {
  return events_.empty() ? std::numeric_limits<int64_t>::max() : Unix(events_.top().at);
}

int64_t SimFleet::ApplyDueEvents() {
  const int64_t now = Now();
  int64_t applied = 0;
  while (!events_.empty() && events_.top().at <= now && unfinished_ > 0) {
    const Event e = events_.top();
    events_.pop();
    ++applied;
    Apply(e);
  }
  return applied;
}

void SimFleet::RecommendAhead(int pool, int64_t now) {
  if (options_.rebalance_lead_millis <= 0 || !pools_[pool].spot()) return;
  int warned = 0;
  for (const auto& [n, in] : instances_) warned += in.pool == pool && !in.noticed && in.rebalance;
  int soon =
      alive_[pool] - noticed_[pool] - warned - Capacity(pool, now + options_.rebalance_lead_millis);
  for (auto it = instances_.rbegin(); soon > 0 && it != instances_.rend(); ++it) {
    Instance& in = it->second;
    if (in.pool != pool || in.noticed || in.rebalance) continue;
    in.rebalance = true;
    --soon;
  }
}

void SimFleet::ScheduleSpuriousRebalance(int64_t n, int64_t now) {
  if (options_.spurious_rebalances_per_hour <= 0) return;
  std::exponential_distribution<double> hours(options_.spurious_rebalances_per_hour);
  Schedule(now + static_cast<int64_t>(hours(rng_) * kMillisPerHour), EventKind::kRebalance, n);
}

void SimFleet::Apply(const Event& e) {
  const int64_t now = e.at;
  switch (e.kind) {
    case EventKind::kTick: {
      const int pool = static_cast<int>(e.id);
      ScheduleNextTick(pool, now, EventKind::kTick);
      int excess = alive_[pool] - noticed_[pool] - Capacity(pool, now);
      // The newest instances get the notice.
      for (auto it = instances_.rbegin(); excess > 0 && it != instances_.rend(); ++it) {
        Instance& in = it->second;
        if (in.pool != pool || in.noticed) continue;
        in.noticed = true;
        in.reclaim_at = now + options_.notice_millis;
        ++noticed_[pool];
        --excess;
        Schedule(in.reclaim_at, EventKind::kReclaim, in.n);
      }
      RecommendAhead(pool, now);
      break;
    }
    case EventKind::kRebalance: {
      auto it = instances_.find(e.id);
      if (it != instances_.end() && !it->second.noticed) it->second.rebalance = true;
      break;
    }
    case EventKind::kPrice:
      ScheduleNextTick(static_cast<int>(e.id), now, EventKind::kPrice);
      break;
    case EventKind::kReady: {
      auto it = instances_.find(e.id);
      if (it == instances_.end()) break;
      it->second.ready = true;
      StartWork(it->second, now);
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
      const Task& t = tasks_[in.task];
      if (t.done_millis + 0.5 < t.total_millis) break;  // rescheduled meanwhile
      Finish(in, now);
      break;
    }
  }
}

void SimFleet::Dispatch() {
  if (!dispatch_) return;
  dispatch_ = false;
  const int64_t now = Now();
  for (auto& [n, in] : instances_) {
    if (waiting_.empty()) break;
    if (in.task < 0 && !in.draining && in.ready) StartWork(in, now);
  }
}

void SimFleet::EndAll() {
  const int64_t now = Now();
  while (!instances_.empty()) End(instances_.begin()->first, now, /*reclaimed=*/false);
}

Status SimFleet::Assign(std::string_view id, double hours) {
  Instance* in = Find(id);
  if (in == nullptr) return NoInstance(id);
  if (in->task >= 0) return FailedPrecondition("instance " + std::string(id) + " holds a task");
  tasks_.push_back({0, hours * kMillisPerHour});
  total_millis_ += hours * kMillisPerHour;
  remaining_millis_ += hours * kMillisPerHour;
  ++unfinished_;
  ++running_;
  in->task = static_cast<int>(tasks_.size()) - 1;
  in->took = Now();
  if (options_.workers_protect) in->protect = true;
  StartWork(*in, Now());
  return Status::Ok();
}

Status SimFleet::Complete(std::string_view id) {
  Instance* in = Find(id);
  if (in == nullptr) return NoInstance(id);
  if (in->task < 0) return FailedPrecondition("instance " + std::string(id) + " holds no task");
  Settle(*in, Now());
  Finish(*in, Now());
  return Status::Ok();
}

}  // namespace spotbatch
