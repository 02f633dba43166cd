// A log-linear latency histogram in the style of HdrHistogram: exact below
// 256 and within 1/128 (0.8%) of the recorded value above, in fixed memory,
// so percentiles come from every sample rather than from an average.

#ifndef UPTAKE_BENCH_LATENCY_HISTOGRAM_H_
#define UPTAKE_BENCH_LATENCY_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace uptake {

class LatencyHistogram {
 public:
  LatencyHistogram();

  // Records one value, in any unit (the bench tools use microseconds).
  // Negative values are recorded as 0.
  void Record(int64_t value);

  // Adds every sample of `other`.
  void Merge(const LatencyHistogram& other);

  // Returns the value at quantile `q` in [0, 1]: the highest value that
  // falls in the same bucket as the sample of rank ceil(q * count), capped
  // at max(). Returns 0 when the histogram is empty.
  int64_t ValueAtQuantile(double q) const;

  int64_t count() const { return count_; }
  int64_t max() const { return max_; }
  int64_t min() const { return count_ == 0 ? 0 : min_; }

 private:
  static size_t BucketOf(int64_t value);
  static int64_t HighestValueOf(size_t bucket);

  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  int64_t max_ = 0;
  int64_t min_ = INT64_MAX;
};

}  // namespace uptake

#endif  // UPTAKE_BENCH_LATENCY_HISTOGRAM_H_
