// The Zipf sampler's frequencies against the law, with a tolerance wide
// enough for a fixed seed to pass on any standard library.

#include "bench/zipf_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace uptake {
namespace {

constexpr int kSamples = 400000;

std::vector<int> Histogram(const ZipfSampler& sampler) {
  std::mt19937_64 random(42);
  std::vector<int> counts(static_cast<size_t>(sampler.size()), 0);
  for (int i = 0; i < kSamples; ++i) {
    const int64_t rank = sampler.Sample(random);
    EXPECT_GE(rank, 0);
    EXPECT_LT(rank, sampler.size());
    ++counts[static_cast<size_t>(rank)];
  }
  return counts;
}

TEST(ZipfSamplerTest, FollowsLawWithExponentOne) {
  constexpr int kItems = 100;
  ZipfSampler sampler(kItems, 1.0);
  std::vector<int> counts = Histogram(sampler);

  double harmonic = 0;
  for (int k = 1; k <= kItems; ++k) harmonic += 1.0 / k;
  for (int rank : {0, 1, 4, 9, 49}) {
    SCOPED_TRACE(rank);
    const double expected = kSamples / ((rank + 1) * harmonic);
    EXPECT_NEAR(counts[static_cast<size_t>(rank)], expected, expected * 0.1);
  }
  // Rank 0 is drawn about twice as often as rank 1.
  EXPECT_NEAR(static_cast<double>(counts[0]) / counts[1], 2.0, 0.1);
}

TEST(ZipfSamplerTest, ExponentZeroIsUniform) {
  ZipfSampler sampler(10, 0.0);
  std::vector<int> counts = Histogram(sampler);
  for (int count : counts) EXPECT_NEAR(count, kSamples / 10, kSamples / 100);
}

TEST(ZipfSamplerTest, SingleItem) {
  ZipfSampler sampler(1, 1.5);
  std::mt19937_64 random(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sampler.Sample(random), 0);
}

}  // namespace
}  // namespace uptake
