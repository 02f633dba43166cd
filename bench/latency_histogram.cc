#include "bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace uptake {
namespace {

// Each power-of-two range above kExactLimit is split into kSubBuckets
// equal buckets, so a bucket's width is at most 1/kSubBuckets of its values.
constexpr int kSubBucketBits = 7;
constexpr int64_t kSubBuckets = int64_t{1} << kSubBucketBits;
constexpr int64_t kExactLimit = 2 * kSubBuckets;
// Values up to 2^63 - 1 have at most 63 significant bits.
constexpr int kMaxShift = 63 - 1 - kSubBucketBits;
constexpr size_t kBucketCount = kExactLimit + kMaxShift * kSubBuckets;

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBucketCount, 0) {}

size_t LatencyHistogram::BucketOf(int64_t value) {
  if (value < kExactLimit) return static_cast<size_t>(value);
  const int top_bit = std::bit_width(static_cast<uint64_t>(value)) - 1;
  const int shift = top_bit - kSubBucketBits;
  const int64_t top = value >> shift;  // in [kSubBuckets, 2 * kSubBuckets)
  return static_cast<size_t>(kExactLimit + (shift - 1) * kSubBuckets + (top - kSubBuckets));
}

int64_t LatencyHistogram::HighestValueOf(size_t bucket) {
  const int64_t index = static_cast<int64_t>(bucket);
  if (index < kExactLimit) return index;
  const int shift = static_cast<int>((index - kExactLimit) / kSubBuckets) + 1;
  const int64_t top = kSubBuckets + (index - kExactLimit) % kSubBuckets;
  // (top + 1) << shift reaches 2^63 for the last bucket, so it is computed
  // unsigned; minus one it is at most INT64_MAX.
  const uint64_t end = static_cast<uint64_t>(top + 1) << shift;
  return static_cast<int64_t>(end - 1);
}

void LatencyHistogram::Record(int64_t value) {
  value = std::max<int64_t>(value, 0);
  ++counts_[BucketOf(value)];
  ++count_;
  max_ = std::max(max_, value);
  min_ = std::min(min_, value);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

int64_t LatencyHistogram::ValueAtQuantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const int64_t rank =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * static_cast<double>(count_))));
  int64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(HighestValueOf(i), max_);
  }
  return max_;
}

}  // namespace uptake
