#include "proto/detail/common_fields.h"

#include <cmath>
#include <limits>
#include <string>

#include "proto/detail/event_time.h"
#include "proto/detail/json_values.h"
#include "proto/time.h"

namespace uptake::detail {

namespace ondemand = simdjson::ondemand;

IdRead ReadName(ondemand::value value, int max_depth) {
  ondemand::json_type type;
  if (value.type().get(type)) return {JsonFault::kMalformed, false, {}};
  if (type == ondemand::json_type::number) return {CheckScalar(value, type), true, {}};
  return ReadId(value, max_depth);
}

NumberRead ReadNumber(ondemand::value value, int max_depth) {
  NumberRead read;
  ondemand::json_type type;
  if (value.type().get(type)) return {JsonFault::kMalformed, false, std::nullopt};

  if (type != ondemand::json_type::number) {
    read.fault = WalkValue(value, 1, max_depth);
    read.wrong_type = type != ondemand::json_type::null;
    return read;
  }
  read.fault = CheckScalar(value, type);
  if (read.fault != JsonFault::kNone) return read;
  double number = 0;
  if (!value.get_double().get(number)) {
    read.number = number;
  } else {
    // Valid JSON but beyond a double's range, such as 1e400. It reads as
    // infinite, as strtod gives, so range checks reject it instead of
    // taking it for a missing value.
    std::string_view text = value.raw_json_token();
    const bool negative = !text.empty() && text.front() == '-';
    read.number = negative ? -std::numeric_limits<double>::infinity()
                           : std::numeric_limits<double>::infinity();
  }
  return read;
}

std::optional<int64_t> EpochToMs(double number, int scale) {
  const double ms = number * scale;
  if (!std::isfinite(ms) || !(ms > -1e15 && ms < 1e15)) return std::nullopt;
  return static_cast<int64_t>(ms);
}

EventRejection FaultRejection(JsonFault fault, std::string_view name, int max_depth) {
  if (fault == JsonFault::kTooDeep) {
    return EventRejection{
        0, "too_deep",
        Quoted(name) + " nests deeper than " + std::to_string(max_depth) + " levels."};
  }
  return EventRejection{0, "invalid_unicode_escape",
                        Quoted(name) + " contains a \\u escape that is an unpaired surrogate."};
}

std::optional<EventRejection> SetEventTime(int64_t ms, std::string_view field,
                                           const IngestLimits& limits, Event& event) {
  const CheckedTime checked = CheckEventTime(ms, event.received_ms, limits);
  if (checked.out_of_range) {
    return EventRejection{
        0, "timestamp_out_of_range",
        Quoted(field) + " " + FormatIso8601Ms(ms) + " is older than the accepted event age."};
  }
  event.timestamp_ms = checked.ms;
  event.timestamp_clamped = checked.clamped;
  return std::nullopt;
}

std::string_view RejectedField(const EventRejection& rejection) {
  const std::string_view message = rejection.message;
  const size_t open = message.find('\'');
  if (open == std::string_view::npos) return "event";
  const size_t close = message.find('\'', open + 1);
  if (close == std::string_view::npos) return "event";
  return message.substr(open + 1, close - open - 1);
}

const char* CurrentPosition(ondemand::document& document, const char* end) {
  const char* position = nullptr;
  if (document.current_location().get(position)) return end;
  return position;
}

}  // namespace uptake::detail
