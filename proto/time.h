// ISO 8601 timestamps as used on the wire and in API responses.

#ifndef UPTAKE_PROTO_TIME_H_
#define UPTAKE_PROTO_TIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uptake {

// Parses an ISO 8601 date-time into milliseconds since the Unix epoch.
// Accepts `T` or `t` or a space between date and time, `Z` or `z` or a
// +HH:MM / +HHMM / +HH offset (converted exactly), any number of fractional
// second digits (truncated to milliseconds), and no offset (read as UTC).
// A date alone (YYYY-MM-DD) is midnight UTC. Returns nullopt for anything
// else, including out-of-range fields such as month 13 or Feb 30.
[[nodiscard]] std::optional<int64_t> ParseIso8601Ms(std::string_view text);

// Formats milliseconds since the epoch as YYYY-MM-DDTHH:MM:SS.mmmZ.
[[nodiscard]] std::string FormatIso8601Ms(int64_t ms);

// Days since the Unix epoch of the UTC day containing `ms`; floors for
// negative values.
[[nodiscard]] inline int64_t UtcDay(int64_t ms) {
  constexpr int64_t kDayMs = 86'400'000;
  return ms >= 0 ? ms / kDayMs : -((-ms + kDayMs - 1) / kDayMs);
}

}  // namespace uptake

#endif  // UPTAKE_PROTO_TIME_H_
