#include "bench/iso_time.h"

#include <chrono>
#include <cstdio>

namespace uptake {
namespace {

constexpr int64_t kMillisPerSecond = 1000;
constexpr int64_t kMillisPerDay = 86400 * kMillisPerSecond;

// Reads exactly `width` digits at `pos`. Returns -1 on a non-digit or short input.
int ReadDigits(std::string_view text, size_t pos, size_t width) {
  if (pos + width > text.size()) return -1;
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool HasSeparators(std::string_view text) {
  return text.size() >= 19 && text[4] == '-' && text[7] == '-' &&
         (text[10] == 'T' || text[10] == 't') && text[13] == ':' && text[16] == ':';
}

// Parses ".fff...Z" or "Z" starting at `pos`. Returns the milliseconds, or
// -1 when the suffix is malformed.
int ParseFractionAndZone(std::string_view text, size_t pos) {
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    size_t digits = 0;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
    }
    if (digits == 0) return -1;
    for (; digits < 3; ++digits) millis *= 10;
  }
  if (pos + 1 != text.size() || (text[pos] != 'Z' && text[pos] != 'z')) return -1;
  return millis;
}

}  // namespace

std::optional<int64_t> ParseIsoTime(std::string_view text) {
  if (!HasSeparators(text)) return std::nullopt;

  const int year = ReadDigits(text, 0, 4);
  const int month = ReadDigits(text, 5, 2);
  const int day = ReadDigits(text, 8, 2);
  const int hour = ReadDigits(text, 11, 2);
  const int minute = ReadDigits(text, 14, 2);
  const int second = ReadDigits(text, 17, 2);
  const int millis = ParseFractionAndZone(text, 19);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || millis < 0) {
    return std::nullopt;
  }
  // A leap second (second 60) is rejected like any other out-of-range field.
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;

  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;

  const int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  const int64_t seconds_of_day = hour * 3600 + minute * 60 + second;
  return days * kMillisPerDay + seconds_of_day * kMillisPerSecond + millis;
}

std::string FormatIsoTime(int64_t epoch_ms) {
  // Floor division keeps times before 1970 on the right day.
  int64_t days = epoch_ms / kMillisPerDay;
  if (epoch_ms % kMillisPerDay < 0) --days;
  const int64_t millis_of_day = epoch_ms - days * kMillisPerDay;

  const std::chrono::year_month_day date{std::chrono::sys_days(std::chrono::days(days))};
  const int64_t seconds_of_day = millis_of_day / kMillisPerSecond;

  char text[32];
  std::snprintf(text, sizeof(text), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(seconds_of_day / 3600),
                static_cast<int>(seconds_of_day / 60 % 60), static_cast<int>(seconds_of_day % 60),
                static_cast<int>(millis_of_day % kMillisPerSecond));
  return text;
}

}  // namespace uptake
