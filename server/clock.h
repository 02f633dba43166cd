// The server's notion of "now": the system clock, or the newest event time
// seen, so replays of history and rule backtests run in seconds.

#ifndef UPTAKE_SERVER_CLOCK_H_
#define UPTAKE_SERVER_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

#include "config/config.h"

namespace uptake {

// Thread-safe; Observe and Now may be called from any thread.
class ServerClock {
 public:
  explicit ServerClock(ClockMode mode) : mode_(mode) {}

  // Milliseconds since the Unix epoch from the system clock.
  static int64_t WallMs() {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    using std::chrono::system_clock;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }

  // Records an event time. Under the event clock, now never moves back.
  void Observe(int64_t event_ms) {
    int64_t seen = newest_event_ms_.load(std::memory_order_relaxed);
    while (event_ms > seen &&
           !newest_event_ms_.compare_exchange_weak(seen, event_ms, std::memory_order_relaxed)) {
    }
  }

  // Under the event clock, 0 until the first event is observed.
  int64_t Now() const {
    if (mode_ == ClockMode::kWall) return WallMs();
    return newest_event_ms_.load(std::memory_order_relaxed);
  }

  ClockMode mode() const { return mode_; }

 private:
  const ClockMode mode_;
  std::atomic<int64_t> newest_event_ms_{0};
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_CLOCK_H_
