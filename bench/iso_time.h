// ISO 8601 UTC timestamps as found in GH Archive records, converted to and
// from milliseconds since the Unix epoch.

#ifndef UPTAKE_BENCH_ISO_TIME_H_
#define UPTAKE_BENCH_ISO_TIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uptake {

// Parses "YYYY-MM-DDTHH:MM:SS" with optional fractional seconds and a
// trailing "Z", the two forms the GH Archive files use
// ("2015-02-22T21:00:00Z", "2015-01-01T00:00:00.000Z"). Digits past
// milliseconds are truncated. Returns nullopt for any other form, including
// numeric offsets, which these files never contain.
std::optional<int64_t> ParseIsoTime(std::string_view text);

// Formats as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string FormatIsoTime(int64_t epoch_ms);

}  // namespace uptake

#endif  // UPTAKE_BENCH_ISO_TIME_H_
