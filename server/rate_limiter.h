// Per-write-key rate limits: one token bucket per key, counted in events.

#ifndef UPTAKE_SERVER_RATE_LIMITER_H_
#define UPTAKE_SERVER_RATE_LIMITER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "config/config.h"

namespace uptake {

// Thread-safe: each bucket has its own mutex, and the map of buckets is
// built once in the constructor and only read after it.
//
// A request costs one token per event it carries (valid or rejected, at
// least one), so a batch of 500 events costs as much as 500 track calls.
// A request is admitted when the bucket contains min(cost, burst) tokens, and
// then takes its whole cost, which may leave the bucket below zero: a batch
// larger than the burst is still admitted from a full bucket, and later
// requests wait until the refill has paid for it. The average stays at the
// configured rate either way.
class WriteKeyRateLimiter {
 public:
  // Sets up buckets for the keys of `config.write_keys` that have a limit,
  // their own or `config.write_key_rate_limit`. Buckets start full.
  explicit WriteKeyRateLimiter(const Config& config);

  // Takes `events` tokens from the bucket of `write_key`, which must be an
  // authenticated key. Returns 0 when the request is admitted, else the
  // whole seconds (at least 1) after which it would be, having taken
  // nothing.
  int64_t Acquire(const std::string& write_key, size_t events);

  // The limit of `write_key`; disabled when it has none.
  RateLimit LimitOf(const std::string& write_key) const;

 private:
  struct Bucket {
    std::mutex mutex;
    RateLimit limit;
    double tokens = 0;                                  // guarded by mutex
    std::chrono::steady_clock::time_point refilled_at;  // guarded by mutex
  };

  std::unordered_map<std::string, std::unique_ptr<Bucket>> buckets_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_RATE_LIMITER_H_
