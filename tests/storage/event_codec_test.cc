#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/event_codec.h"
#include "tests/storage/store_fixture.h"

namespace uptake {
namespace {

using ::testing::ElementsAre;

// Properties with NUL bytes and a number too long for a double or an int64,
// which must come back byte for byte.
const std::string kTrickyProperties(
    "{\"plan\":\"pro\\u0000x\",\"raw\":\"a\0b\",\"seats\":12345678901234567890}", 62);

Event EveryFieldSet() {
  Event event;
  event.type = EventType::kGroup;
  event.source = Source::kAmplitude;
  event.message_id = std::string("msg\0id", 6);
  event.user_id = "user-42";
  event.anonymous_id = "anon-7";
  event.previous_id = "prev-3";
  event.group_id = "acme";
  event.account_id = "acme-account";
  event.name = "group";
  event.feature = 7;
  event.timestamp_ms = 1'700'000'000'123;
  event.received_ms = 1'700'000'000'456;
  event.timestamp_clamped = true;
  event.properties = kTrickyProperties;
  event.created_at_ms = -86'400'000;
  return event;
}

void ExpectSameStoredFields(const Event& actual, const Event& expected) {
  EXPECT_EQ(actual.type, expected.type);
  EXPECT_EQ(actual.source, expected.source);
  EXPECT_EQ(actual.message_id, expected.message_id);
  EXPECT_EQ(actual.user_id, expected.user_id);
  EXPECT_EQ(actual.anonymous_id, expected.anonymous_id);
  EXPECT_EQ(actual.previous_id, expected.previous_id);
  EXPECT_EQ(actual.group_id, expected.group_id);
  EXPECT_EQ(actual.account_id, expected.account_id);
  EXPECT_EQ(actual.name, expected.name);
  EXPECT_EQ(actual.timestamp_ms, expected.timestamp_ms);
  EXPECT_EQ(actual.received_ms, expected.received_ms);
  EXPECT_EQ(actual.timestamp_clamped, expected.timestamp_clamped);
  EXPECT_EQ(actual.properties, expected.properties);
  EXPECT_EQ(actual.created_at_ms, expected.created_at_ms);
}

TEST(EventCodecTest, RoundTripsEveryField) {
  const Event event = EveryFieldSet();
  ASSERT_EQ(event.properties.size(), 62u);

  const std::optional<LoggedEvent> decoded = DecodeEvent(EncodeEvent("wk_live_1", event));

  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->write_key, "wk_live_1");
  ExpectSameStoredFields(decoded->event, event);
  EXPECT_EQ(decoded->event.feature, -1);
}

TEST(EventCodecTest, RoundTripsExtremeTimes) {
  Event event = EveryFieldSet();
  event.timestamp_ms = std::numeric_limits<int64_t>::min();
  event.received_ms = std::numeric_limits<int64_t>::max();
  event.timestamp_clamped = false;
  event.created_at_ms = std::nullopt;

  const std::optional<LoggedEvent> decoded = DecodeEvent(EncodeEvent("", event));

  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->write_key, "");
  ExpectSameStoredFields(decoded->event, event);
}

TEST(EventCodecTest, RejectsEveryTruncation) {
  const std::string record = EncodeEvent("wk", EveryFieldSet());

  for (size_t size = 0; size < record.size(); ++size) {
    EXPECT_FALSE(DecodeEvent(std::string_view(record).substr(0, size)).has_value()) << size;
  }
}

TEST(EventCodecTest, RejectsTrailingBytes) {
  EXPECT_FALSE(DecodeEvent(EncodeEvent("wk", EveryFieldSet()) + "x").has_value());
}

TEST(EventCodecTest, RejectsUnknownVersion) {
  std::string record = EncodeEvent("wk", EveryFieldSet());
  record[0] = 2;

  EXPECT_FALSE(DecodeEvent(record).has_value());
}

TEST(EventCodecTest, RejectsUnknownEventType) {
  // Version byte, write key length 2, "wk", then the type byte.
  std::string record = EncodeEvent("wk", EveryFieldSet());
  record[4] = 6;

  EXPECT_FALSE(DecodeEvent(record).has_value());
}

TEST_F(StoreTest, EventRoundTrip) {
  const Event event = EveryFieldSet();
  ASSERT_THAT(Commit("wk_live_1", {event}), ElementsAre(CommitOutcome::kStored));

  Reopen();
  const std::vector<Event> events = AllEvents();

  ASSERT_EQ(events.size(), 1u);
  ExpectSameStoredFields(events[0], event);
  EXPECT_EQ(events[0].feature, -1);
}

std::vector<std::pair<size_t, std::string>> Positions(std::string_view record) {
  std::vector<std::pair<size_t, std::string>> seen;
  DecodeRecord(record, [&](size_t position, const LoggedEvent& logged) {
    seen.emplace_back(position, logged.event.message_id);
  });
  return seen;
}

std::string CommitRecordOf(const std::vector<Event>& events) {
  CommitRecordBuilder builder("wk", events.size());
  for (const Event& event : events) builder.Add(event);
  return std::move(builder).Finish();
}

TEST(CommitRecordTest, RoundTripsEveryEventInOrder) {
  Event first = EveryFieldSet();
  Event second = EveryFieldSet();
  second.message_id = "second";
  second.created_at_ms.reset();
  const std::string record = CommitRecordOf({first, second});

  std::vector<LoggedEvent> decoded;
  EXPECT_EQ(
      DecodeRecord(record, [&](size_t, const LoggedEvent& logged) { decoded.push_back(logged); }),
      2u);
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded[0].write_key, "wk");
  EXPECT_EQ(decoded[0].event.message_id, first.message_id);
  EXPECT_EQ(decoded[0].event.properties, kTrickyProperties);
  EXPECT_EQ(decoded[0].event.created_at_ms, first.created_at_ms);
  EXPECT_EQ(decoded[1].event.message_id, "second");
  EXPECT_FALSE(decoded[1].event.created_at_ms.has_value());
}

TEST(CommitRecordTest, SingleEventRecordsStillDecode) {
  EXPECT_THAT(Positions(EncodeEvent("wk", EveryFieldSet())),
              ElementsAre(std::make_pair(size_t{0}, std::string("msg\0id", 6))));
}

TEST(CommitRecordTest, DamagedRecordVisitsNothing) {
  Event second = EveryFieldSet();
  second.message_id = "second";
  const std::string record = CommitRecordOf({EveryFieldSet(), second});
  for (size_t size = 0; size < record.size(); ++size) {
    size_t visits = 0;
    EXPECT_FALSE(DecodeRecord(std::string_view(record).substr(0, size),
                              [&](size_t, const LoggedEvent&) { ++visits; })
                     .has_value())
        << size;
    EXPECT_EQ(visits, 0u) << size;
  }
  EXPECT_FALSE(DecodeRecord(record + "x", [](size_t, const LoggedEvent&) {}).has_value());
}

TEST(CommitRecordTest, BuilderRefusesAWrongCount) {
  CommitRecordBuilder builder("wk", 2);
  builder.Add(EveryFieldSet());
  EXPECT_EQ(std::move(builder).Finish(), "");
}

TEST(CommitRecordTest, RetentionEmptiesOnlyExpiredBodies) {
  Event old_event = EveryFieldSet();
  old_event.message_id = "old";
  old_event.timestamp_ms = 100;
  Event recent = EveryFieldSet();
  recent.message_id = "recent";
  recent.timestamp_ms = 300;
  const std::string record = CommitRecordOf({old_event, recent, old_event});

  std::string rewritten;
  EXPECT_EQ(ApplyRetention(record, 50, std::nullopt, &rewritten), RecordRetention::kKeep);
  EXPECT_EQ(ApplyRetention(record, 400, std::nullopt, &rewritten), RecordRetention::kDrop);
  ASSERT_EQ(ApplyRetention(record, 200, std::nullopt, &rewritten), RecordRetention::kRewrite);

  // The recent event keeps position 1, so its sequence does not move.
  EXPECT_THAT(Positions(rewritten), ElementsAre(std::make_pair(size_t{1}, std::string("recent"))));
  EXPECT_EQ(DecodeRecord(rewritten, [](size_t, const LoggedEvent&) {}), 3u);
  EXPECT_EQ(DecodeEventTime(rewritten), 300);

  // A second pass after the rest expires drops the record.
  std::string again;
  EXPECT_EQ(ApplyRetention(rewritten, 200, std::nullopt, &again), RecordRetention::kKeep);
  EXPECT_EQ(ApplyRetention(rewritten, 400, std::nullopt, &again), RecordRetention::kDrop);
}

TEST(CommitRecordTest, RetentionOfSingleEventRecords) {
  Event event = EveryFieldSet();
  event.timestamp_ms = 100;
  std::string rewritten;
  EXPECT_EQ(ApplyRetention(EncodeEvent("wk", event), 200, std::nullopt, &rewritten),
            RecordRetention::kDrop);
  EXPECT_EQ(ApplyRetention(EncodeEvent("wk", event), 50, std::nullopt, &rewritten),
            RecordRetention::kKeep);
  EXPECT_EQ(ApplyRetention("\x02", 50, std::nullopt, &rewritten), RecordRetention::kKeep);
}

}  // namespace
}  // namespace uptake
