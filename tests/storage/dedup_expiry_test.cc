// Dedup marks expire by compaction after the retention, measured from the
// request's received time by the wall clock.

#include <chrono>

#include "tests/storage/store_fixture.h"

namespace uptake {
namespace {

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kDayMs = 24 * 3600 * 1000;

TEST_F(StoreTest, ExpiredMarkAllowsResend) {
  Event old_event = TrackEvent("old-1", WallMs() - 8 * kDayMs);
  ASSERT_EQ(Commit("key", {old_event}), std::vector<CommitOutcome>{CommitOutcome::kStored});
  ASSERT_EQ(Commit("key", {old_event}), std::vector<CommitOutcome>{CommitOutcome::kDuplicate});

  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_EQ(Commit("key", {old_event}), std::vector<CommitOutcome>{CommitOutcome::kStored});
}

TEST_F(StoreTest, RecentMarkSurvivesCompaction) {
  Event recent = TrackEvent("recent-1", WallMs() - 6 * kDayMs);
  ASSERT_EQ(Commit("key", {recent}), std::vector<CommitOutcome>{CommitOutcome::kStored});

  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_EQ(Commit("key", {recent}), std::vector<CommitOutcome>{CommitOutcome::kDuplicate});
}

TEST_F(StoreTest, CompactionKeepsEvents) {
  Event old_event = TrackEvent("old-2", WallMs() - 30 * kDayMs);
  ASSERT_EQ(Commit("key", {old_event}), std::vector<CommitOutcome>{CommitOutcome::kStored});
  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_EQ(AllEvents().size(), 1u);
}

}  // namespace
}  // namespace uptake
