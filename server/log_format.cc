#include "server/log_format.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <chrono>
#include <ctime>

#include "proto/json_writer.h"
#include "proto/utf8.h"

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

void AppendHexByte(std::string& out, std::string_view prefix, unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += prefix;
  out.push_back(kHex[byte >> 4]);
  out.push_back(kHex[byte & 0x0f]);
}

// The message part of a text log record, with EscapeLogText applied.
class EscapedMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/,
              spdlog::memory_buf_t& dest) override {
    const std::string text =
        EscapeLogText(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(text.data(), text.data() + text.size());
  }

  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessageFlag>();
  }
};

}  // namespace

std::string EscapeLogText(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\\') {
      escaped += "\\\\";
    } else if (byte < 0x20 || byte == 0x7f) {
      AppendHexByte(escaped, "\\x", byte);
    } else if (byte < 0x80) {
      escaped.push_back(text[i]);
    } else if (const size_t length = Utf8SequenceLength(text.substr(i)); length == 0) {
      AppendHexByte(escaped, "\\x", byte);
    } else if (length == 2 && byte == 0xc2 && static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      // U+0080 to U+009F, encoded as C2 80 to C2 9F.
      AppendHexByte(escaped, "\\u00", static_cast<unsigned char>(text[i + 1]));
      i += 1;
    } else {
      escaped.append(text.substr(i, length));
      i += length - 1;
    }
  }
  return escaped;
}

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
    // %* is the message with EscapeLogText applied, in place of %v.
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<EscapedMessageFlag>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %*");
    spdlog::set_formatter(std::move(formatter));
  }
  return true;
}

}  // namespace uptake
