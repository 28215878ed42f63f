// The charts `spotbatch simulate --svg DIR` writes, as standalone SVG documents.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/simulator.h"

namespace spotbatch {

// One run: when each spot pool had room, and where each policy's instances ran.
struct TimelineChart {
  struct PoolRow {
    std::string name;
    bool spot = true;
    std::vector<std::pair<double, double>> room_hours;  // [from, to) with room (spot pools)
  };
  struct PolicyRow {
    std::string name;
    std::vector<InstanceSpan> spans;
  };
  std::vector<PoolRow> pools;
  std::vector<PolicyRow> policies;
  double horizon_hours = 0;
  double deadline_hours = 0;  // 0: none
  std::string title;
};
std::string TimelineSvg(const TimelineChart& chart);

// Mean cost (as a share of on demand) of each policy at several deadline slacks.
struct SlackCurve {
  std::string policy;
  std::vector<std::pair<double, double>> points;  // (slack as a share of the work, cost share)
};
std::string CostVsSlackSvg(const std::vector<SlackCurve>& curves, const std::string& title);

// A live run of the fleet manager: per pool, the room its trace gave and the instances that
// ran there, over the backlog (tasks queued and running), against trace time.
struct FleetRunChart {
  struct Pool {
    std::string name;
    bool spot = true;
    int max_instances = 1;
  };
  struct Sample {
    double at_seconds = 0;
    std::vector<int> instances;  // per pool
    std::vector<int> room;       // per pool: what its capacity allows now
    int queued = 0;
    int running = 0;
  };
  std::vector<Pool> pools;
  std::vector<Sample> samples;  // in time order
  std::string title;
};
std::string FleetRunSvg(const FleetRunChart& chart);

}  // namespace spotbatch
