// One alert of the uptake alert stream, formatted as a terminal line.

#ifndef UPTAKE_BENCH_ALERT_LINE_H_
#define UPTAKE_BENCH_ALERT_LINE_H_

#include <string>
#include <string_view>
#include <vector>

#include "bench/result.h"

namespace uptake {

// Formats an alert object ({"id", "rule", "kind", "account_id",
// "severity", "state", "summary", ...}) as
// "STATE  severity  rule  account  summary", for example
// "FIRING  warning  low-adoption  acme  3 of 14 features in 30 days".
// STATE is the alert's state, except for the stream's "acknowledged" and
// "escalated" changes, which leave the alert firing and print as
// ACKNOWLEDGED and ESCALATED. Control characters in the line are escaped
// as EscapeForTerminal does, so the line is one line.
// Returns an error when the message is not a JSON object or lacks "state",
// "rule" or "account_id", so other stream messages can be shown raw.
Result<std::string> FormatAlertLine(std::string_view message);

// Formats a resync message of the stream ({"type":"resync","seq","reason",
// "open_alerts":[...]}) as a "RESYNC  after seq N  reason" line followed by
// one FormatAlertLine line per open alert. Returns an error when the
// message is not a resync message, or an open alert cannot be formatted.
Result<std::vector<std::string>> FormatResyncLines(std::string_view message);

}  // namespace uptake

#endif  // UPTAKE_BENCH_ALERT_LINE_H_
