// Alerts fire once per episode, resolve with the same id, and survive a restart.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "metrics/aggregator.h"
#include "test_events.h"

namespace uptake {
namespace {

using testing::kDay;
using testing::kT0;
using testing::Track;

std::vector<Alert> ApplyOne(Aggregator& aggregator, const Event& event, int64_t now_ms) {
  return aggregator.Apply(std::span<const Event>(&event, 1), now_ms);
}

TEST(AlertTest, FiresOnceWhileInBreach) {
  Aggregator aggregator(testing::TestCatalog(), {testing::AdoptionRule(30, 3)});
  ApplyOne(aggregator, Track("acme", "Report Created", kT0), kT0);
  ASSERT_EQ(aggregator.Tick(kT0 + 30 * kDay).size(), 1u);

  for (int day = 31; day < 40; ++day) {
    EXPECT_TRUE(
        ApplyOne(aggregator, Track("acme", "Export Run", kT0 + day * kDay), kT0 + day * kDay)
            .empty());
  }
  EXPECT_TRUE(aggregator.EvaluateAll(kT0 + 40 * kDay).empty());
}

TEST(AlertTest, IdsIncreaseAndAlertsSortById) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(1)});
  const std::vector<Event> events = {Track("a", "x", kT0), Track("b", "x", kT0),
                                     Track("c", "x", kT0), Track("d", "x", kT0)};
  aggregator.Apply(events, kT0);

  std::vector<Alert> alerts = aggregator.Tick(kT0 + 2 * kDay);

  ASSERT_EQ(alerts.size(), 4u);
  for (size_t i = 1; i < alerts.size(); ++i) {
    EXPECT_LT(alerts[i - 1].id, alerts[i].id);
  }
}

TEST(AlertTest, MinAccountEventsSkipsSmall) {
  Rule rule = testing::InactivityRule(1);
  rule.min_account_events = 3;
  Aggregator aggregator(testing::TestCatalog(), {rule});
  const std::vector<Event> events = {Track("small", "x", kT0), Track("big", "x", kT0),
                                     Track("big", "x", kT0), Track("big", "x", kT0)};
  aggregator.Apply(events, kT0);

  std::vector<Alert> alerts = aggregator.Tick(kT0 + 2 * kDay);

  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].account_id, "big");
  EXPECT_EQ(aggregator.EvaluateAll(kT0 + 3 * kDay).size(), 0u);
}

TEST(AlertTest, UnattributedNeverAlerts) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(1)});
  Event anonymous = Track("", "x", kT0);
  const std::vector<Event> events = {Track(kUnattributedAccount, "x", kT0), anonymous};
  aggregator.Apply(events, kT0);

  EXPECT_TRUE(aggregator.Tick(kT0 + 10 * kDay).empty());
  EXPECT_TRUE(aggregator.EvaluateAll(kT0 + 10 * kDay).empty());
  std::optional<AccountView> view = aggregator.View(kUnattributedAccount, kT0);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->event_count, 2);
}

Alert FiringAlert(uint64_t id, const std::string& account) {
  Alert alert;
  alert.id = id;
  alert.rule = "inactive";
  alert.kind = RuleKind::kInactivity;
  alert.account_id = account;
  alert.state = AlertState::kFiring;
  alert.fired_at_ms = kT0 + 5 * kDay;
  return alert;
}

TEST(RestoreTest, PreventsRefire) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(1)});
  aggregator.Replay(Track("acme", "x", kT0));
  aggregator.RestoreAlert(FiringAlert(41, "acme"));

  EXPECT_TRUE(aggregator.EvaluateAll(kT0 + 10 * kDay).empty());

  // Recovery resolves the restored alert under its stored id.
  std::vector<Alert> resolved =
      ApplyOne(aggregator, Track("acme", "x", kT0 + 11 * kDay), kT0 + 11 * kDay);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].id, 41u);
  EXPECT_EQ(resolved[0].fired_at_ms, kT0 + 5 * kDay);
}

TEST(RestoreTest, LaterIdsAreLarger) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(1)});
  Alert resolved = FiringAlert(90, "gone");
  resolved.state = AlertState::kResolved;
  aggregator.RestoreAlert(FiringAlert(41, "missing"));
  aggregator.RestoreAlert(resolved);
  aggregator.RestoreAlert(FiringAlert(7, "missing"));
  aggregator.Replay(Track("acme", "x", kT0));

  std::vector<Alert> alerts = aggregator.EvaluateAll(kT0 + 2 * kDay);

  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].id, 91u);
}

TEST(RestoreTest, UnknownRuleIgnored) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(1)});
  aggregator.Replay(Track("acme", "x", kT0));
  Alert alert = FiringAlert(5, "acme");
  alert.rule = "removed-rule";
  aggregator.RestoreAlert(alert);

  std::vector<Alert> alerts = aggregator.EvaluateAll(kT0 + 2 * kDay);

  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule, "inactive");
  EXPECT_EQ(alerts[0].id, 6u);
}

TEST(RestoreTest, EvaluateAllSchedulesReplayedAccounts) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(3)});
  aggregator.Replay(Track("acme", "x", kT0));

  EXPECT_TRUE(aggregator.EvaluateAll(kT0 + kDay).empty());
  EXPECT_TRUE(aggregator.Tick(kT0 + 3 * kDay).empty());
  EXPECT_EQ(aggregator.Tick(kT0 + 3 * kDay + 1).size(), 1u);
}

}  // namespace
}  // namespace uptake
