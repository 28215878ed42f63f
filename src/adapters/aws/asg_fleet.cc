#include "adapters/aws/asg_fleet.h"

#include <algorithm>

#include "common/control_bytes.h"

namespace spotbatch {
namespace {

// DescribeAutoScalingGroups takes at most 100 names a call; 50 keeps a page of groups with
// their instances well inside what one answer may hold.
constexpr size_t kGroupsPerDescribe = 50;
constexpr int kMaxDescribePages = 1000;
// The newest activities of a group are enough: those of the launches of the last minutes.
constexpr char kActivitiesPerRead[] = "20";
// An activity's StartTime is Auto Scaling's clock; ours may be a few seconds off.
constexpr int64_t kClockSkewMillis = 5'000;
// Auto Scaling's describes are eventually consistent: a read may show a group's new desired
// capacity with its instances as they were, or the other way round. A shortfall is capacity
// on its way only when a read this much later still shows it.
constexpr int64_t kConsistencyMillis = 5'000;

InstanceState StateOf(const std::string& lifecycle, bool drained) {
  if (lifecycle.starts_with("Pending") || lifecycle.starts_with("Warmed")) {
    return InstanceState::kPending;
  }
  if (lifecycle == "InService") return drained ? InstanceState::kDraining : InstanceState::kRunning;
  if (lifecycle == "Terminating:Wait" && drained) return InstanceState::kDraining;
  if (lifecycle == "Standby" || lifecycle == "EnteringStandby") return InstanceState::kDraining;
  return InstanceState::kTerminating;  // Terminating*, Detaching, Detached, Quarantined...
}

}  // namespace

Result<std::unique_ptr<AsgFleet>> AsgFleet::New(AsgFleetOptions options,
                                                AwsQueryClient& autoscaling, Clock& clock) {
  std::set<std::string> names, groups;
  for (const AsgPoolSpec& p : options.pools) {
    if (p.pool.name.empty() || p.group.empty()) {
      return InvalidArgument("an EC2 pool needs a name and an Auto Scaling group");
    }
    if (!names.insert(p.pool.name).second || !groups.insert(p.group).second) {
      return InvalidArgument("EC2 pool \"" + p.pool.name + "\" or its group \"" + p.group +
                             "\" is named twice");
    }
  }
  if (options.describe_every_millis < 0 || options.protection_read_millis < 0 ||
      options.activity_check_millis < 0 || options.launch_timeout_millis < 0 ||
      options.no_capacity_millis < 0 || options.forget_ended_millis < 0) {
    return InvalidArgument("the EC2 fleet's periods cannot be negative");
  }
  return std::unique_ptr<AsgFleet>(new AsgFleet(std::move(options), autoscaling, clock));
}

AsgFleet::AsgFleet(AsgFleetOptions options, AwsQueryClient& autoscaling, Clock& clock)
    : options_(std::move(options)),
      autoscaling_(autoscaling),
      clock_(clock),
      pools_(options_.pools.size()) {}

Result<std::string> AsgFleet::CallLocked(std::string_view action, const QueryParams& params) {
  ++calls_[std::string(action)];
  return autoscaling_.Call(action, params);
}

std::vector<AsgPoolCounts> AsgFleet::counts() {
  std::lock_guard lock(mu_);
  std::vector<AsgPoolCounts> out(pools_.size());
  for (size_t p = 0; p < pools_.size(); ++p) {
    out[p].launched = pools_[p].launched;
    out[p].reclaims = pools_[p].reclaims;
  }
  for (const auto& [id, t] : tracked_) {
    if (!t.ticket && !IsLeaving(t.view.state) && !t.ended_by_us) ++out[t.pool].instances;
  }
  return out;
}

std::map<std::string, int> AsgFleet::calls() {
  std::lock_guard lock(mu_);
  return calls_;
}

Result<std::vector<FleetPool>> AsgFleet::Pools() {
  std::vector<FleetPool> out;
  for (const AsgPoolSpec& p : options_.pools) out.push_back(p.pool);
  return out;
}

Result<size_t> AsgFleet::PoolIndex(std::string_view name) const {
  for (size_t i = 0; i < options_.pools.size(); ++i) {
    if (options_.pools[i].pool.name == name) return i;
  }
  return NotFound("no EC2 pool is named \"" + std::string(name) + "\"");
}

AsgFleet::Tracked* AsgFleet::Find(std::string_view id) {
  auto it = tracked_.find(id);
  return it == tracked_.end() ? nullptr : &it->second;
}

AsgFleet::Tracked* AsgFleet::Resolve(std::string_view id) {
  auto taken = resolved_.find(id);
  return taken == resolved_.end() ? Find(id) : Find(taken->second);
}

std::vector<int> AsgFleet::InPoolsLocked() const {
  std::vector<int> n(pools_.size(), 0);
  for (const auto& [id, t] : tracked_) {
    if (!IsLeaving(t.view.state) && !t.ended_by_us) ++n[t.pool];
  }
  return n;
}

int AsgFleet::InPoolLocked(size_t pool) const { return InPoolsLocked()[pool]; }

AsgFleet::Tracked& AsgFleet::NewTicketLocked(size_t pool, int64_t now) {
  Tracked ticket;
  ticket.ticket = true;
  ticket.pool = pool;
  ticket.view.id =
      "launch-" + options_.pools[pool].pool.name + "-" + std::to_string(next_ticket_++);
  ticket.view.pool = options_.pools[pool].pool.name;
  ticket.view.launched_unix_millis = now;
  ticket.ticket_deadline = now + options_.launch_timeout_millis;
  pools_[pool].tickets.push_back(ticket.view.id);
  std::string id = ticket.view.id;
  return tracked_.emplace(std::move(id), std::move(ticket)).first->second;
}

void AsgFleet::EndLocked(Tracked& t, int64_t now, bool reclaimed) {
  t.view.state = InstanceState::kTerminated;
  t.view.ended_unix_millis = now;
  t.view.reclaimed = reclaimed;
  t.view.busy = false;
}

Status AsgFleet::FlushLocked() {
  Status first = Status::Ok();
  for (size_t p = 0; p < pools_.size(); ++p) {
    PoolState& pool = pools_[p];
    if (pool.delta == 0) continue;
    // Never below what the fleet keeps: a ticket for a shortfall that a stale read showed
    // must not take a running instance with it when it is cancelled.
    const int desired = std::max({0, pool.desired + pool.delta, InPoolLocked(p)});
    const Status s =
        CallLocked("SetDesiredCapacity", {{"AutoScalingGroupName", options_.pools[p].group},
                                          {"DesiredCapacity", std::to_string(desired)},
                                          {"HonorCooldown", "false"}})
            .status();
    if (s.ok()) {
      pool.desired = desired;
      pool.delta = 0;
      stale_ = true;
      continue;
    }
    // Refused for good (the group's maximum lowered meanwhile, or gone): the launches not
    // sent end, never having been instances; the manager decides again on what it sees.
    if (!s.retryable() && pool.delta > 0) {
      for (int n = pool.delta; n > 0 && !pool.tickets.empty(); --n) {
        Tracked& t = tracked_.at(pool.tickets.back());
        EndLocked(t, t.view.launched_unix_millis, false);
        pool.tickets.pop_back();
      }
      pool.delta = 0;
    }
    if (first.ok()) first = s;
  }
  return first;
}

void AsgFleet::CancelTicketLocked(Tracked& t) {
  PoolState& pool = pools_[t.pool];
  auto at = std::find(pool.tickets.begin(), pool.tickets.end(), t.view.id);
  if (at == pool.tickets.end()) return;  // ended already
  pool.tickets.erase(at);
  --pool.delta;
  stale_ = true;
  // Never an instance: its end costs nothing.
  EndLocked(t, t.view.launched_unix_millis, false);
}

void AsgFleet::RefuseLaunchesLocked(size_t pool, int64_t now, std::string why) {
  pools_[pool].no_capacity_until = now + options_.no_capacity_millis;
  pools_[pool].no_capacity_why = std::move(why);
}

void AsgFleet::CheckActivitiesLocked(size_t p, int64_t now) {
  PoolState& pool = pools_[p];
  if (pool.tickets.empty()) return;
  const Tracked& oldest = tracked_.at(pool.tickets.front());
  if (now - oldest.view.launched_unix_millis < options_.activity_check_millis ||
      (pool.activities_read_at > 0 &&
       now - pool.activities_read_at < options_.activity_check_millis)) {
    return;
  }
  pool.activities_read_at = now;
  auto body = CallLocked(
      "DescribeScalingActivities",
      {{"AutoScalingGroupName", options_.pools[p].group}, {"MaxRecords", kActivitiesPerRead}});
  if (!body.ok()) return;
  auto page = ParseDescribeScalingActivities(*body);
  if (!page.ok()) return;
  for (const AsgActivity& a : page->activities) {
    if (!a.FailedLaunch() ||
        a.start_unix_millis < oldest.view.launched_unix_millis - kClockSkewMillis) {
      continue;
    }
    while (!pool.tickets.empty()) CancelTicketLocked(tracked_.at(pool.tickets.front()));
    RefuseLaunchesLocked(
        p, now,
        "Auto Scaling could not launch: " +
            Quotable(a.status_message.empty() ? a.description : a.status_message, 200));
    return;
  }
}

void AsgFleet::ForgetEndedLocked(int64_t now) {
  while (!ended_order_.empty() &&
         now - ended_order_.front().first >= options_.forget_ended_millis) {
    ended_.erase(ended_order_.front().second);
    ended_order_.pop_front();
  }
}

Status AsgFleet::ReadGroupsLocked(std::vector<AsgGroup>* groups) {
  for (size_t i = 0; i < options_.pools.size(); i += kGroupsPerDescribe) {
    QueryParams params;
    for (size_t j = i; j < std::min(options_.pools.size(), i + kGroupsPerDescribe); ++j) {
      params.emplace_back("AutoScalingGroupNames.member." + std::to_string(j - i + 1),
                          options_.pools[j].group);
    }
    params.emplace_back("MaxRecords", "100");
    std::string token;
    for (int page = 0;; ++page) {
      if (page == kMaxDescribePages) {
        return Internal("Auto Scaling DescribeAutoScalingGroups: too many pages");
      }
      QueryParams asked = params;
      if (!token.empty()) asked.emplace_back("NextToken", token);
      SB_ASSIGN_OR_RETURN(const std::string body, CallLocked("DescribeAutoScalingGroups", asked));
      SB_ASSIGN_OR_RETURN(AsgPage p, ParseDescribeAutoScalingGroups(body));
      for (AsgGroup& g : p.groups) groups->push_back(std::move(g));
      if (p.next_token.empty()) break;
      if (p.next_token == token) {
        return Internal("Auto Scaling DescribeAutoScalingGroups: a page that does not move on");
      }
      token = std::move(p.next_token);
    }
  }
  return Status::Ok();
}

Status AsgFleet::ReadLocked(int64_t now) {
  SB_RETURN_IF_ERROR(FlushLocked());
  std::vector<AsgGroup> groups;
  SB_RETURN_IF_ERROR(ReadGroupsLocked(&groups));
  std::map<std::string_view, const AsgGroup*> by_name;
  for (const AsgGroup& g : groups) by_name[g.name] = &g;
  std::set<std::string> seen;
  for (size_t p = 0; p < options_.pools.size(); ++p) {
    const AsgPoolSpec& spec = options_.pools[p];
    auto g = by_name.find(spec.group);
    if (g == by_name.end()) {
      return NotFound("the Auto Scaling group \"" + spec.group + "\" of pool \"" + spec.pool.name +
                      "\" does not exist (spotbatch aws deploy makes it)");
    }
    PoolState& pool = pools_[p];
    pool.desired = g->second->desired_capacity;
    pool.group_max = g->second->max_size;
    pool.read = true;
    for (const AsgInstance& in : g->second->instances) {
      if (ended_.count(in.id)) continue;
      seen.insert(in.id);
      Tracked* t = Find(in.id);
      if (t == nullptr) {
        Tracked fresh;
        fresh.pool = p;
        fresh.view.id = in.id;
        fresh.view.pool = spec.pool.name;
        fresh.view.launched_unix_millis = now;
        // The launch it answers (one seen first on its way out answers none).
        if (!pool.tickets.empty() && !IsLeaving(StateOf(in.lifecycle_state, false))) {
          Tracked& ticket = tracked_.at(pool.tickets.front());
          fresh.manager_protected = ticket.manager_protected;
          fresh.view.launch_ticket = ticket.view.id;
          EndLocked(ticket, ticket.view.launched_unix_millis, false);
          resolved_[ticket.view.id] = in.id;
          pool.tickets.erase(pool.tickets.begin());
        }
        t = &tracked_.emplace(in.id, std::move(fresh)).first->second;
        ++pool.launched;
      }
      t->view.state = StateOf(in.lifecycle_state, t->drained);
      t->view.protected_from_scale_in = in.protected_from_scale_in || t->manager_protected;
      t->view.busy = in.protected_from_scale_in && !t->manager_protected;
    }
  }
  for (auto& [id, t] : tracked_) {
    if (t.ticket) {
      if (t.view.state != InstanceState::kTerminated && now >= t.ticket_deadline) {
        CancelTicketLocked(t);
        RefuseLaunchesLocked(t.pool, now,
                             "no instance showed within " +
                                 std::to_string(options_.launch_timeout_millis / 1000) +
                                 " s of its launch");
      }
      continue;
    }
    if (t.view.state != InstanceState::kTerminated && !seen.count(id)) {
      const bool reclaimed = !t.ended_by_us && options_.pools[t.pool].pool.spot;
      EndLocked(t, now, reclaimed);
      pools_[t.pool].reclaims += reclaimed;
    }
  }
  for (size_t p = 0; p < pools_.size(); ++p) CheckActivitiesLocked(p, now);
  // One pass over the instances for every pool, not one per pool.
  const std::vector<int> in_pools = InPoolsLocked();
  for (size_t p = 0; p < pools_.size(); ++p) {
    // Capacity the group launches that this fleet did not ask for (a reclaimed instance's
    // replacement, another's raise): the manager must count it, not launch it again.
    PoolState& pool = pools_[p];
    int missing = pool.desired + pool.delta - in_pools[p];
    if (missing <= 0) {
      pool.shortfall_since = 0;
    } else if (pool.shortfall_since == 0) {
      pool.shortfall_since = now;
    } else if (now - pool.shortfall_since >= kConsistencyMillis) {
      for (; missing > 0; --missing) NewTicketLocked(p, now);
      pool.shortfall_since = 0;
    }
  }
  read_at_ = now;
  // Cancellations made above reach the groups now, not a read later; a failure leaves them
  // for the next read, which is then due at once.
  stale_ = !FlushLocked().ok();
  ForgetEndedLocked(now);
  return Status::Ok();
}

Status AsgFleet::ReadIfDueLocked(int64_t now) {
  if (stale_ || read_at_ == 0 || now - read_at_ >= options_.describe_every_millis) {
    return ReadLocked(now);
  }
  return Status::Ok();
}

Result<std::string> AsgFleet::Launch(std::string_view pool_name) {
  SB_ASSIGN_OR_RETURN(const size_t p, PoolIndex(pool_name));
  std::lock_guard lock(mu_);
  const int64_t now = clock_.NowUnixMillis();
  // The group's size limits, once; otherwise a launch reads nothing (the tick's Describe did).
  if (!pools_[p].read) SB_RETURN_IF_ERROR(ReadLocked(now));
  PoolState& pool = pools_[p];
  const AsgPoolSpec& spec = options_.pools[p];
  if (now < pool.no_capacity_until) {
    return ResourceExhausted("pool \"" + spec.pool.name + "\" found no capacity (" +
                             pool.no_capacity_why + "); not trying again for " +
                             std::to_string((pool.no_capacity_until - now + 999) / 1000) + " s");
  }
  if (InPoolLocked(p) >= spec.pool.max_instances || pool.desired + pool.delta >= pool.group_max) {
    return FailedPrecondition("pool \"" + spec.pool.name + "\" runs as many instances as it may (" +
                              std::to_string(std::min(spec.pool.max_instances, pool.group_max)) +
                              ")");
  }
  ++pool.delta;  // sent with the tick's other launches, at the next read
  stale_ = true;
  return NewTicketLocked(p, now).view.id;
}

Status AsgFleet::TerminateLocked(Tracked& t) {
  if (t.ended_by_us) return Status::Ok();
  SB_RETURN_IF_ERROR(
      CallLocked("TerminateInstanceInAutoScalingGroup",
                 {{"InstanceId", t.view.id}, {"ShouldDecrementDesiredCapacity", "true"}})
          .status());
  t.ended_by_us = true;
  PoolState& pool = pools_[t.pool];
  if (pool.desired > 0) --pool.desired;
  if (!t.drained) t.view.state = InstanceState::kTerminating;
  stale_ = true;
  return Status::Ok();
}

Status AsgFleet::Terminate(std::string_view id) {
  std::lock_guard lock(mu_);
  const int64_t now = clock_.NowUnixMillis();
  Tracked* t = Resolve(id);
  if (t == nullptr) {
    return ended_.count(id) ? Status::Ok()
                            : NotFound("no EC2 instance \"" + std::string(id) + "\" in the fleet");
  }
  if (t->view.state == InstanceState::kTerminated) return Status::Ok();
  if (t->ticket && t->manager_protected) {
    return FailedPrecondition("EC2 launch " + std::string(id) +
                              " is protected from scale-in: drain it instead");
  }
  if (t->ticket) {
    CancelTicketLocked(*t);
    return Status::Ok();
  }
  // Protection is the worker's to set at any moment: decide on a recent read of the groups,
  // one for all the scale-ins of a tick.
  if (read_at_ == 0 || now - read_at_ >= options_.protection_read_millis) {
    SB_RETURN_IF_ERROR(ReadLocked(now));
  }
  t = Resolve(id);
  if (t == nullptr || t->view.state == InstanceState::kTerminated) return Status::Ok();
  // The manager's protection of a ticket passes to its instance here, not in Auto Scaling.
  if ((t->view.protected_from_scale_in || t->manager_protected) && !t->ended_by_us) {
    return FailedPrecondition("EC2 instance " + std::string(id) +
                              " is protected from scale-in: drain it instead");
  }
  return TerminateLocked(*t);
}

Status AsgFleet::Drain(std::string_view id) {
  std::lock_guard lock(mu_);
  Tracked* t = Resolve(id);
  if (t == nullptr || t->view.state == InstanceState::kTerminated ||
      (t->ended_by_us && !t->drained)) {
    return NotFound("no EC2 instance \"" + std::string(id) + "\" to drain");
  }
  if (t->ticket) {
    CancelTicketLocked(*t);
    return Status::Ok();
  }
  if (t->drained) return Status::Ok();
  t->drained = true;
  const Status s = TerminateLocked(*t);
  if (!s.ok()) {
    t->drained = false;
    return s;
  }
  t->view.state = InstanceState::kDraining;
  return Status::Ok();
}

Status AsgFleet::SetProtection(std::string_view id, bool protect) {
  std::lock_guard lock(mu_);
  Tracked* t = Resolve(id);
  if (t == nullptr || t->view.state == InstanceState::kTerminated || t->ended_by_us) {
    return NotFound("no EC2 instance \"" + std::string(id) + "\" to protect");
  }
  if (!t->ticket) {
    SB_RETURN_IF_ERROR(CallLocked("SetInstanceProtection",
                                  {{"InstanceIds.member.1", t->view.id},
                                   {"AutoScalingGroupName", options_.pools[t->pool].group},
                                   {"ProtectedFromScaleIn", protect ? "true" : "false"}})
                           .status());
    t->view.protected_from_scale_in = protect;
    stale_ = true;
  }
  t->manager_protected = protect;
  return Status::Ok();
}

Result<std::vector<FleetInstance>> AsgFleet::Describe() {
  std::lock_guard lock(mu_);
  const int64_t now = clock_.NowUnixMillis();
  SB_RETURN_IF_ERROR(ReadIfDueLocked(now));
  std::vector<FleetInstance> out;
  out.reserve(tracked_.size());
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    Tracked& t = it->second;
    const bool ended = t.view.state == InstanceState::kTerminated;
    out.push_back(t.view);
    if (ended) {
      if (!t.view.launch_ticket.empty()) resolved_.erase(t.view.launch_ticket);
      ended_.insert(it->first);
      ended_order_.emplace_back(now, it->first);
      it = tracked_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace spotbatch
