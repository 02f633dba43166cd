#include "server/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace uptake {

WriteKeyRateLimiter::WriteKeyRateLimiter(const Config& config) {
  const auto now = std::chrono::steady_clock::now();
  for (const std::string& key : config.write_keys) {
    auto own = config.write_key_limits.find(key);
    const RateLimit limit =
        own != config.write_key_limits.end() ? own->second : config.write_key_rate_limit;
    if (!limit.enabled()) continue;
    auto bucket = std::make_unique<Bucket>();
    bucket->limit = limit;
    bucket->tokens = static_cast<double>(limit.burst);
    bucket->refilled_at = now;
    buckets_.emplace(key, std::move(bucket));
  }
}

int64_t WriteKeyRateLimiter::Acquire(const std::string& write_key, size_t events) {
  auto it = buckets_.find(write_key);
  if (it == buckets_.end()) return 0;
  Bucket& bucket = *it->second;
  const double cost = static_cast<double>(std::max<size_t>(events, 1));
  const double burst = static_cast<double>(bucket.limit.burst);
  const double needed = std::min(cost, burst);

  std::lock_guard lock(bucket.mutex);
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - bucket.refilled_at).count();
  bucket.tokens = std::min(burst, bucket.tokens + elapsed * bucket.limit.rate_per_second);
  bucket.refilled_at = now;
  if (bucket.tokens >= needed) {
    bucket.tokens -= cost;
    return 0;
  }
  const double wait = (needed - bucket.tokens) / bucket.limit.rate_per_second;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait)));
}

RateLimit WriteKeyRateLimiter::LimitOf(const std::string& write_key) const {
  auto it = buckets_.find(write_key);
  return it == buckets_.end() ? RateLimit{} : it->second->limit;
}

}  // namespace uptake
