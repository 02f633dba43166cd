#include "storage/event_retention.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "storage/event_codec.h"
#include "storage/keys.h"

namespace uptake {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Event Track(std::string message_id, int64_t timestamp_ms, int64_t received_ms) {
  Event event;
  event.type = EventType::kTrack;
  event.message_id = std::move(message_id);
  event.user_id = "user-1";
  event.account_id = "acme";
  event.name = "Report Viewed";
  event.timestamp_ms = timestamp_ms;
  event.received_ms = received_ms;
  event.properties = R"({"plan":"pro"})";
  return event;
}

std::string Record(const std::vector<Event>& events) {
  CommitRecordBuilder builder("wk", events.size());
  for (const Event& event : events) builder.Add(event);
  return std::move(builder).Finish();
}

// Whether the filter drops the record at `sequence`; `rewritten` is set
// when it keeps a changed record.
bool Drops(const EventRetentionFilter& filter, uint64_t sequence, const std::string& record,
           bool* rewritten = nullptr) {
  const std::string key = SequenceKey(sequence);
  std::string new_value;
  bool changed = false;
  const bool drop = filter.Filter(0, key, record, &new_value, &changed);
  if (rewritten != nullptr) *rewritten = changed;
  return drop;
}

TEST(EventRetentionFilterTest, KeepsEventsWithUnspilledMarks) {
  // An event dated three days back but received now, as in a backfill.
  EventRetentionFilter filter(kDayMs, 7 * kDayMs, RetentionClock::kWall);
  const int64_t now = WallMs();
  const std::string record = Record({Track("old", now - 3 * kDayMs, now)});

  // Its dedup mark has not been written out, so the record must stay, or a
  // resend after a restart would be stored again.
  EXPECT_FALSE(Drops(filter, 5, record));
  // Once the spill boundary is past it, the mark is in the dedup family.
  filter.SetSpillBoundary(6);
  EXPECT_TRUE(Drops(filter, 5, record));
}

TEST(EventRetentionFilterTest, DropsOnceTheDedupRetentionHasPassed) {
  EventRetentionFilter filter(kDayMs, 7 * kDayMs, RetentionClock::kWall);
  const int64_t now = WallMs();
  const std::string record = Record({Track("long-ago", now - 9 * kDayMs, now - 8 * kDayMs)});
  EXPECT_TRUE(Drops(filter, 5, record));
}

TEST(EventRetentionFilterTest, EmptiesOnlyBodiesWhoseMarksAreNotNeeded) {
  EventRetentionFilter filter(kDayMs, 7 * kDayMs, RetentionClock::kWall);
  const int64_t now = WallMs();
  const std::string record = Record({Track("received-long-ago", now - 9 * kDayMs, now - 8 * kDayMs),
                                     Track("backfilled", now - 3 * kDayMs, now)});
  bool rewritten = false;
  EXPECT_FALSE(Drops(filter, 5, record, &rewritten));
  EXPECT_TRUE(rewritten);
}

TEST(EventRetentionFilterTest, EventClockMeasuresFromTheNewestEvent) {
  // Events of 2015 replayed today: under the wall clock all would expire.
  const int64_t base = 1'424'563'200'000;  // 2015-02-22T00:00:00Z
  EventRetentionFilter filter(30 * kDayMs, 7 * kDayMs, RetentionClock::kNewestEvent);
  filter.SetSpillBoundary(100);
  const std::string day_one = Record({Track("d1", base, base)});

  // Nothing expires before "now" is known.
  EXPECT_FALSE(Drops(filter, 1, day_one));
  filter.ObserveEventTime(base + 5 * kDayMs);
  EXPECT_FALSE(Drops(filter, 1, day_one));
  filter.ObserveEventTime(base + 31 * kDayMs);
  EXPECT_TRUE(Drops(filter, 1, day_one));
  // An older event time does not move the clock back.
  filter.ObserveEventTime(base);
  EXPECT_TRUE(Drops(filter, 1, day_one));
}

}  // namespace
}  // namespace uptake
