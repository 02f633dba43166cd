// Log setup: text or JSON lines, and the level.

#ifndef UPTAKE_SERVER_LOG_FORMAT_H_
#define UPTAKE_SERVER_LOG_FORMAT_H_

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"

namespace uptake {

// Formats each record as one JSON object per line:
//   {"time":"2026-12-01T10:00:00.123Z","level":"info","message":"...", ...}
// Log messages in uptake start with bracketed tags, "[conn 7] [account acme]
// ...". Each tag becomes a field: "[conn N]" is "connection", "[alert N]",
// "[account ID]", "[peer IP]", "[webhook NAME]" and "[silence N]" keep
// their name, and a one-word tag such as "[startup]" is "component". The
// message keeps the text after the tags. Whole-number ids are JSON numbers.
class JsonLogFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Returns the JSON line of a record with `level_name` and `message` at
// `time_text`, without the line feed. Split out for tests.
std::string FormatJsonLogLine(std::string_view time_text, std::string_view level_name,
                              std::string_view message);

// Returns `text` with the bytes that could split a text log record or
// drive a terminal escaped, so that one record stays one line whatever a
// client sent. C0 controls (CR, LF, ESC and NUL among them), DEL and each
// byte of ill-formed UTF-8 become \xNN, C1 controls (U+0080 to U+009F)
// become \u00NN, and a backslash becomes \\ so that an escape in the
// output always stands for an escaped byte.
std::string EscapeLogText(std::string_view text);

// Sets the global spdlog format and level. Returns false when `level` is
// not one of trace, debug, info, warn, error or off.
bool ConfigureLogging(LogFormat format, const std::string& level);

}  // namespace uptake

#endif  // UPTAKE_SERVER_LOG_FORMAT_H_
