#include <chrono>
#include <latch>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/storage/store_fixture.h"

namespace uptake {
namespace {

using ::testing::ElementsAre;

constexpr char kWriteKey[] = "wk_live_1";

std::string NumberedId(int number) {
  // Appending avoids `"m" + std::to_string(n)`, which trips a false
  // -Wrestrict in GCC 12 at -O3.
  std::string id = "m";
  id.append(std::to_string(number));
  return id;
}

TEST_F(StoreTest, CommitStoresThenFlagsRepeat) {
  const std::vector<Event> events = {TrackEvent("m1"), TrackEvent("m2")};

  EXPECT_THAT(Commit(kWriteKey, events),
              ElementsAre(CommitOutcome::kStored, CommitOutcome::kStored));
  EXPECT_THAT(Commit(kWriteKey, events),
              ElementsAre(CommitOutcome::kDuplicate, CommitOutcome::kDuplicate));
  EXPECT_THAT(AllMessageIds(), ElementsAre("m1", "m2"));
}

TEST_F(StoreTest, RepeatInsideOneCallIsDuplicate) {
  const std::vector<Event> events = {TrackEvent("m1"), TrackEvent("m2"), TrackEvent("m1")};

  EXPECT_THAT(Commit(kWriteKey, events), ElementsAre(CommitOutcome::kStored, CommitOutcome::kStored,
                                                     CommitOutcome::kDuplicate));
  EXPECT_THAT(AllMessageIds(), ElementsAre("m1", "m2"));
}

TEST_F(StoreTest, MixedBatchStoresOnlyNewIds) {
  ASSERT_THAT(Commit(kWriteKey, {TrackEvent("m1")}), ElementsAre(CommitOutcome::kStored));

  EXPECT_THAT(
      Commit(kWriteKey, {TrackEvent("m2"), TrackEvent("m1"), TrackEvent("m3")}),
      ElementsAre(CommitOutcome::kStored, CommitOutcome::kDuplicate, CommitOutcome::kStored));
  EXPECT_THAT(AllMessageIds(), ElementsAre("m1", "m2", "m3"));
}

TEST_F(StoreTest, SameIdUnderOtherWriteKeyIsStored) {
  ASSERT_THAT(Commit("wk_a", {TrackEvent("m1")}), ElementsAre(CommitOutcome::kStored));

  EXPECT_THAT(Commit("wk_b", {TrackEvent("m1")}), ElementsAre(CommitOutcome::kStored));
  EXPECT_EQ(AllEvents().size(), 2u);
}

TEST_F(StoreTest, MessageIdWithNulIsDistinct) {
  const std::string with_nul("m\0x", 3);

  EXPECT_THAT(Commit(kWriteKey, {TrackEvent("m"), TrackEvent(with_nul)}),
              ElementsAre(CommitOutcome::kStored, CommitOutcome::kStored));
  EXPECT_THAT(Commit(kWriteKey, {TrackEvent(with_nul)}), ElementsAre(CommitOutcome::kDuplicate));
}

TEST_F(StoreTest, WriteKeyWithNulIsInvalid) {
  std::vector<CommitOutcome> outcomes;
  const std::vector<Event> events = {TrackEvent("m1")};

  const StorageStatus status = store_->Commit(std::string("wk\0x", 4), events, &outcomes);

  EXPECT_EQ(status.code(), StorageStatus::Code::kInvalid);
  EXPECT_TRUE(outcomes.empty());
  EXPECT_TRUE(AllEvents().empty());
}

TEST_F(StoreTest, EmptyCommitWritesNothing) {
  EXPECT_TRUE(Commit(kWriteKey, {}).empty());
  EXPECT_TRUE(AllEvents().empty());
}

TEST_F(StoreTest, ConcurrentSameIdStoredOnce) {
  constexpr int kThreads = 8;
  constexpr int kIds = 200;
  constexpr int kBatch = 10;

  std::vector<Event> events;
  for (int i = 0; i < kIds; ++i) events.push_back(TrackEvent(NumberedId(i)));

  // Every thread sends every id, starting together and in its own batch
  // order, so the same ids race through Commit at the same time.
  std::latch start(kThreads);
  std::vector<int> stored_per_thread(kThreads, 0);
  std::vector<int> failures_per_thread(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int b = 0; b < kIds / kBatch; ++b) {
        const int first = ((b + t) % (kIds / kBatch)) * kBatch;
        const std::vector<Event> batch(events.begin() + first, events.begin() + first + kBatch);
        std::vector<CommitOutcome> outcomes;
        if (!store_->Commit(kWriteKey, batch, &outcomes).ok()) ++failures_per_thread[t];
        for (const CommitOutcome outcome : outcomes) {
          if (outcome == CommitOutcome::kStored) ++stored_per_thread[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  int stored = 0;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures_per_thread[t], 0) << "thread " << t;
    stored += stored_per_thread[t];
  }
  EXPECT_EQ(stored, kIds);

  std::map<std::string, int> copies;
  for (const std::string& id : AllMessageIds()) ++copies[id];
  EXPECT_EQ(copies.size(), static_cast<size_t>(kIds));
  for (const auto& [id, count] : copies) EXPECT_EQ(count, 1) << id;
}

TEST_F(StoreTest, ReopenKeepsEventsAndDedup) {
  ASSERT_THAT(Commit(kWriteKey, {TrackEvent("m1"), TrackEvent("m2")}),
              ElementsAre(CommitOutcome::kStored, CommitOutcome::kStored));

  Reopen();

  EXPECT_THAT(AllMessageIds(), ElementsAre("m1", "m2"));
  EXPECT_THAT(Commit(kWriteKey, {TrackEvent("m1"), TrackEvent("m2")}),
              ElementsAre(CommitOutcome::kDuplicate, CommitOutcome::kDuplicate));
}

// Tables written under either compression stay readable under the other.
// The events are fresh, so compaction keeps their dedup marks.
TEST_F(StoreTest, CompressionSwitchKeepsEvents) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const Event first = TrackEvent("zstd", now_ms);
  const Event second = TrackEvent("lz4", now_ms);
  ASSERT_THAT(Commit(kWriteKey, {first}), ElementsAre(CommitOutcome::kStored));
  ASSERT_TRUE(store_->Compact().ok());

  StoreOptions lz4_options;
  lz4_options.event_log_compression = EventLogCompression::kLz4;
  ASSERT_NO_FATAL_FAILURE(Reopen(lz4_options));
  ASSERT_THAT(Commit(kWriteKey, {second}), ElementsAre(CommitOutcome::kStored));
  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_THAT(AllMessageIds(), ElementsAre("zstd", "lz4"));

  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_THAT(AllMessageIds(), ElementsAre("zstd", "lz4"));
  EXPECT_THAT(Commit(kWriteKey, {first, second}),
              ElementsAre(CommitOutcome::kDuplicate, CommitOutcome::kDuplicate));
}

TEST_F(StoreTest, ReopenContinuesSequence) {
  ASSERT_THAT(Commit(kWriteKey, {TrackEvent("old1"), TrackEvent("old2")}),
              ElementsAre(CommitOutcome::kStored, CommitOutcome::kStored));

  Reopen();
  ASSERT_THAT(Commit(kWriteKey, {TrackEvent("new1")}), ElementsAre(CommitOutcome::kStored));
  Reopen();
  ASSERT_THAT(Commit(kWriteKey, {TrackEvent("new2")}), ElementsAre(CommitOutcome::kStored));

  EXPECT_THAT(AllMessageIds(), ElementsAre("old1", "old2", "new1", "new2"));
}

}  // namespace
}  // namespace uptake
