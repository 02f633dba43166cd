// Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1)^s, the
// Zipf law that account and user activity roughly follows: a few large
// accounts send most events and a long tail sends a few each.

#ifndef UPTAKE_BENCH_ZIPF_SAMPLER_H_
#define UPTAKE_BENCH_ZIPF_SAMPLER_H_

#include <cstdint>
#include <random>
#include <vector>

namespace uptake {

class ZipfSampler {
 public:
  // The largest n accepted: the table takes 8 bytes per rank.
  static constexpr int64_t kMaxItems = 10'000'000;

  // `n` in [1, kMaxItems] and `s` >= 0; s = 0 draws uniformly. Builds the
  // cumulative table once, in O(n).
  ZipfSampler(int64_t n, double s);

  // Returns a rank in [0, n), by binary search in the cumulative table.
  int64_t Sample(std::mt19937_64& random) const;

  int64_t size() const { return static_cast<int64_t>(cumulative_.size()); }

 private:
  std::vector<double> cumulative_;  // normalized, the last entry is 1
};

}  // namespace uptake

#endif  // UPTAKE_BENCH_ZIPF_SAMPLER_H_
