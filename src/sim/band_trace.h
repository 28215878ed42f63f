// Capacity traces for pools whose published data gives an interruption band (the Spot
// Instance Advisor's, or SpotLake's IF) and a placement score but no history: the data sets
// each pool's reliability relative to the others, this model only the timing of its reclaims.
//
// The model: a pool has room for `room` instances until the provider reclaims it, then none
// for an outage, then room again. The times with room are exponential at the band's rate, so
// every instance there is reclaimed at that rate whenever it was launched, and all of a pool's
// instances go together (as on the one-zone traces of data/traces). Outages are exponential
// too. The band's share of instances interrupted "over the trailing month" becomes a rate by
// taking it as the chance that an instance running `exposure_hours` is reclaimed in that time:
// rate = -ln(1 - share) / exposure_hours. A month (720 h) is the mildest reading; instances
// that live shorter than a month and still show that share were reclaimed faster, which a
// shorter exposure models. This is a model, not a measurement: the advisor publishes no rate.
#pragma once

#include <cstdint>

#include "core/capacity_trace.h"
#include "core/market.h"  // BandShare, BandReclaimsPerHour: a band's share as a rate

namespace spotbatch {

struct BandTraceModel {
  double exposure_hours = kBandWindowHours;  // the band's share is of instances running this long
  double mean_outage_hours = 1;              // no room for this long on average after a reclaim
  int64_t gap_millis = 300'000;              // one value per 5 minutes
  double span_hours = 24 * 90;               // the trace repeats past its end
};

// Room in a pool of at most `max_instances` for a placement score of 1 to `max_score`: the
// score's share of the most, at least one instance.
int RoomForPlacementScore(int score, int max_score, int max_instances);

// A trace of `room` or 0 instances per tick (not binary: values are counts), reclaimed at
// `reclaims_per_hour` of room; the same for the same seed. At most one reclaim per tick: each
// stretch of room and each outage lasts at least one tick.
CapacityTrace BandCapacityTrace(double reclaims_per_hour, int room, const BandTraceModel& model,
                                uint64_t seed);

}  // namespace spotbatch
