// What the tables of bench/SIMULATE.md share: running a scenario or stopping the bench, and
// the bag of tasks of sections 3, 3b and 4 on a given market.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "sim/scenario.h"

namespace spotbatch {

inline std::vector<PolicySummary> MustRun(const Scenario& s) {
  auto r = RunScenario(s);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  return *r;
}

inline const PolicySummary& Summary(const std::vector<PolicySummary>& results,
                                    const std::string& policy) {
  for (const PolicySummary& r : results) {
    if (r.policy == policy) return r;
  }
  std::fprintf(stderr, "no results for %s\n", policy.c_str());
  std::exit(1);
}

inline int Missed(const PolicySummary& r) {
  return static_cast<int>(std::lround((1 - r.deadline_met) * r.runs));
}

// 2000 tasks of 1 h on average (lognormal, coefficient of variation `cv`, drawn anew for each
// run) on a fleet of kInstances (autoscale's max_instances too), 0.05 h changeover, a 120 s
// notice, on `pools` (their max_instances as given).
inline constexpr int kTasks = 2000, kInstances = 20;
inline Scenario BagOfTasksOn(std::vector<MarketPool> pools, double cv, double deadline_hours,
                             const std::vector<std::string>& policies, int runs) {
  Scenario s;
  s.pools = std::move(pools);
  s.kind = WorkloadKind::kBagOfTasks;
  s.tasks = kTasks;
  s.task_hours = 1;
  s.task_hours_cv = cv;
  s.instances = kInstances;
  s.scaling.max_instances = kInstances;  // autoscale gets the same fleet as the others
  s.work.deadline_hours = deadline_hours;
  s.work.changeover_hours = 0.05;
  s.policies = policies;
  s.runs = runs;
  s.seed = 1;
  s.notice_millis = 120'000;
  return s;
}

}  // namespace spotbatch
