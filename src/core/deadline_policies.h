// Policies for a deadline job: work that runs on one instance at a time and must finish by a
// deadline, every (re)start costing a changeover (the setting of "Can't Be Late", NSDI 2024).
// Each decides, at every event, where the one instance should be: nowhere (wait for spot),
// on spot, or on demand.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/fleet_policy.h"

namespace spotbatch {

enum class Placement { kNone, kSpot, kOnDemand };

// What a single-instance policy decides from, in hours.
struct DeadlineSituation {
  double elapsed = 0;    // since the start
  double time_left = 0;  // to the deadline (negative past it)
  double work_left = 0;
  double total_work = 0;
  double deadline = 0;
  double changeover = 0;
  bool on_spot = false;         // a spot instance without a notice holds the job
  bool on_demand = false;       // an on-demand instance holds the job
  bool spot_available = false;  // on_spot, or some spot pool would take a launch now
};

// Turns a Placement into launches and terminations; subclasses choose the placement and the
// spot pool.
class SingleInstancePolicy : public FleetPolicy {
 public:
  std::vector<FleetAction> Decide(const Observation& o) final;

 protected:
  virtual Placement Choose(const DeadlineSituation& s, const Observation& o) = 0;
  // The spot pool to launch in, among those that would take a launch; -1 for none. By
  // default the cheapest now (the first of equals).
  virtual int PickSpotPool(const Observation& o);
};

// Always on demand: the reference cost.
std::unique_ptr<FleetPolicy> NewOnDemandPolicy();
// Spot whenever available, otherwise wait, until the slack left (time left minus work left)
// falls below two changeovers; then on demand to the end.
std::unique_ptr<FleetPolicy> NewGreedyPolicy();
// Uniform Progress (NSDI 2024): keep progress on the line total_work * t / deadline. Idle and
// behind it: on demand, staying there until ahead of the line two changeovers later
// (hysteresis); spot whenever available otherwise; the same safety net as greedy.
std::unique_ptr<FleetPolicy> NewUniformProgressPolicy();
// spotbatch's default (see docs/simulator.md): Uniform Progress's line, started late by the
// part of the slack it may wait in for free (S * min(1/2, S / work) for slack S), never from
// on demand back to idle, and no hysteresis before moving to spot; uses every spot pool,
// preferring those reclaimed less per hour so far.
std::unique_ptr<FleetPolicy> NewSpotbatchDeadlinePolicy();

}  // namespace spotbatch
