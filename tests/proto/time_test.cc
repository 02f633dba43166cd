#include "proto/time.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace uptake {
namespace {

struct ParseCase {
  const char* text;
  std::optional<int64_t> expected_ms;
};

TEST(Iso8601Test, ParsesAcceptedForms) {
  const ParseCase cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"1970-01-01T00:00:00.000Z", 0},
      {"2015-02-22T21:00:01Z", 1424638801000},
      {"2015-02-22T21:00:01.123Z", 1424638801123},
      {"2015-02-22t21:00:01z", 1424638801000},
      {"2015-02-22 21:00:01Z", 1424638801000},
      {"2015-02-22T21:00:01", 1424638801000},
      {"2015-02-22T21:00Z", 1424638800000},
      {"2015-02-22", 1424563200000},
      {"2015-02-22T21:00:01.5Z", 1424638801500},
      {"2015-02-22T21:00:01.123456789Z", 1424638801123},
      {"2015-02-22T23:00:01+02:00", 1424638801000},
      {"2015-02-22T23:00:01+0200", 1424638801000},
      {"2015-02-22T23:00:01+02", 1424638801000},
      {"2015-02-22T15:30:01-05:30", 1424638801000},
      {"2016-02-29T00:00:00Z", 1456704000000},
      {"2000-02-29T00:00:00Z", 951782400000},
      {"1969-12-31T23:59:59.999Z", -1},
  };
  for (const ParseCase& c : cases) {
    EXPECT_EQ(ParseIso8601Ms(c.text), c.expected_ms) << c.text;
  }
}

TEST(Iso8601Test, RejectsInvalidText) {
  const char* cases[] = {
      "",
      "2015",
      "2015-13-01T00:00:00Z",
      "2015-00-01T00:00:00Z",
      "2015-02-29T00:00:00Z",
      "1900-02-29T00:00:00Z",
      "2015-04-31T00:00:00Z",
      "2015-02-22T24:00:00Z",
      "2015-02-22T23:60:00Z",
      "2015-02-22T23:00:60Z",
      "2015-02-22T23:00:00.Z",
      "2015-02-22T23:00:00ZZ",
      "2015-02-22T23:00:00+2",
      "2015-02-22T23:00:00+24:00",
      "2015-02-22X23:00:00Z",
      "2015/02/22T23:00:00Z",
      "1424638801000",
      "2015-02-22T23:00:00Z ",
  };
  for (const char* text : cases) {
    EXPECT_EQ(ParseIso8601Ms(text), std::nullopt) << text;
  }
}

TEST(Iso8601Test, FormatsMilliseconds) {
  EXPECT_EQ(FormatIso8601Ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Ms(1424638801123), "2015-02-22T21:00:01.123Z");
  EXPECT_EQ(FormatIso8601Ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Ms(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Ms(253402300799999), "9999-12-31T23:59:59.999Z");
}

TEST(Iso8601Test, RoundTripsEveryDayOfLeapCycle) {
  // 400 years cover every leap-year rule. Each step is one day plus an odd offset.
  const int64_t start = -2208988800000;  // 1900-01-01
  for (int64_t day = 0; day < 146097; day += 1) {
    const int64_t ms = start + day * 86'400'000 + 12'345'678;
    const std::string text = FormatIso8601Ms(ms);
    ASSERT_EQ(ParseIso8601Ms(text), ms) << text;
  }
}

TEST(UtcDayTest, FloorsNegativeTimes) {
  EXPECT_EQ(UtcDay(0), 0);
  EXPECT_EQ(UtcDay(86'399'999), 0);
  EXPECT_EQ(UtcDay(86'400'000), 1);
  EXPECT_EQ(UtcDay(-1), -1);
}

}  // namespace
}  // namespace uptake
