#include "server/log_format.h"

#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <chrono>
#include <ctime>

#include "proto/json_writer.h"

namespace uptake {
namespace {

// Tag names and the JSON field each becomes.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kTagFields = {{
    {"conn", "connection"},
    {"alert", "alert"},
    {"account", "account"},
    {"peer", "peer"},
    {"webhook", "webhook"},
    {"silence", "silence"},
}};

bool IsWholeNumber(std::string_view text) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string FormatTime(std::chrono::system_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  std::time_t unix_seconds = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&unix_seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

}  // namespace

std::string FormatJsonLogLine(std::string_view time_text, std::string_view level_name,
                              std::string_view message) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("time");
  writer.String(time_text);
  writer.Key("level");
  writer.String(level_name);

  // Leading "[name value]" or "[component]" tags become fields.
  // NOTE: a value that contains ']' ends its tag early; such a line keeps
  // the rest of the tag in the message.
  std::string_view rest = message;
  while (rest.size() > 2 && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) break;
    std::string_view tag = rest.substr(1, close - 1);
    size_t space = tag.find(' ');
    if (space == std::string_view::npos) {
      writer.Key("component");
      writer.String(tag);
    } else {
      std::string_view name = tag.substr(0, space);
      std::string_view value = tag.substr(space + 1);
      std::string_view field = name;
      for (const auto& [tag_name, field_name] : kTagFields) {
        if (tag_name == name) field = field_name;
      }
      writer.Key(field);
      if (IsWholeNumber(value)) {
        int64_t number = 0;
        std::from_chars(value.data(), value.data() + value.size(), number);
        writer.Int(number);
      } else {
        writer.String(value);
      }
    }
    rest.remove_prefix(close + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  }
  writer.Key("message");
  writer.String(rest);
  writer.EndObject();
  return writer.Release();
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
  std::string line =
      FormatJsonLogLine(FormatTime(msg.time), std::string_view(level.data(), level.size()),
                        std::string_view(msg.payload.data(), msg.payload.size()));
  line.push_back('\n');
  dest.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

bool ConfigureLogging(LogFormat format, const std::string& level) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_level(parsed);
  if (format == LogFormat::kJson) {
    spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  return true;
}

}  // namespace uptake
