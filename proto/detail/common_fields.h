// Epoch-number reads and rejection helpers shared by the Amplitude and
// Mixpanel parsers, whose times are numbers rather than ISO 8601 strings.

#ifndef UPTAKE_PROTO_DETAIL_COMMON_FIELDS_H_
#define UPTAKE_PROTO_DETAIL_COMMON_FIELDS_H_

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "proto/detail/json_values.h"
#include "proto/detail/strict_json.h"
#include "proto/event.h"
#include "proto/limits.h"
#include "proto/parse_result.h"

namespace uptake::detail {

// Reads a value that must be a string, such as an event name or a key. It
// works as ReadId, except that a number also sets wrong_type.
IdRead ReadName(simdjson::ondemand::value value, int max_depth);

// A number read where a time is expected.
struct NumberRead {
  JsonFault fault = JsonFault::kNone;
  bool wrong_type = false;       // a string, boolean, object or array
  std::optional<double> number;  // nullopt when null or wrong_type; infinite beyond double range
};

// Reads a JSON number, walking values of other types for faults. Null
// yields no number and no error.
NumberRead ReadNumber(simdjson::ondemand::value value, int max_depth);

// Converts an epoch number to milliseconds. `scale` is 1 for milliseconds
// and 1000 for seconds. Returns nullopt when the result is not finite or
// beyond +-1e15 ms (about 31,000 years), where it is no date.
std::optional<int64_t> EpochToMs(double number, int scale);

// The rejection for a per-event fault (kTooDeep or kBadEscape) found in the
// field `name`. The index is left 0 for the caller to set.
EventRejection FaultRejection(JsonFault fault, std::string_view name, int max_depth);

// Stores `ms` in `event` after the limits of CheckEventTime. A time past
// the future tolerance becomes event.received_ms and is flagged. A time
// older than the maximum event age returns a timestamp_out_of_range
// rejection that names `field`, with the index left 0.
std::optional<EventRejection> SetEventTime(int64_t ms, std::string_view field,
                                           const IngestLimits& limits, Event& event);

// The field a rejection names: the first single-quoted name in its message,
// or "event" when it names none. The parsers name the field first.
std::string_view RejectedField(const EventRejection& rejection);

// The first byte after the value just visited in `document`. On-Demand
// reports the end of the document as an error, so `end` is returned then.
const char* CurrentPosition(simdjson::ondemand::document& document, const char* end);

}  // namespace uptake::detail

#endif  // UPTAKE_PROTO_DETAIL_COMMON_FIELDS_H_
