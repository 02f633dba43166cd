// Aggregate snapshots with event retention, on a real RocksDB store: the
// lifetime counts of events that compaction dropped survive restarts, and
// events logged after the drop are not skipped.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "server/clock.h"
#include "server/snapshot_gate.h"
#include "server/snapshotter.h"
#include "storage/snapshot_files.h"
#include "storage/store.h"

namespace uptake {
namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kOldMs = 1'577'836'800'000;  // 2020-01-01T00:00:00Z

class SnapshotRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "uptake-snapshot-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    files_ = std::make_unique<SnapshotFiles>(dir_ + "/snapshots");
    Reopen();
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Reopen() {
    store_.reset();
    StoreOptions options;
    options.event_retention_ms = kDayMs;
    ASSERT_TRUE(Store::Open(dir_ + "/db", options, &store_).ok());
  }

  std::unique_ptr<Aggregator> MakeAggregator() const {
    return std::make_unique<Aggregator>(Catalog({{"Reports", {"Report Viewed"}}}, {}),
                                        std::vector<Rule>{});
  }

  static Event MakeEvent(const std::string& message_id, int64_t ms) {
    Event event;
    event.message_id = message_id;
    event.account_id = "acme";
    event.group_id = "acme";
    event.user_id = "ann";
    event.name = "Report Viewed";
    event.timestamp_ms = ms;
    event.received_ms = ms;
    event.properties = "{}";
    return event;
  }

  // Commits `events` and adds them to `aggregator`, as ingest does.
  void Ingest(const std::vector<Event>& events, Aggregator& aggregator) {
    std::vector<CommitOutcome> outcomes;
    ASSERT_TRUE(store_->Commit("k", events, &outcomes).ok());
    for (const Event& event : events) aggregator.Replay(event);
  }

  // Loads the newest snapshot and replays the events after it, as a
  // restart does. Returns the account's event count.
  int64_t RestartCount() {
    std::unique_ptr<Aggregator> aggregator = MakeAggregator();
    std::optional<SnapshotInfo> info =
        LoadNewestSnapshot(*files_, aggregator, [this] { return MakeAggregator(); });
    EXPECT_TRUE(info.has_value());
    if (!info) return -1;
    store_->AdvanceEventSequence(info->log_position);
    EXPECT_TRUE(store_
                    ->ForEachEventFrom(info->log_position,
                                       [&](const Event& event) { aggregator->Replay(event); })
                    .ok());
    std::optional<AccountView> view = aggregator->View("acme", ServerClock::WallMs());
    return view ? view->event_count : 0;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SnapshotFiles> files_;
};

TEST_F(SnapshotRetentionTest, DroppedEventsStayCounted) {
  std::unique_ptr<Aggregator> aggregator = MakeAggregator();
  Ingest({MakeEvent("m0", kOldMs), MakeEvent("m1", kOldMs + 1), MakeEvent("m2", kOldMs + 2)},
         *aggregator);
  SnapshotGate gate;
  Snapshotter snapshotter(*store_, *aggregator, gate, *files_, 0);
  ASSERT_TRUE(snapshotter.TakeIfDue(1, "test"));

  // Compaction drops every event: they are years older than the retention.
  ASSERT_TRUE(store_->Compact().ok());
  size_t kept = 0;
  ASSERT_TRUE(store_->ForEachEvent([&](const Event&) { ++kept; }).ok());
  EXPECT_EQ(kept, 0u);

  Reopen();
  EXPECT_EQ(store_->NextEventSequence(), 0u);  // the log alone has no record left
  EXPECT_EQ(RestartCount(), 3);

  // An event after the drop gets a sequence past the snapshot's position,
  // so the next restart replays it instead of skipping it.
  std::unique_ptr<Aggregator> unused = MakeAggregator();
  Ingest({MakeEvent("m3", ServerClock::WallMs())}, *unused);
  EXPECT_EQ(store_->NextEventSequence(), 4u);
  Reopen();
  EXPECT_EQ(RestartCount(), 4);
}

}  // namespace
}  // namespace uptake
