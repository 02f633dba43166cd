#include "server/log_rate_limiter.h"

#include <spdlog/spdlog.h>

namespace uptake {
namespace {

// Key shared by every line once max_keys keys are tracked.
constexpr char kOverflowKey[] = "(other clients)";

}  // namespace

LogRateLimiter::LogRateLimiter(uint64_t per_window, int64_t window_ms, size_t max_keys)
    : per_window_(per_window), window_ms_(window_ms), max_keys_(max_keys) {}

bool LogRateLimiter::Allow(const std::string& key, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = windows_.find(key);
  if (it == windows_.end()) {
    const bool full = windows_.size() >= max_keys_;
    it = windows_.try_emplace(full ? std::string(kOverflowKey) : key, Window{now_ms, 0, 0}).first;
  }
  Window& window = it->second;
  // A window that ended with nothing suppressed restarts here; one with
  // suppressed lines waits for ReportSuppressed, so its count is reported.
  if (now_ms - window.start_ms >= window_ms_ && window.suppressed == 0) {
    window = Window{now_ms, 0, 0};
  }
  if (window.logged < per_window_) {
    ++window.logged;
    return true;
  }
  ++window.suppressed;
  return false;
}

size_t LogRateLimiter::ReportSuppressed(int64_t now_ms, bool all) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t reported = 0;
  for (auto it = windows_.begin(); it != windows_.end();) {
    const Window& window = it->second;
    const double seconds = static_cast<double>(now_ms - window.start_ms) / 1000.0;
    if (!all && now_ms - window.start_ms < window_ms_) {
      ++it;
      continue;
    }
    if (window.suppressed > 0) {
      spdlog::warn("{}: {} more lines suppressed in the last {:.0f} s", it->first,
                   window.suppressed, seconds);
      ++reported;
    }
    it = windows_.erase(it);
  }
  return reported;
}

}  // namespace uptake
