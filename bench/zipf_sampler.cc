#include "bench/zipf_sampler.h"

#include <algorithm>
#include <cmath>

namespace uptake {

ZipfSampler::ZipfSampler(int64_t n, double s) : cumulative_(static_cast<size_t>(n)) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
    cumulative_[static_cast<size_t>(i)] = sum;
  }
  for (double& value : cumulative_) value /= sum;
  cumulative_.back() = 1.0;
}

int64_t ZipfSampler::Sample(std::mt19937_64& random) const {
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(random);
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  const auto rank = static_cast<int64_t>(it - cumulative_.begin());
  return std::min(rank, size() - 1);
}

}  // namespace uptake
