// Routing: the tier an alert takes when it fires, its first step, and the
// escalation of an alert whose usage has not recovered after a nudge.

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "metrics/aggregator.h"
#include "metrics/routing.h"
#include "test_events.h"

namespace uptake {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kT0;
using testing::Track;
using testing::TraitsGroup;

// High-touch accounts (ARR 100k up) go to their CSM; growth accounts (ARR
// 10k up) get a nudge, then the CSM pool after 7 days; the rest get a
// nudge only.
std::vector<RoutingTier> Policy() {
  RoutingTier high;
  high.name = "high-touch";
  high.match.arr_at_least = 100000;
  high.action = RouteAction::kOwner;
  high.webhooks = {"csm-direct"};

  RoutingTier growth;
  growth.name = "growth";
  growth.match.arr_at_least = 10000;
  growth.action = RouteAction::kNudge;
  growth.webhooks = {"nudge"};
  growth.escalation = Escalation{7 * kDay, {"csm-pool"}};

  RoutingTier tail;
  tail.name = "long-tail";
  tail.action = RouteAction::kNudge;
  tail.webhooks = {"nudge"};
  return {high, growth, tail};
}

class RoutingTest : public ::testing::Test {
 protected:
  RoutingTest() : aggregator_(testing::TestCatalog(), {testing::InactivityRule(14)}, Policy()) {}

  // Gives `account` traits and one event at kT0.
  void AddAccount(const std::string& account, std::optional<double> arr,
                  std::optional<std::string> owner) {
    const std::vector<Event> events = {
        TraitsGroup(account, kT0, AccountTraits{std::nullopt, arr, std::move(owner), 0}),
        Track(account, "Report Created", kT0)};
    EXPECT_TRUE(aggregator_.Apply(events, kT0).empty());
  }

  std::vector<Alert> ApplyOne(const Event& event, int64_t now_ms) {
    return aggregator_.Apply(std::span<const Event>(&event, 1), now_ms);
  }

  Aggregator aggregator_;
};

// The inactivity rule's limit of 14 days passes 14 days and 1 ms after kT0.
constexpr int64_t kFires = kT0 + 14 * kDay + 1;

TEST_F(RoutingTest, HighTouchGoesToItsCsm) {
  AddAccount("acme", 250000, "dana@vendor.example");
  std::vector<Alert> alerts = aggregator_.Tick(kFires);
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& alert = alerts[0];
  EXPECT_EQ(alert.state, AlertState::kFiring);
  EXPECT_EQ(alert.tier, "high-touch");
  ASSERT_EQ(alert.route.size(), 1u);
  EXPECT_EQ(alert.route[0].step, "owner");
  EXPECT_EQ(alert.route[0].owner, "dana@vendor.example");
  EXPECT_EQ(alert.route[0].at_ms, kFires);
  EXPECT_EQ(alert.route[0].webhooks, std::vector<std::string>{"csm-direct"});
  EXPECT_EQ(alert.escalated_at_ms, 0);

  // High-touch has no escalation: a month later nothing more happens.
  EXPECT_TRUE(aggregator_.Tick(kFires + 30 * kDay).empty());
}

TEST_F(RoutingTest, HighTouchWithoutOwnerGoesToThePool) {
  AddAccount("orphan", 300000, std::nullopt);
  std::vector<Alert> alerts = aggregator_.Tick(kFires);
  ASSERT_EQ(alerts.size(), 1u);
  ASSERT_EQ(alerts[0].route.size(), 1u);
  EXPECT_EQ(alerts[0].route[0].step, "pool");
  EXPECT_EQ(alerts[0].route[0].owner, "");
  EXPECT_EQ(alerts[0].route[0].webhooks, std::vector<std::string>{"csm-direct"});
}

TEST_F(RoutingTest, GrowthEscalatesOnceWhenUsageHasNotRecovered) {
  AddAccount("growco", 20000, std::nullopt);
  std::vector<Alert> fired = aggregator_.Tick(kFires);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].tier, "growth");
  ASSERT_EQ(fired[0].route.size(), 1u);
  EXPECT_EQ(fired[0].route[0].step, "nudge");

  // One millisecond early: still only the nudge.
  EXPECT_TRUE(aggregator_.Tick(kFires + 7 * kDay - 1).empty());

  std::vector<Alert> escalated = aggregator_.Tick(kFires + 7 * kDay);
  ASSERT_EQ(escalated.size(), 1u);
  const Alert& alert = escalated[0];
  EXPECT_EQ(alert.id, fired[0].id);
  EXPECT_EQ(alert.state, AlertState::kFiring);
  EXPECT_EQ(alert.escalated_at_ms, kFires + 7 * kDay);
  EXPECT_EQ(alert.updated_at_ms, kFires + 7 * kDay);
  EXPECT_EQ(alert.fired_at_ms, kFires);
  ASSERT_EQ(alert.route.size(), 2u);
  EXPECT_EQ(alert.route[0].step, "nudge");
  EXPECT_EQ(alert.route[1].step, "escalated");
  EXPECT_EQ(alert.route[1].at_ms, kFires + 7 * kDay);
  EXPECT_EQ(alert.route[1].webhooks, std::vector<std::string>{"csm-pool"});

  // Once only; the resolve still carries both steps.
  EXPECT_TRUE(aggregator_.Tick(kFires + 60 * kDay).empty());
  std::vector<Alert> resolved =
      ApplyOne(Track("growco", "Report Created", kFires + 61 * kDay), kFires + 61 * kDay);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].state, AlertState::kResolved);
  EXPECT_EQ(resolved[0].route.size(), 2u);
  EXPECT_EQ(resolved[0].escalated_at_ms, kFires + 7 * kDay);
}

TEST_F(RoutingTest, RecoveryBeforeTheDelayCancelsEscalation) {
  AddAccount("growco", 20000, std::nullopt);
  ASSERT_EQ(aggregator_.Tick(kFires).size(), 1u);

  // The nudge worked: usage is back on day 3.
  const int64_t back = kFires + 3 * kDay;
  std::vector<Alert> resolved = ApplyOne(Track("growco", "Report Created", back), back);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].state, AlertState::kResolved);
  ASSERT_EQ(resolved[0].route.size(), 1u);

  // Not escalated at day 7; a new episode fires later with its own nudge.
  EXPECT_TRUE(aggregator_.Tick(kFires + 7 * kDay).empty());
  std::vector<Alert> again = aggregator_.Tick(back + 14 * kDay + 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(again[0].id, resolved[0].id);
  ASSERT_EQ(again[0].route.size(), 1u);
  EXPECT_EQ(again[0].route[0].step, "nudge");
}

TEST_F(RoutingTest, LongTailIsNudgedAndNeverEscalates) {
  AddAccount("tiny", 900, std::nullopt);
  AddAccount("no-traits", std::nullopt, std::nullopt);
  std::vector<Alert> alerts = aggregator_.Tick(kFires);
  ASSERT_EQ(alerts.size(), 2u);
  for (const Alert& alert : alerts) {
    EXPECT_EQ(alert.tier, "long-tail");
    ASSERT_EQ(alert.route.size(), 1u);
    EXPECT_EQ(alert.route[0].step, "nudge");
  }
  EXPECT_TRUE(aggregator_.Tick(kFires + 365 * kDay).empty());
}

TEST(RoutingTierTest, TierIsFixedWhenTheAlertFires) {
  // An adoption breach stays once decided, whatever events follow.
  Aggregator aggregator(testing::TestCatalog(), {testing::AdoptionRule(14, 3)}, Policy());
  const std::vector<Event> start = {
      TraitsGroup("growco", kT0, AccountTraits{std::nullopt, 20000, {}, 0}),
      Track("growco", "Report Created", kT0)};
  aggregator.Apply(start, kT0);
  std::vector<Alert> fired = aggregator.Tick(kT0 + 14 * kDay);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].tier, "growth");

  // An upgrade mid-episode does not reroute the open alert, so the steps
  // already taken stay true.
  const int64_t upgrade = kT0 + 15 * kDay;
  const Event group =
      TraitsGroup("growco", upgrade, AccountTraits{std::nullopt, 500000, std::string("sam"), 0});
  EXPECT_TRUE(aggregator.Apply(std::span<const Event>(&group, 1), upgrade).empty());
  std::vector<Alert> escalated = aggregator.Tick(kT0 + 21 * kDay);
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].tier, "growth");
  EXPECT_EQ(escalated[0].route.back().step, "escalated");
  EXPECT_EQ(escalated[0].owner, "sam");
}

TEST_F(RoutingTest, RestoredAlertKeepsRouteAndEscalatesOnTime) {
  AddAccount("growco", 20000, std::nullopt);
  std::vector<Alert> fired = aggregator_.Tick(kFires);
  ASSERT_EQ(fired.size(), 1u);

  // A restart: a new aggregator rebuilt from the same events and the stored
  // alert.
  Aggregator restarted(testing::TestCatalog(), {testing::InactivityRule(14)}, Policy());
  restarted.Replay(TraitsGroup("growco", kT0, AccountTraits{std::nullopt, 20000, {}, 0}));
  restarted.Replay(Track("growco", "Report Created", kT0));
  restarted.RestoreAlert(fired[0]);
  EXPECT_TRUE(restarted.EvaluateAll(kFires + kDay).empty());

  std::vector<Alert> escalated = restarted.Tick(kFires + 7 * kDay + kHour);
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].id, fired[0].id);
  ASSERT_EQ(escalated[0].route.size(), 2u);
  EXPECT_EQ(escalated[0].route[0].at_ms, kFires);
  EXPECT_EQ(escalated[0].route[1].step, "escalated");

  // Restored after the escalation: no second one.
  Aggregator again(testing::TestCatalog(), {testing::InactivityRule(14)}, Policy());
  again.Replay(TraitsGroup("growco", kT0, AccountTraits{std::nullopt, 20000, {}, 0}));
  again.Replay(Track("growco", "Report Created", kT0));
  again.RestoreAlert(escalated[0]);
  EXPECT_TRUE(again.EvaluateAll(kFires + 8 * kDay).empty());
  EXPECT_TRUE(again.Tick(kFires + 30 * kDay).empty());
}

TEST_F(RoutingTest, NoPolicyMeansNoRoute) {
  Aggregator plain(testing::TestCatalog(), {testing::InactivityRule(14)});
  const Event event = Track("acme", "Report Created", kT0);
  plain.Apply(std::span<const Event>(&event, 1), kT0);
  std::vector<Alert> alerts = plain.Tick(kFires);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].tier, "");
  EXPECT_TRUE(alerts[0].route.empty());
  EXPECT_TRUE(plain.Tick(kFires + 30 * kDay).empty());
}

TEST(MatchTierTest, FirstMatchingTierWins) {
  const std::vector<RoutingTier> tiers = Policy();
  MergedTraits big;
  big.Merge(AccountTraits{std::nullopt, 150000, std::nullopt, kT0});
  MergedTraits mid;
  mid.Merge(AccountTraits{std::nullopt, 10000, std::nullopt, kT0});
  EXPECT_EQ(MatchTier(tiers, &big), 0);
  EXPECT_EQ(MatchTier(tiers, &mid), 1);
  EXPECT_EQ(MatchTier(tiers, nullptr), 2);
  EXPECT_EQ(MatchTier(std::vector<RoutingTier>(tiers.begin(), tiers.begin() + 2), nullptr), -1);
  EXPECT_TRUE(TierNamesWebhook(tiers[1], "csm-pool"));
  EXPECT_FALSE(TierNamesWebhook(tiers[0], "csm-pool"));
}

}  // namespace
}  // namespace uptake
