// Percentiles of the log-linear histogram on inputs whose exact
// percentiles are known.

#include "bench/latency_histogram.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace uptake {
namespace {

// The bucket width is at most 1/128 of its values, and a quantile reports
// the bucket's highest value.
void ExpectWithinBucket(int64_t actual, int64_t exact) {
  EXPECT_GE(actual, exact);
  EXPECT_LE(actual, exact + exact / 128 + 1);
}

TEST(LatencyHistogramTest, EmptyReturnsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0);
  EXPECT_EQ(histogram.ValueAtQuantile(0.5), 0);
  EXPECT_EQ(histogram.max(), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (int64_t value = 1; value <= 100; ++value) histogram.Record(value);
  EXPECT_EQ(histogram.count(), 100);
  EXPECT_EQ(histogram.ValueAtQuantile(0.5), 50);
  EXPECT_EQ(histogram.ValueAtQuantile(0.9), 90);
  EXPECT_EQ(histogram.ValueAtQuantile(0.99), 99);
  EXPECT_EQ(histogram.ValueAtQuantile(1.0), 100);
  EXPECT_EQ(histogram.max(), 100);
  EXPECT_EQ(histogram.min(), 1);
}

TEST(LatencyHistogramTest, LargeValuesWithinBucketWidth) {
  LatencyHistogram histogram;
  for (int64_t value = 1; value <= 100000; ++value) histogram.Record(value * 10);
  ExpectWithinBucket(histogram.ValueAtQuantile(0.5), 500000);
  ExpectWithinBucket(histogram.ValueAtQuantile(0.9), 900000);
  ExpectWithinBucket(histogram.ValueAtQuantile(0.99), 990000);
  ExpectWithinBucket(histogram.ValueAtQuantile(0.999), 999000);
  EXPECT_EQ(histogram.max(), 1000000);
  EXPECT_EQ(histogram.ValueAtQuantile(1.0), 1000000);
}

// One slow request in a thousand must show at p99.9 and max, not vanish
// as it would in an average.
TEST(LatencyHistogramTest, OutlierShowsInTail) {
  LatencyHistogram histogram;
  for (int i = 0; i < 999; ++i) histogram.Record(1000);
  histogram.Record(5000000);
  ExpectWithinBucket(histogram.ValueAtQuantile(0.5), 1000);
  ExpectWithinBucket(histogram.ValueAtQuantile(0.99), 1000);
  ExpectWithinBucket(histogram.ValueAtQuantile(0.999), 1000);
  EXPECT_EQ(histogram.ValueAtQuantile(0.9995), 5000000);
  EXPECT_EQ(histogram.max(), 5000000);
}

TEST(LatencyHistogramTest, HugeAndNegativeValues) {
  LatencyHistogram histogram;
  histogram.Record(-5);
  histogram.Record(INT64_MAX);
  EXPECT_EQ(histogram.ValueAtQuantile(0.5), 0);
  EXPECT_EQ(histogram.ValueAtQuantile(1.0), INT64_MAX);
}

TEST(LatencyHistogramTest, MergeAddsSamples) {
  LatencyHistogram first;
  LatencyHistogram second;
  for (int64_t value = 1; value <= 50; ++value) first.Record(value);
  for (int64_t value = 51; value <= 100; ++value) second.Record(value);
  first.Merge(second);
  EXPECT_EQ(first.count(), 100);
  EXPECT_EQ(first.ValueAtQuantile(0.5), 50);
  EXPECT_EQ(first.max(), 100);
}

}  // namespace
}  // namespace uptake
