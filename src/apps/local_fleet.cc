#include "apps/local_fleet.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "core/fleet_plan.h"
#include "core/restart_policy.h"

namespace spotbatch {

LocalFleet::LocalFleet(const Config& config, std::string self_exe, Clock& clock, int plain_workers)
    : config_(config),
      self_exe_(std::move(self_exe)),
      clock_(clock),
      plain_(config.pools.empty()),
      started_millis_(NowMillis()) {
  if (plain_) {
    PoolConfig local;
    local.name = "local";
    local.spot = false;
    local.max_instances = std::max(0, plain_workers);
    pools_.push_back(Pool{local, {}, {}, {}});
  } else {
    for (const PoolConfig& p : config.pools) pools_.push_back(Pool{p, {}, {}, {}});
  }
  for (Pool& p : pools_) {
    p.totals.name = p.config.name;
    p.totals.spot = p.config.spot;
  }
}

LocalFleet::~LocalFleet() { StopAll(0); }

int LocalFleet::Tick(bool launch) {
  const int64_t now = NowMillis();
  int restarted = 0;
  Reap(now, &restarted);
  for (auto& [pid, in] : instances_) {
    Bill(in, now);
    // Reclaim: the instance is gone whether or not its worker finished handing work back.
    if (in.noticed && now >= in.reclaim_at_millis) {
      ::kill(pid, SIGKILL);
      if (in.imds) in.imds->Reclaim();
      in.reclaim_at_millis = INT64_MAX;  // killed once; reaped by the next Tick
      ++pools_[in.pool].totals.reclaims;
    }
  }
  const int64_t trace_millis =
      static_cast<int64_t>(TraceSeconds(now - started_millis_, config_.time_scale) * 1000.0);
  const int64_t notice_real_millis = NoticeRealMillis();
  for (size_t pi = 0; pi < pools_.size(); ++pi) {
    Pool& pool = pools_[pi];
    const PoolConfig& pc = pool.config;
    const int capacity =
        pc.spot ? pc.capacity.CapacityAt(
                      trace_millis + static_cast<int64_t>(pc.trace_offset_seconds * 1000),
                      pc.max_instances)
                : pc.max_instances;
    std::vector<std::map<pid_t, Instance>::iterator> alive;  // oldest first
    std::vector<bool> used(static_cast<size_t>(pc.max_instances), false);
    for (auto it = instances_.begin(); it != instances_.end(); ++it) {
      if (it->second.pool != static_cast<int>(pi)) continue;
      used[static_cast<size_t>(it->second.slot)] = true;
      if (!it->second.noticed) alive.push_back(it);
    }
    std::sort(alive.begin(), alive.end(), [](const auto& a, const auto& b) {
      return a->second.started_millis < b->second.started_millis;
    });
    const PoolPlan plan = PlanPool(capacity, static_cast<int>(alive.size()), launch);
    const int64_t wall = clock_.NowUnixMillis();
    for (int i = 0; i < plan.notice; ++i) {
      Instance& in = alive[alive.size() - 1 - static_cast<size_t>(i)]->second;
      in.noticed = true;
      in.reclaim_at_millis = now + notice_real_millis;
      if (in.imds) in.imds->ScheduleInterruption(wall, wall + notice_real_millis);
      ++pool.totals.notices;
    }
    int to_launch = plan.launch;
    for (int slot = 0; slot < pc.max_instances && to_launch > 0; ++slot) {
      if (used[static_cast<size_t>(slot)]) continue;
      auto delayed = pool.restart_at.find(slot);
      if (delayed != pool.restart_at.end() && delayed->second > now) continue;
      Launch(static_cast<int>(pi), slot, now);
      --to_launch;
    }
  }
  return restarted;
}

void LocalFleet::Bill(Instance& in, int64_t now) {
  if (now <= in.billed_millis) return;
  Pool& pool = pools_[in.pool];
  const double seconds = TraceSeconds(now - in.billed_millis, config_.time_scale);
  pool.totals.instance_hours += seconds / 3600.0;
  pool.totals.cost_usd += CostUsd(seconds, pool.config.price_per_hour);
  pool.totals.on_demand_cost_usd += CostUsd(seconds, pool.config.on_demand_price_per_hour);
  in.billed_millis = now;
}

void LocalFleet::Reap(int64_t now, int* restarted) {
  while (true) {
    int status;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    auto it = instances_.find(pid);
    if (it == instances_.end()) continue;
    Instance in = std::move(it->second);
    instances_.erase(it);
    Bill(in, now);
    // A killed worker cannot clean its scratch space; its replacement gets a new one.
    std::error_code ec;
    std::filesystem::remove_all(config_.work_dir + "/" + in.id, ec);
    Pool& pool = pools_[in.pool];
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (in.noticed || clean) continue;  // reclaimed, or drained: capacity decides what next
    int& crashes = pool.quick_deaths[in.slot];
    crashes = now - in.started_millis < kQuickDeathMillis ? crashes + 1 : 0;
    const int64_t delay = RestartDelayMillis(crashes);
    std::fprintf(stderr, "worker %s (pid %d) %s; restarting it%s\n", in.id.c_str(), pid,
                 WIFSIGNALED(status)
                     ? ("killed by signal " + std::to_string(WTERMSIG(status))).c_str()
                     : ("exited with " + std::to_string(WEXITSTATUS(status))).c_str(),
                 delay > 0 ? (" in " + std::to_string(delay) + " ms").c_str() : "");
    pool.restart_at[in.slot] = now + delay;
    ++*restarted;
  }
}

void LocalFleet::Launch(int pi, int slot, int64_t now) {
  Pool& pool = pools_[static_cast<size_t>(pi)];
  Instance in;
  in.pool = pi;
  in.slot = slot;
  in.id = (plain_ ? "local-" : pool.config.name + "-") + std::to_string(::getpid()) + "-" +
          std::to_string(slot) + "-" + std::to_string(++generation_);
  in.started_millis = in.billed_millis = now;
  std::vector<std::string> args = {self_exe_, "worker", "-c", config_.file, "--worker-id", in.id};
  if (!plain_) {
    auto imds = LocalImdsServer::Start(clock_);
    if (!imds.ok()) {
      std::fprintf(stderr, "pool %s: %s\n", pool.config.name.c_str(),
                   imds.status().ToString().c_str());
      return;
    }
    in.imds = std::move(*imds);
    const int64_t poll = MetadataPollMillis(
        NoticeRealMillis(), static_cast<int64_t>(config_.metadata_poll_seconds * 1000));
    args.insert(args.end(), {"--pool", pool.config.name, "--market",
                             pool.config.spot ? "spot" : "on-demand", "--metadata-url",
                             in.imds->endpoint(), "--metadata-poll-ms", std::to_string(poll)});
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("fork worker");
    return;
  }
  if (pid == 0) {
    // A worker must not outlive its control plane: SIGTERM makes it hand its task back.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(0);
    ::execv(self_exe_.c_str(), argv.data());
    std::perror("exec worker");
    ::_exit(127);
  }
  pool.restart_at.erase(slot);
  ++pool.totals.launched;
  instances_.emplace(pid, std::move(in));
}

void LocalFleet::StopAll(int64_t grace_millis) {
  for (Pool& p : pools_) p.restart_at.clear();
  for (const auto& [pid, in] : instances_) ::kill(pid, SIGTERM);
  const int64_t deadline = NowMillis() + grace_millis;
  int ignored = 0;
  while (!instances_.empty() && NowMillis() < deadline) {
    Reap(NowMillis(), &ignored);
    if (!instances_.empty()) ::usleep(2 * 1000);  // workers stop within milliseconds
  }
  for (const auto& [pid, in] : instances_) ::kill(pid, SIGKILL);
  while (!instances_.empty()) {
    int status;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) break;
    auto it = instances_.find(pid);
    if (it == instances_.end()) continue;
    Bill(it->second, NowMillis());
    instances_.erase(it);
  }
}

std::vector<PoolTotals> LocalFleet::Totals() const {
  std::vector<PoolTotals> out;
  for (const Pool& p : pools_) out.push_back(p.totals);
  return out;
}

}  // namespace spotbatch
