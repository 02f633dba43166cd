// Bounds how often one kind of log line is written, so a misbehaving
// client cannot flood the log.

#ifndef UPTAKE_SERVER_LOG_RATE_LIMITER_H_
#define UPTAKE_SERVER_LOG_RATE_LIMITER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace uptake {

// Thread-safe. Per key (for example peer, route and status of a client
// error), the first `per_window` lines of each window are allowed; the
// rest are counted and reported as one summary line when the window ends.
// At most `max_keys` keys are tracked: lines of further keys share one
// overflow key, so memory stays bounded whatever clients send. Time is
// passed in (milliseconds of a monotonic clock).
class LogRateLimiter {
 public:
  LogRateLimiter(uint64_t per_window, int64_t window_ms, size_t max_keys);

  // Returns true when the caller should write its line for `key`.
  bool Allow(const std::string& key, int64_t now_ms);

  // Writes one summary line (level warn) per key whose window ended before
  // `now_ms` with lines suppressed, and forgets those keys. With
  // `all`, reports every key whatever its window, as at shutdown.
  // Returns the number of summary lines written.
  size_t ReportSuppressed(int64_t now_ms, bool all);

  uint64_t per_window() const { return per_window_; }

 private:
  struct Window {
    int64_t start_ms = 0;
    uint64_t logged = 0;
    uint64_t suppressed = 0;
  };

  const uint64_t per_window_;
  const int64_t window_ms_;
  const size_t max_keys_;

  std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;  // guarded by mu_
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_LOG_RATE_LIMITER_H_
