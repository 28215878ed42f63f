// Policies for a bag of tasks on a fleet: how many instances to run in which pools. All keep
// at most `instances` instances (the fleet's size), never more than there are tasks left, and
// never terminate an instance that holds a task to scale in (a busy worker finishes first).
// With a deadline, all add on-demand instances when the spot instances they have cannot finish
// the work left in time (see DeadlineTopUp).
#pragma once

#include <memory>

#include "core/fleet_policy.h"

namespace spotbatch {

// On-demand instances to add to `spot_running` working ones so that `work_left` hours end by
// the deadline: the rate needed over the time left less a changeover and `margin_hours`, as
// whole instances. 0 without a deadline.
int DeadlineTopUp(const Observation& o, int spot_running, double margin_hours);

// The expected cost of a useful hour in spot pool `p` when `placed` more instances go there
// for the next `hours_ahead`: its price, raised by the reclaims per instance-hour expected
// there (each wastes a changeover) and by the share of a fleet of `fleet` instances that would
// then be in it times the chance that the pool is reclaimed within `hours_ahead` (instances in
// one pool go together when it runs out; a pool unlikely to go before the work ends costs
// nothing for holding many). The reclaim rate is those seen per instance-hour there (with
// `noticed` instances there that have a notice: reclaims to come, and the pool surely at risk),
// with one pseudo-hour at the rate of the pool's band (BandReclaimsPerHour; "unknown" as ">20%")
// as the prior.
double UsefulHourCost(const PoolView& p, int placed, int fleet, double changeover_hours,
                      double hours_ahead, int noticed = 0);

// Per pool, our instances in it that have an interruption notice.
std::vector<int> NoticedPerPool(const Observation& o);

// The hours a launch now is expected to work: the work left spread over the fleet.
double HoursAhead(const Observation& o, int fleet);

// Hours of work left: WorkView::remaining_hours when the manager knows it, else the tasks left
// at the mean length measured so far (a live manager may know only the counts; before any
// task has finished, the tasks are taken to be at least as long as the time gone by, less a
// changeover, since none has finished in it).
double WorkLeftHours(const Observation& o);

// The longest of `left` more tasks to expect, from `done` finished ones of mean `mean` whose
// longest took `longest` hours: the lengths taken as lognormal, their spread fitted so that
// the longest of `done` draws would be `longest`. This is the tail a batch's end waits for
// (tasks do not split across instances); the longest seen so far underestimates it while few
// have finished and overestimates it once few are left. Never below the mean; 0 before any
// task has finished.
double ExpectedLongestTaskHours(double mean, double longest, int done, double left);

// When on-demand capacity must join the spot instances of a bag of tasks for its deadline.
// Spot alone until the work needs `commit_share` of the fleet to end by the deadline less a
// margin (two changeovers and the longest task left to expect); from then on, on-demand
// instances for the rate the deadline needs beyond the spot ones, at every decision. Buying
// on-demand only once the fleet's own time runs short uses every hour of spot room before
// the deadline, whatever spot does later: the uniform top-up from the start (DeadlineTopUp
// from the first decision) bought on demand for spot outages that later spot would have
// covered. Stateful: one per run.
class DeadlinePacer {
 public:
  explicit DeadlinePacer(double commit_share = 0.95) : commit_share_(commit_share) {}
  // On-demand instances to run now beside `spot` working spot ones on a fleet of at most
  // `fleet`; 0 without a deadline.
  int OnDemand(const Observation& o, int spot, int fleet);
  // Two changeovers and the tail: the longest of four times the tasks left to expect (at
  // least two mean tasks); with the longest tasks started first, two mean tasks of those
  // left.
  double MarginHours(const Observation& o);
  bool committed() const { return committed_; }

 private:
  const double commit_share_;
  bool committed_ = false;
  int most_tasks_left_ = 0;  // the batch's size as seen so far, to count the finished tasks
};

// The fleet's size: how many instances run at once.
std::unique_ptr<FleetPolicy> NewOnDemandFleetPolicy(int instances);
// Every instance in the one spot pool that was cheapest at the start.
std::unique_ptr<FleetPolicy> NewCheapestPoolPolicy(int instances);
// Each launch in the cheapest spot pool with room now; on demand only for the deadline.
std::unique_ptr<FleetPolicy> NewGreedyFleetPolicy(int instances);
// Instances spread evenly over every spot pool (the reference architecture's advice).
std::unique_ptr<FleetPolicy> NewDiversifiedPolicy(int instances);
// Each launch in the spot pool with the most room now (EC2 Fleet's capacity-optimized).
std::unique_ptr<FleetPolicy> NewCapacityOptimizedPolicy(int instances);
// Each launch in the cheapest of the pools with the most room (price-capacity-optimized:
// pools with at least half the room of the roomiest one).
std::unique_ptr<FleetPolicy> NewPriceCapacityOptimizedPolicy(int instances);
// spotbatch's fleet policy: every spot pool, each launch where the expected cost per useful
// hour is lowest (price, raised by the reclaims per hour it has seen there times the
// changeover, and by the share of the fleet already in that pool, which would go at once).
// On demand as DeadlinePacer says, and spot with room displaces the on-demand instances
// beyond that. A margin for the deadline that grew with the reclaims seen measured 1-1.5%
// dearer on the 9-zone trace without saving a deadline, and was dropped (docs/simulator.md).
std::unique_ptr<FleetPolicy> NewSpotbatchFleetPolicy(int instances);

}  // namespace spotbatch
