#include "proto/detail/event_time.h"

namespace uptake::detail {

int64_t CorrectClockSkew(std::optional<int64_t> event_time, std::optional<int64_t> sent_at,
                         int64_t received_ms) {
  if (!event_time) return received_ms;
  if (!sent_at) return *event_time;
  return received_ms - (*sent_at - *event_time);
}

CheckedTime CheckEventTime(int64_t ms, int64_t received_ms, const IngestLimits& limits) {
  CheckedTime checked;
  checked.ms = ms;
  if (ms > received_ms + limits.future_tolerance_ms) {
    checked.ms = received_ms;
    checked.clamped = true;
  } else if (ms < received_ms - limits.max_event_age_ms) {
    checked.out_of_range = true;
  }
  return checked;
}

}  // namespace uptake::detail
