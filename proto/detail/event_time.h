// The time rules every ingest family shares: clock-skew correction, the
// future clamp and the maximum event age.

#ifndef UPTAKE_PROTO_DETAIL_EVENT_TIME_H_
#define UPTAKE_PROTO_DETAIL_EVENT_TIME_H_

#include <cstdint>
#include <optional>

#include "proto/limits.h"

namespace uptake::detail {

// Returns the event time on the server clock: `event_time` shifted by the
// sender's clock error, which is the gap between its `sent_at` and
// `received_ms`. Without `sent_at` the event time is trusted as sent, and
// without an event time the event happened when it was received.
int64_t CorrectClockSkew(std::optional<int64_t> event_time, std::optional<int64_t> sent_at,
                         int64_t received_ms);

// An event time after the limits are applied.
struct CheckedTime {
  int64_t ms = 0;
  bool clamped = false;       // was in the future beyond the tolerance
  bool out_of_range = false;  // older than limits.max_event_age_ms
};

// Clamps a corrected time later than the future tolerance to `received_ms`
// and flags one older than the maximum event age.
CheckedTime CheckEventTime(int64_t ms, int64_t received_ms, const IngestLimits& limits);

}  // namespace uptake::detail

#endif  // UPTAKE_PROTO_DETAIL_EVENT_TIME_H_
