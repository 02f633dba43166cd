#include "metrics/account_state.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_events.h"

namespace uptake {
namespace {

using testing::kDay;
using testing::kT0;
using testing::Track;

// Bytes held by one account, excluding its key and the map node.
size_t Footprint(const AccountState& state) {
  return sizeof(AccountState) + state.counts().capacity() * sizeof(NameCount) +
         state.users().capacity() * sizeof(UserActivity) +
         state.features().capacity() * sizeof(FeatureUse) + state.days().allocated_bytes();
}

std::vector<DayCount> Days(const AccountState& state) {
  std::vector<DayCount> days;
  state.days().ForEachDay([&days](const DayCount& day) { days.push_back(day); });
  return days;
}

TEST(AccountStateTest, LastSeenIsMaxEventTime) {
  AccountState state;
  state.Add(Track("acme", "a", kT0 + kDay), {});
  state.Add(Track("acme", "a", kT0), {});

  EXPECT_EQ(state.last_seen_ms(), kT0 + kDay);
  EXPECT_EQ(state.first_seen_ms(), kT0);
  EXPECT_EQ(state.event_count(), 2);
}

TEST(AccountStateTest, LatestTraitSetsCreatedAt) {
  AccountState state;
  state.Add(testing::Group("acme", kT0 + 5 * kDay, kT0 - 10 * kDay), {});
  // Arrives later but was sent earlier, so the trait above stays.
  state.Add(testing::Group("acme", kT0 + kDay, kT0 - 99 * kDay), {});

  ASSERT_TRUE(state.has_created_at());
  EXPECT_EQ(state.created_at_ms(), kT0 - 10 * kDay);
  EXPECT_EQ(state.StartMs(), kT0 - 10 * kDay);
}

TEST(AccountStateTest, StartFallsBackToFirstSeen) {
  AccountState state;
  state.Add(Track("acme", "a", kT0 + 3 * kDay), {});
  state.Add(Track("acme", "a", kT0 + kDay), {});

  EXPECT_FALSE(state.has_created_at());
  EXPECT_EQ(state.StartMs(), kT0 + kDay);
}

TEST(AccountStateTest, FeatureFirstUseIsMinimum) {
  AccountState state;
  state.Add(Track("acme", "Report Created", kT0 + 2 * kDay), {0, 0, false});
  state.Add(Track("acme", "Report Created", kT0), {0, 0, false});

  ASSERT_EQ(state.features().size(), 1u);
  EXPECT_EQ(state.FeaturesUsedBefore(kT0 + 1000), 1u);
  EXPECT_EQ(state.FeaturesUsedBefore(kT0), 0u);
}

TEST(AccountStateTest, DaysPrunedTo120) {
  AccountState state;
  for (int day = 0; day < 130; ++day) {
    state.Add(Track("acme", "a", kT0 + day * kDay), {});
  }
  state.Add(Track("acme", "a", kT0), {});  // older than the kept range

  const std::vector<DayCount> days = Days(state);
  ASSERT_EQ(days.size(), 120u);
  EXPECT_EQ(days.front().day, 19'675 + 10);
  EXPECT_EQ(days.back().day, 19'675 + 129);
  EXPECT_EQ(state.event_count(), 131);
}

TEST(AccountStateTest, UsersTrackedByHash) {
  AccountState state;
  state.Add(Track("acme", "a", kT0, "alice"), {});
  state.Add(Track("acme", "a", kT0 + kDay, "bob"), {});
  state.Add(Track("acme", "a", kT0 + 2 * kDay, "alice"), {});
  state.Add(Track("acme", "a", kT0 + 3 * kDay, ""), {});

  EXPECT_EQ(state.users().size(), 2u);
  EXPECT_EQ(state.UsersActiveSince(kT0 + 2 * kDay), 1);
  EXPECT_EQ(state.UsersActiveSince(kT0 + kDay), 2);
}

TEST(AccountStateTest, FootprintIsSmall) {
  EXPECT_LE(sizeof(UserActivity), 16u);
  EXPECT_LE(sizeof(FeatureUse), 8u);
  EXPECT_LE(sizeof(DaySeries), 16u);
  EXPECT_LE(sizeof(NameCount), 8u);
  EXPECT_LE(sizeof(AccountState), 256u);

  // A typical account: 10 event names, 5 users, 4 features, active on 30 days.
  AccountState typical;
  for (int day = 0; day < 30; ++day) {
    const EventFacts facts{static_cast<uint32_t>(day % 10), day % 4, false};
    typical.Add(Track("acme", "a", kT0 + day * kDay, testing::Numbered("u", day % 5)), facts);
  }
  EXPECT_LT(Footprint(typical), 1024u);

  // A busy account: 20 names, 10 users, 8 features, active on all 120 kept days.
  AccountState busy;
  for (int day = 0; day < 120; ++day) {
    const EventFacts facts{static_cast<uint32_t>(day % 20), day % 8, false};
    busy.Add(Track("acme", "a", kT0 + day * kDay, testing::Numbered("u", day % 10)), facts);
  }
  EXPECT_LT(Footprint(busy), 1024u);
}

}  // namespace
}  // namespace uptake
