#include "proto/time.h"

#include <cstddef>

namespace uptake {

namespace {

constexpr int64_t kDayMs = 86'400'000;

// Days since 1970-01-01 of a proleptic Gregorian date. Eras of 400 years
// repeat exactly, so the year is shifted to start in March (putting the leap
// day last) and split into era and year of era.
int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t month_from_march = month > 2 ? month - 3 : month + 9;
  const int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
  int64_t year;
  int month;
  int day;
};

// Inverse of DaysFromCivil.
CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_from_march = (5 * day_of_year + 2) / 153;
  const int day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  const int month =
      static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

bool IsLeapYear(int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `count` digits at `pos`, or returns -1 when one is missing.
int ReadDigits(std::string_view text, size_t pos, size_t count) {
  if (pos + count > text.size()) return -1;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(text[i])) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

struct Fields {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millis = 0;
  int offset_minutes = 0;
};

std::optional<int64_t> ToEpochMs(const Fields& f) {
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > DaysInMonth(f.year, f.month)) {
    return std::nullopt;
  }
  if (f.hour > 23 || f.minute > 59 || f.second > 59) return std::nullopt;
  const int64_t days = DaysFromCivil(f.year, f.month, f.day);
  const int64_t seconds = days * 86400 + f.hour * 3600 + f.minute * 60 + f.second;
  return seconds * 1000 + f.millis - int64_t{f.offset_minutes} * 60'000;
}

// The form nearly every SDK sends: YYYY-MM-DDTHH:MM:SSZ or with exactly
// three fractional digits.
bool ParseFixedForm(std::string_view text, Fields& f) {
  const size_t n = text.size();
  if (n != 20 && n != 24) return false;
  if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text[n - 1] != 'Z') {
    return false;
  }
  f.year = ReadDigits(text, 0, 4);
  f.month = ReadDigits(text, 5, 2);
  f.day = ReadDigits(text, 8, 2);
  f.hour = ReadDigits(text, 11, 2);
  f.minute = ReadDigits(text, 14, 2);
  f.second = ReadDigits(text, 17, 2);
  f.millis = n == 24 && text[19] == '.' ? ReadDigits(text, 20, 3) : (n == 20 ? 0 : -1);
  return f.year >= 0 && f.month >= 0 && f.day >= 0 && f.hour >= 0 && f.minute >= 0 &&
         f.second >= 0 && f.millis >= 0;
}

// Parses the zone designator that starts at `pos` and must end the text.
bool ParseOffset(std::string_view text, size_t pos, Fields& f) {
  if (pos == text.size()) return true;
  const char c = text[pos];
  if (c == 'Z' || c == 'z') return pos + 1 == text.size();
  if (c != '+' && c != '-') return false;

  const int hours = ReadDigits(text, pos + 1, 2);
  if (hours < 0 || hours > 23) return false;
  size_t next = pos + 3;
  int minutes = 0;
  if (next < text.size()) {
    if (text[next] == ':') ++next;
    minutes = ReadDigits(text, next, 2);
    if (minutes < 0 || minutes > 59 || next + 2 != text.size()) return false;
  }
  const int total = hours * 60 + minutes;
  f.offset_minutes = c == '-' ? -total : total;
  return true;
}

// Parses the time part that starts at `pos`: HH:MM, optional :SS, optional
// fraction, optional zone.
bool ParseTimePart(std::string_view text, size_t pos, Fields& f) {
  f.hour = ReadDigits(text, pos, 2);
  if (f.hour < 0 || pos + 2 >= text.size() || text[pos + 2] != ':') return false;
  f.minute = ReadDigits(text, pos + 3, 2);
  if (f.minute < 0) return false;
  pos += 5;

  if (pos < text.size() && text[pos] == ':') {
    f.second = ReadDigits(text, pos + 1, 2);
    if (f.second < 0) return false;
    pos += 3;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      const size_t first = pos;
      int scale = 100;
      for (; pos < text.size() && IsDigit(text[pos]); ++pos, scale /= 10) {
        f.millis += (text[pos] - '0') * scale;  // digits past the third add 0
      }
      if (pos == first) return false;
    }
  }
  return ParseOffset(text, pos, f);
}

void AppendDigits(std::string& out, int64_t value, int width) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && n < 20);
  for (int i = n; i < width; ++i) out.push_back('0');
  while (n > 0) out.push_back(digits[--n]);
}

}  // namespace

std::optional<int64_t> ParseIso8601Ms(std::string_view text) {
  Fields f;
  if (ParseFixedForm(text, f)) return ToEpochMs(f);

  f = Fields{};
  f.year = ReadDigits(text, 0, 4);
  f.month = ReadDigits(text, 5, 2);
  f.day = ReadDigits(text, 8, 2);
  if (f.year < 0 || f.month < 0 || f.day < 0 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  if (text.size() == 10) return ToEpochMs(f);

  const char separator = text[10];
  if (separator != 'T' && separator != 't' && separator != ' ') return std::nullopt;
  if (!ParseTimePart(text, 11, f)) return std::nullopt;
  return ToEpochMs(f);
}

std::string FormatIso8601Ms(int64_t ms) {
  const int64_t days = UtcDay(ms);
  const int64_t ms_of_day = ms - days * kDayMs;
  const CivilDate date = CivilFromDays(days);

  std::string out;
  out.reserve(24);
  if (date.year < 0) out.push_back('-');
  AppendDigits(out, date.year < 0 ? -date.year : date.year, 4);
  out.push_back('-');
  AppendDigits(out, date.month, 2);
  out.push_back('-');
  AppendDigits(out, date.day, 2);
  out.push_back('T');
  AppendDigits(out, ms_of_day / 3'600'000, 2);
  out.push_back(':');
  AppendDigits(out, ms_of_day / 60'000 % 60, 2);
  out.push_back(':');
  AppendDigits(out, ms_of_day / 1000 % 60, 2);
  out.push_back('.');
  AppendDigits(out, ms_of_day % 1000, 3);
  out.push_back('Z');
  return out;
}

}  // namespace uptake
