#include "sim/band_trace.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/market.h"

namespace spotbatch {
namespace {

// Reclaims (drops from room to none) per hour with room, over a whole trace.
double MeasuredRate(const CapacityTrace& t) {
  const double tick_hours = static_cast<double>(t.gap_millis) / kMillisPerHour;
  double room_hours = 0, reclaims = 0;
  for (size_t i = 0; i < t.values.size(); ++i) {
    room_hours += t.values[i] > 0 ? tick_hours : 0;
    reclaims += i > 0 && t.values[i - 1] > 0 && t.values[i] == 0;
  }
  return reclaims / room_hours;
}

TEST(BandTraceTest, ShareAndRateOfEachBand) {
  EXPECT_DOUBLE_EQ(BandShare(0), 0.025);
  EXPECT_DOUBLE_EQ(BandShare(3), 0.175);
  EXPECT_DOUBLE_EQ(BandShare(4), 0.25);
  EXPECT_DOUBLE_EQ(BandShare(kUnknownBand), 0.25);
  for (int band = 0; band < kBandCount; ++band) {
    // An instance running the exposure is reclaimed in it with the band's share.
    EXPECT_NEAR(1 - std::exp(-BandReclaimsPerHour(band, 720) * 720), BandShare(band), 1e-12);
    if (band > 0) {
      EXPECT_GT(BandReclaimsPerHour(band, 720), BandReclaimsPerHour(band - 1, 720));
    }
  }
  EXPECT_NEAR(BandReclaimsPerHour(2, 24), 30 * BandReclaimsPerHour(2, 720), 1e-12);
}

TEST(BandTraceTest, PlacementScoreSetsTheRoom) {
  EXPECT_EQ(RoomForPlacementScore(3, 3, 8), 8);
  EXPECT_EQ(RoomForPlacementScore(2, 3, 8), 5);
  EXPECT_EQ(RoomForPlacementScore(1, 3, 8), 3);
  EXPECT_EQ(RoomForPlacementScore(0, 3, 8), 1);  // never no room at all
  EXPECT_EQ(RoomForPlacementScore(5, 3, 8), 8);
}

TEST(BandTraceTest, TheSameSeedGivesTheSameTrace) {
  const BandTraceModel m;
  const CapacityTrace a = BandCapacityTrace(0.01, 8, m, 7);
  EXPECT_EQ(a.values, BandCapacityTrace(0.01, 8, m, 7).values);
  EXPECT_NE(a.values, BandCapacityTrace(0.01, 8, m, 8).values);
  EXPECT_FALSE(a.binary);
  EXPECT_EQ(a.gap_millis, m.gap_millis);
  EXPECT_EQ(a.values.size(), 24u * 90 * 12);
  for (int32_t v : a.values) EXPECT_TRUE(v == 0 || v == 8) << v;
}

TEST(BandTraceTest, NoRateMeansAlwaysRoom) {
  const CapacityTrace t = BandCapacityTrace(0, 5, BandTraceModel{}, 1);
  for (int32_t v : t.values) ASSERT_EQ(v, 5);
}

// Across seeds, the reclaims per hour of room are the band's rate, for the mildest (a month)
// and a harsher (a day) reading: within four standard deviations of a Poisson count of them.
// Hour-long ticks keep the 40 years per seed cheap; the rate does not depend on the tick.
TEST(BandTraceTest, TheGeneratedRateMatchesTheBand) {
  BandTraceModel m;
  m.gap_millis = 3'600'000;
  m.span_hours = 24 * 365 * 40;
  for (double exposure : {720.0, 24.0}) {
    for (int band = 0; band < kBandCount; ++band) {
      const double rate = BandReclaimsPerHour(band, exposure);
      double measured = 0, room_hours = 0;
      const int seeds = 30;
      for (int seed = 1; seed <= seeds; ++seed) {
        const CapacityTrace t = BandCapacityTrace(rate, 8, m, static_cast<uint64_t>(seed));
        measured += MeasuredRate(t) / seeds;
        for (int32_t v : t.values) room_hours += v > 0;
      }
      const double expected_reclaims = rate * room_hours;
      ASSERT_GT(expected_reclaims, 300);
      EXPECT_NEAR(measured / rate, 1, 4 / std::sqrt(expected_reclaims))
          << "band " << band << ", exposure " << exposure;
    }
  }
}

TEST(BandTraceTest, OutagesLastAsLongAsTheModelSays) {
  BandTraceModel m;
  m.span_hours = 24 * 365;
  double outage_ticks = 0, outages = 0;
  for (int seed = 1; seed <= 5; ++seed) {
    const CapacityTrace t = BandCapacityTrace(BandReclaimsPerHour(4, 24), 8, m, seed);
    for (size_t i = 0; i < t.values.size(); ++i) {
      outage_ticks += t.values[i] == 0;
      outages += i > 0 && t.values[i - 1] > 0 && t.values[i] == 0;
    }
  }
  const double ticks_per_hour = kMillisPerHour / static_cast<double>(m.gap_millis);
  EXPECT_GT(outages, 400);
  EXPECT_NEAR(outage_ticks / outages / ticks_per_hour, m.mean_outage_hours, 0.1);
}

}  // namespace
}  // namespace spotbatch
