// DaySeries against a plain sorted list of days that applies the same
// retention rule, over hand-picked edge cases and random inputs.

#include "metrics/day_series.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

namespace uptake {
namespace {

constexpr uint32_t kMaxCount = std::numeric_limits<uint32_t>::max();
constexpr int32_t kDay0 = 19'675;  // 2023-11-14

// The series as a plain list: one entry per active day, oldest first,
// pruned to the kept range after every event.
class ReferenceDays {
 public:
  void Add(int64_t day, bool login) {
    if (!days_.empty() && day < days_.back().day - kDayActivityRetentionDays + 1) return;
    auto it = std::lower_bound(days_.begin(), days_.end(), day,
                               [](const DayCount& entry, int64_t d) { return entry.day < d; });
    if (it == days_.end() || it->day != day) {
      it = days_.insert(it, {static_cast<int32_t>(day), 0, 0});
    }
    if (it->events < kMaxCount) ++it->events;
    if (login && it->logins < kMaxCount) ++it->logins;
    const int64_t oldest_kept = days_.back().day - kDayActivityRetentionDays + 1;
    std::erase_if(days_, [oldest_kept](const DayCount& entry) { return entry.day < oldest_kept; });
  }

  int64_t LoginsBetween(int64_t first_day, int64_t last_day) const {
    int64_t logins = 0;
    for (const DayCount& entry : days_) {
      if (entry.day >= first_day && entry.day <= last_day) logins += entry.logins;
    }
    return logins;
  }

  const std::vector<DayCount>& days() const { return days_; }

 private:
  std::vector<DayCount> days_;
};

std::vector<DayCount> Days(const DaySeries& series) {
  std::vector<DayCount> days;
  series.ForEachDay([&days](const DayCount& day) { days.push_back(day); });
  return days;
}

// Compares day by day, so a failure names the first differing day.
void ExpectSameDays(const DaySeries& series, const std::vector<DayCount>& want) {
  const std::vector<DayCount> got = Days(series);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(series.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].day, want[i].day) << "entry " << i;
    EXPECT_EQ(got[i].events, want[i].events) << "day " << want[i].day;
    EXPECT_EQ(got[i].logins, want[i].logins) << "day " << want[i].day;
  }
}

void AddMany(DaySeries& series, int64_t day, int events, int logins) {
  for (int i = 0; i < events; ++i) series.Add(day, i < logins);
}

TEST(DaySeriesTest, EmptySeries) {
  const DaySeries series;
  EXPECT_TRUE(series.empty());
  EXPECT_EQ(series.size(), 0u);
  EXPECT_EQ(series.allocated_bytes(), 0u);
  EXPECT_EQ(series.LoginsBetween(std::numeric_limits<int32_t>::min(), kDay0), 0);
  EXPECT_TRUE(Days(series).empty());
}

TEST(DaySeriesTest, CountsEventsAndLoginsPerDay) {
  DaySeries series;
  AddMany(series, kDay0, 5, 2);
  AddMany(series, kDay0 + 3, 1, 1);

  ExpectSameDays(series, {{kDay0, 5, 2}, {kDay0 + 3, 1, 1}});
  EXPECT_EQ(series.newest_day(), kDay0 + 3);
  EXPECT_EQ(series.LoginsBetween(kDay0, kDay0), 2);
  EXPECT_EQ(series.LoginsBetween(kDay0 + 1, kDay0 + 3), 1);
  EXPECT_EQ(series.LoginsBetween(kDay0 - 10, kDay0 + 10), 3);
  EXPECT_EQ(series.LoginsBetween(kDay0 + 4, kDay0 + 10), 0);
}

TEST(DaySeriesTest, DaysOutOfOrder) {
  DaySeries series;
  ReferenceDays reference;
  for (int64_t day : {10, 3, 7, 3, 0, 10, 5, 119, 1, 64, 63, 65, 2}) {
    series.Add(kDay0 + day, day % 2 == 0);
    reference.Add(kDay0 + day, day % 2 == 0);
  }
  ExpectSameDays(series, reference.days());
}

TEST(DaySeriesTest, LateEventsOlderThanRetentionAreDropped) {
  DaySeries series;
  series.Add(kDay0 + 200, true);
  series.Add(kDay0 + 200 - kDayActivityRetentionDays, true);  // one day too old
  series.Add(kDay0, true);
  series.Add(kDay0 + 201 - kDayActivityRetentionDays, false);  // the oldest kept day

  ExpectSameDays(series, {{kDay0 + 201 - kDayActivityRetentionDays, 1, 0}, {kDay0 + 200, 1, 1}});
  EXPECT_EQ(series.LoginsBetween(kDay0, kDay0 + 200), 1);
}

TEST(DaySeriesTest, NewDayDropsDaysOutOfRange) {
  DaySeries series;
  for (int64_t day = 0; day < kDayActivityRetentionDays; ++day) series.Add(kDay0 + day, true);
  ASSERT_EQ(series.size(), static_cast<size_t>(kDayActivityRetentionDays));

  series.Add(kDay0 + kDayActivityRetentionDays + 4, false);
  const std::vector<DayCount> days = Days(series);
  ASSERT_EQ(days.size(), static_cast<size_t>(kDayActivityRetentionDays) - 4);
  EXPECT_EQ(days.front().day, kDay0 + 5);
  EXPECT_EQ(days.back().day, kDay0 + kDayActivityRetentionDays + 4);
  EXPECT_EQ(series.LoginsBetween(kDay0, kDay0 + 1000), kDayActivityRetentionDays - 5);

  // A copy leaves out the bytes of the dropped days.
  const DaySeries copy = series;
  ExpectSameDays(copy, days);
  EXPECT_LT(copy.allocated_bytes(), series.allocated_bytes());
}

// Gaps of 63, 64 and 65 days straddle the two bitmap words, and a gap
// longer than the kept range empties the series before the new day.
TEST(DaySeriesTest, GapsAcrossBitmapWordsAndRange) {
  for (int64_t gap : {1, 2, 63, 64, 65, 119, 120, 121, 1000, 1'000'000}) {
    DaySeries series;
    ReferenceDays reference;
    for (int64_t day : {int64_t{0}, gap, int64_t{1}, gap - 1, 2 * gap, gap + 1}) {
      series.Add(kDay0 + day, day == gap);
      reference.Add(kDay0 + day, day == gap);
    }
    SCOPED_TRACE(gap);
    ExpectSameDays(series, reference.days());
  }
}

// Counts of 64 and 8,192 events need a second and third varint byte for
// the header, so the entry grows inside the block.
TEST(DaySeriesTest, EntriesGrowPastOneByte) {
  DaySeries series;
  AddMany(series, kDay0, 10, 0);
  AddMany(series, kDay0 + 1, 9000, 200);
  AddMany(series, kDay0 + 2, 3, 0);
  AddMany(series, kDay0, 100, 70);  // a middle-of-block day to an older one
  series.Add(kDay0 + 1, true);

  ExpectSameDays(series, {{kDay0, 110, 70}, {kDay0 + 1, 9001, 201}, {kDay0 + 2, 3, 0}});
  EXPECT_EQ(series.LoginsBetween(kDay0, kDay0 + 2), 271);
}

TEST(DaySeriesTest, CountsSaturate) {
  DaySeries series = DaySeries::FromDays(
      std::vector<DayCount>{{kDay0, kMaxCount - 1, kMaxCount - 2}, {kDay0 + 5, kMaxCount, 0}});
  for (int i = 0; i < 3; ++i) {
    series.Add(kDay0, true);
    series.Add(kDay0 + 5, false);
  }
  series.Add(kDay0 + 5, true);

  ExpectSameDays(series, {{kDay0, kMaxCount, kMaxCount}, {kDay0 + 5, kMaxCount, 1}});
  EXPECT_EQ(series.LoginsBetween(kDay0, kDay0 + 5), int64_t{kMaxCount} + 1);
}

TEST(DaySeriesTest, FromDaysRebuildsTheSameSeries) {
  DaySeries series;
  std::mt19937 random(7);
  for (int i = 0; i < 2000; ++i) {
    series.Add(kDay0 + static_cast<int64_t>(random() % 150), random() % 3 == 0);
  }
  series.Add(kDay0 + 150, false);
  AddMany(series, kDay0 + 149, 20'000, 300);

  const std::vector<DayCount> days = Days(series);
  const DaySeries rebuilt = DaySeries::FromDays(days);
  ExpectSameDays(rebuilt, days);
  EXPECT_EQ(rebuilt.newest_day(), series.newest_day());
  EXPECT_TRUE(DaySeries::FromDays({}).empty());
}

TEST(DaySeriesTest, CopyAndMove) {
  DaySeries series;
  AddMany(series, kDay0, 3, 1);
  AddMany(series, kDay0 + 9, 2, 0);
  const std::vector<DayCount> want = Days(series);

  DaySeries copy = series;
  copy.Add(kDay0 + 9, true);
  ExpectSameDays(series, want);

  DaySeries moved = std::move(series);
  ExpectSameDays(moved, want);
  EXPECT_TRUE(series.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  series = copy;
  ExpectSameDays(series, {{kDay0, 3, 1}, {kDay0 + 9, 3, 1}});
}

// Mostly recent days with some late ones, jumps forward, and logins,
// checked against the reference after every step.
TEST(DaySeriesTest, MatchesReferenceOnRandomInput) {
  std::mt19937 random(20231114);
  for (int round = 0; round < 40; ++round) {
    DaySeries series;
    ReferenceDays reference;
    int64_t newest = kDay0;
    for (int i = 0; i < 3000; ++i) {
      const uint32_t pick = random() % 100;
      int64_t day = newest;
      if (pick < 5) {
        newest += 1 + static_cast<int64_t>(random() % (pick == 0 ? 300 : 3));
        day = newest;
      } else if (pick < 30) {
        day = newest - static_cast<int64_t>(random() % 140);
      }
      const bool login = random() % 4 == 0;
      series.Add(day, login);
      reference.Add(day, login);

      const int64_t last = newest - static_cast<int64_t>(random() % 130) + 5;
      const int64_t first = last - static_cast<int64_t>(random() % 40);
      ASSERT_EQ(series.LoginsBetween(first, last), reference.LoginsBetween(first, last))
          << "round " << round << ", step " << i << ", days " << first << ".." << last;
    }
    SCOPED_TRACE(round);
    ExpectSameDays(series, reference.days());
  }
}

// A daily-active account with one event a day fits its 120 days in a
// 16-byte bitmap and about a byte per day.
TEST(DaySeriesTest, DailyActivityIsCompact) {
  DaySeries series;
  for (int64_t day = 0; day < kDayActivityRetentionDays; ++day) series.Add(kDay0 + day, false);
  EXPECT_LE(sizeof(DaySeries), 16u);
  EXPECT_LE(series.allocated_bytes(), 16u + 2 * kDayActivityRetentionDays);
}

}  // namespace
}  // namespace uptake
