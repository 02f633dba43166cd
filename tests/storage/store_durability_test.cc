// Durability modes, event retention and write health of the store.

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/event_codec.h"
#include "tests/storage/store_fixture.h"

namespace uptake {
namespace {

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kDayMs = 24 * 3600 * 1000;

class StoreDurabilityTest : public StoreTest {
 protected:
  // Closes the store, then opens the same folder with `options`.
  void ReopenWith(const StoreOptions& options) {
    store_.reset();
    const StorageStatus status = Store::Open(dir_, options, &store_);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  // Commits `per_thread` single-event requests from each of `threads`
  // threads at once, every event with its own message id.
  void CommitConcurrently(int threads, int per_thread) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([this, t, per_thread] {
        for (int i = 0; i < per_thread; ++i) {
          std::vector<CommitOutcome> outcomes;
          // Appended piece by piece: "t" + std::to_string(t) trips a false
          // -Wrestrict in GCC 12.
          std::string id = std::to_string(t);
          id += '-';
          id += std::to_string(i);
          const Event event = TrackEvent(id);
          const StorageStatus status = store_->Commit("key", std::span(&event, 1), &outcomes);
          EXPECT_TRUE(status.ok()) << status.message();
        }
      });
    }
    for (std::thread& worker : workers) worker.join();
  }
};

TEST_F(StoreDurabilityTest, WalModeNeverSyncs) {
  CommitConcurrently(4, 25);

  const StoreWriteStats stats = store_->WriteStats();
  EXPECT_EQ(stats.commits, 100u);
  EXPECT_EQ(stats.wal_syncs, 0u);
}

TEST_F(StoreDurabilityTest, FsyncModeSyncsAtMostOncePerCommit) {
  StoreOptions options;
  options.sync_writes = true;
  ReopenWith(options);

  CommitConcurrently(8, 50);

  // Each commit returns after a sync that covers it. Concurrent commits
  // join one RocksDB write group and share its sync, so there are usually
  // far fewer syncs than commits; how many fewer depends on the disk's
  // fsync time, so only the bound is asserted.
  const StoreWriteStats stats = store_->WriteStats();
  EXPECT_EQ(stats.commits, 400u);
  EXPECT_GE(stats.wal_syncs, 1u);
  EXPECT_LE(stats.wal_syncs, stats.commits);
  RecordProperty("wal_syncs", std::to_string(stats.wal_syncs));
  RecordProperty("commits", std::to_string(stats.commits));
  EXPECT_EQ(AllEvents().size(), 400u);
}

TEST_F(StoreDurabilityTest, RetentionDropsOldEventsAtCompaction) {
  StoreOptions options;
  options.event_retention_ms = 30 * kDayMs;
  ReopenWith(options);
  const int64_t now = WallMs();
  ASSERT_EQ(Commit("key",
                   {TrackEvent("old", now - 31 * kDayMs), TrackEvent("recent", now - 29 * kDayMs)}),
            (std::vector<CommitOutcome>{CommitOutcome::kStored, CommitOutcome::kStored}));

  ASSERT_TRUE(store_->Compact().ok());

  EXPECT_EQ(AllMessageIds(), std::vector<std::string>{"recent"});

  // Both events share one commit record; the dropped one keeps its place,
  // so the other keeps sequence 1 and the log still ends at 2.
  std::vector<std::string> from_one;
  ASSERT_TRUE(
      store_->ForEachEventFrom(1, [&](const Event& e) { from_one.push_back(e.message_id); }).ok());
  EXPECT_EQ(from_one, std::vector<std::string>{"recent"});
  ReopenWith(options);
  EXPECT_EQ(store_->NextEventSequence(), 2u);
}

TEST_F(StoreDurabilityTest, NoRetentionKeepsOldEvents) {
  ASSERT_EQ(Commit("key", {TrackEvent("ancient", WallMs() - 3000 * kDayMs)}),
            std::vector<CommitOutcome>{CommitOutcome::kStored});

  ASSERT_TRUE(store_->Compact().ok());

  EXPECT_EQ(AllMessageIds(), std::vector<std::string>{"ancient"});
}

TEST_F(StoreDurabilityTest, HealthyStoreReportsOk) {
  EXPECT_TRUE(store_->WriteHealth().ok());
  EXPECT_TRUE(store_->RecoverWrites().ok());
}

TEST(EventCodecTimeTest, DecodesTheTimeOfAnyRecord) {
  Event event;
  event.message_id = "m";
  event.user_id = std::string("u\0v", 3);
  event.name = "Report Viewed";
  event.timestamp_ms = -5;
  event.properties = "{}";

  EXPECT_EQ(DecodeEventTime(EncodeEvent("key", event)), -5);
  event.timestamp_ms = 1'700'000'000'000;
  EXPECT_EQ(DecodeEventTime(EncodeEvent("key", event)), 1'700'000'000'000);
  EXPECT_EQ(DecodeEventTime("\x01\x03ke"), std::nullopt);
  EXPECT_EQ(DecodeEventTime(""), std::nullopt);
}

}  // namespace
}  // namespace uptake
