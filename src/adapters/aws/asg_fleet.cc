#include "adapters/aws/asg_fleet.h"

#include <algorithm>

namespace spotbatch {
namespace {

// DescribeAutoScalingGroups takes at most 100 names a call; 50 keeps a page of groups with
// their instances well inside what one answer may hold.
constexpr size_t kGroupsPerDescribe = 50;
constexpr int kMaxDescribePages = 1000;

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
  if (options.describe_every_millis < 0 || options.launch_timeout_millis < 0 ||
      options.no_capacity_millis < 0) {
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

int AsgFleet::InPoolLocked(size_t pool) const {
  int n = 0;
  for (const auto& [id, t] : tracked_) {
    if (t.pool == pool && !IsLeaving(t.view.state) && !t.ended_by_us) ++n;
  }
  return n;
}

void AsgFleet::EndLocked(Tracked& t, int64_t now, bool reclaimed) {
  t.view.state = InstanceState::kTerminated;
  t.view.ended_unix_millis = now;
  t.view.reclaimed = reclaimed;
  t.view.busy = false;
}

Status AsgFleet::SetDesiredLocked(size_t pool, int desired) {
  SB_RETURN_IF_ERROR(
      CallLocked("SetDesiredCapacity", {{"AutoScalingGroupName", options_.pools[pool].group},
                                        {"DesiredCapacity", std::to_string(desired)},
                                        {"HonorCooldown", "false"}})
          .status());
  pools_[pool].desired = desired;
  stale_ = true;
  return Status::Ok();
}

Status AsgFleet::CancelTicketLocked(Tracked& t, int64_t now) {
  PoolState& pool = pools_[t.pool];
  auto at = std::find(pool.tickets.begin(), pool.tickets.end(), t.view.id);
  if (at == pool.tickets.end()) return Status::Ok();  // ended already
  if (pool.desired > 0) SB_RETURN_IF_ERROR(SetDesiredLocked(t.pool, pool.desired - 1));
  pool.tickets.erase(at);
  // Never an instance: its end costs nothing.
  EndLocked(t, t.view.launched_unix_millis, false);
  (void)now;
  return Status::Ok();
}

Status AsgFleet::ReadLocked(int64_t now) {
  std::map<std::string, const AsgGroup*> by_name;
  std::vector<AsgGroup> groups;
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
      for (AsgGroup& g : p.groups) groups.push_back(std::move(g));
      if (p.next_token.empty()) break;
      if (p.next_token == token) {
        return Internal("Auto Scaling DescribeAutoScalingGroups: a page that does not move on");
      }
      token = std::move(p.next_token);
    }
  }
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
        if (!pool.tickets.empty()) {  // the launch it answers
          Tracked& ticket = tracked_.at(pool.tickets.front());
          fresh.manager_protected = ticket.manager_protected;
          EndLocked(ticket, ticket.view.launched_unix_millis, false);
          resolved_[ticket.view.id] = in.id;
          pool.tickets.erase(pool.tickets.begin());
        }
        t = &tracked_.emplace(in.id, std::move(fresh)).first->second;
        ++pool.launched;
      }
      t->view.state = StateOf(in.lifecycle_state, t->drained);
      t->view.protected_from_scale_in = in.protected_from_scale_in;
      t->view.busy = in.protected_from_scale_in && !t->manager_protected;
    }
  }
  for (auto& [id, t] : tracked_) {
    if (t.ticket) {
      if (t.view.state != InstanceState::kTerminated && now >= t.ticket_deadline) {
        SB_RETURN_IF_ERROR(CancelTicketLocked(t, now));
        pools_[t.pool].no_capacity_until = now + options_.no_capacity_millis;
      }
      continue;
    }
    if (t.view.state != InstanceState::kTerminated && !seen.count(id)) {
      const bool reclaimed = !t.ended_by_us && options_.pools[t.pool].pool.spot;
      EndLocked(t, now, reclaimed);
      pools_[t.pool].reclaims += reclaimed;
    }
  }
  read_at_ = now;
  stale_ = false;
  return Status::Ok();
}

Status AsgFleet::ReadIfDueLocked(int64_t now, bool force) {
  if (force || stale_ || read_at_ == 0 || now - read_at_ >= options_.describe_every_millis) {
    return ReadLocked(now);
  }
  return Status::Ok();
}

Result<std::string> AsgFleet::Launch(std::string_view pool_name) {
  SB_ASSIGN_OR_RETURN(const size_t p, PoolIndex(pool_name));
  std::lock_guard lock(mu_);
  const int64_t now = clock_.NowUnixMillis();
  SB_RETURN_IF_ERROR(ReadIfDueLocked(now, !pools_[p].read));
  PoolState& pool = pools_[p];
  const AsgPoolSpec& spec = options_.pools[p];
  if (now < pool.no_capacity_until) {
    return ResourceExhausted("pool \"" + spec.pool.name +
                             "\" found no capacity for its last launch; not trying again for " +
                             std::to_string((pool.no_capacity_until - now) / 1000) + " s");
  }
  if (InPoolLocked(p) >= spec.pool.max_instances || pool.desired >= pool.group_max) {
    return FailedPrecondition("pool \"" + spec.pool.name + "\" runs as many instances as it may (" +
                              std::to_string(std::min(spec.pool.max_instances, pool.group_max)) +
                              ")");
  }
  SB_RETURN_IF_ERROR(SetDesiredLocked(p, pool.desired + 1));
  Tracked ticket;
  ticket.ticket = true;
  ticket.pool = p;
  ticket.view.id = "launch-" + spec.pool.name + "-" + std::to_string(next_ticket_++);
  ticket.view.pool = spec.pool.name;
  ticket.view.launched_unix_millis = now;
  ticket.ticket_deadline = now + options_.launch_timeout_millis;
  const std::string id = ticket.view.id;
  tracked_.emplace(id, std::move(ticket));
  pool.tickets.push_back(id);
  // Auto Scaling may show the instance at once (moto does; EC2 takes seconds): then the
  // launch's id is the instance's. A failed read leaves the ticket for the next one.
  if (!ReadLocked(now).ok()) return id;
  auto resolved = resolved_.find(id);
  if (resolved == resolved_.end()) return id;
  std::string instance = resolved->second;
  resolved_.erase(resolved);
  tracked_.erase(id);  // never reported: it needs no end
  return instance;
}

Status AsgFleet::TerminateLocked(Tracked& t, int64_t now) {
  (void)now;
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
  Tracked* t = Find(id);
  if (t == nullptr) {
    return ended_.count(id) ? Status::Ok()
                            : NotFound("no EC2 instance \"" + std::string(id) + "\" in the fleet");
  }
  if (t->view.state == InstanceState::kTerminated) return Status::Ok();
  if (t->ticket) return CancelTicketLocked(*t, now);
  // Protection is the worker's to set at any moment: decide on the group as it is now.
  SB_RETURN_IF_ERROR(ReadLocked(now));
  t = Find(id);
  if (t == nullptr || t->view.state == InstanceState::kTerminated) return Status::Ok();
  if (t->view.protected_from_scale_in && !t->ended_by_us) {
    return FailedPrecondition("EC2 instance " + std::string(id) +
                              " is protected from scale-in: drain it instead");
  }
  return TerminateLocked(*t, now);
}

Status AsgFleet::Drain(std::string_view id) {
  std::lock_guard lock(mu_);
  const int64_t now = clock_.NowUnixMillis();
  Tracked* t = Find(id);
  if (t == nullptr || t->view.state == InstanceState::kTerminated ||
      (t->ended_by_us && !t->drained)) {
    return NotFound("no EC2 instance \"" + std::string(id) + "\" to drain");
  }
  if (t->ticket) return CancelTicketLocked(*t, now);
  if (t->drained) return Status::Ok();
  t->drained = true;
  const Status s = TerminateLocked(*t, now);
  if (!s.ok()) {
    t->drained = false;
    return s;
  }
  t->view.state = InstanceState::kDraining;
  return Status::Ok();
}

Status AsgFleet::SetProtection(std::string_view id, bool protect) {
  std::lock_guard lock(mu_);
  Tracked* t = Find(id);
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
  SB_RETURN_IF_ERROR(ReadIfDueLocked(clock_.NowUnixMillis(), false));
  std::vector<FleetInstance> out;
  out.reserve(tracked_.size());
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    Tracked& t = it->second;
    const bool ended = t.view.state == InstanceState::kTerminated;
    // A ticket that ended before anyone saw it needs no report.
    if (!(ended && t.ticket && !t.reported)) out.push_back(t.view);
    t.reported = true;
    if (ended) {
      if (t.ticket) resolved_.erase(it->first);
      ended_.insert(it->first);
      it = tracked_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace spotbatch
