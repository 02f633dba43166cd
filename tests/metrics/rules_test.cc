// Each rule kind firing and resolving, at the edges of its windows.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "metrics/aggregator.h"
#include "test_events.h"

namespace uptake {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kT0;
using testing::Track;

std::vector<Alert> ApplyOne(Aggregator& aggregator, const Event& event, int64_t now_ms) {
  return aggregator.Apply(std::span<const Event>(&event, 1), now_ms);
}

TEST(FeatureAdoptionTest, FiresAtExactlyDaysOld) {
  Aggregator aggregator(testing::TestCatalog(), {testing::AdoptionRule(30, 2)});
  EXPECT_TRUE(ApplyOne(aggregator, Track("acme", "Report Created", kT0), kT0).empty());

  EXPECT_TRUE(aggregator.Tick(kT0 + 30 * kDay - 1).empty());
  std::vector<Alert> alerts = aggregator.Tick(kT0 + 30 * kDay);

  ASSERT_EQ(alerts.size(), 1u);
  const Alert& alert = alerts[0];
  EXPECT_EQ(alert.kind, RuleKind::kFeatureAdoption);
  EXPECT_EQ(alert.state, AlertState::kFiring);
  EXPECT_EQ(alert.severity, Severity::kCritical);
  EXPECT_EQ(alert.account_id, "acme");
  EXPECT_EQ(alert.observed, 1);
  EXPECT_EQ(alert.threshold, 2);
  EXPECT_EQ(alert.evidence, (std::vector<std::string>{"Dashboards", "Exports", "Alerts"}));
  EXPECT_EQ(alert.summary,
            "acme used 1 of 4 features in its first 30 days, below the minimum of 2.");
  EXPECT_EQ(alert.fired_at_ms, kT0 + 30 * kDay);
  EXPECT_EQ(alert.updated_at_ms, kT0 + 30 * kDay);
  EXPECT_EQ(alert.resolved_at_ms, 0);
}

TEST(FeatureAdoptionTest, UseAtWindowEndIsOutside) {
  Aggregator aggregator(testing::TestCatalog(), {testing::AdoptionRule(30, 2)});
  const std::vector<Event> events = {Track("acme", "Report Created", kT0),
                                     Track("acme", "Export Run", kT0 + 30 * kDay)};

  std::vector<Alert> alerts = aggregator.Apply(events, kT0 + 30 * kDay);

  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].observed, 1);
}

TEST(FeatureAdoptionTest, UseJustInsideWindowCounts) {
  Aggregator aggregator(testing::TestCatalog(), {testing::AdoptionRule(30, 2)});
  const std::vector<Event> events = {Track("acme", "Report Created", kT0),
                                     Track("acme", "Export Run", kT0 + 30 * kDay - 1000)};

  EXPECT_TRUE(aggregator.Apply(events, kT0 + 30 * kDay).empty());
  EXPECT_TRUE(aggregator.Tick(kT0 + 31 * kDay).empty());
}

TEST(FeatureAdoptionTest, LateUseInWindowResolves) {
  Aggregator aggregator(testing::TestCatalog(), {testing::AdoptionRule(30, 2)});
  ApplyOne(aggregator, Track("acme", "Report Created", kT0), kT0);
  std::vector<Alert> fired = aggregator.Tick(kT0 + 31 * kDay);
  ASSERT_EQ(fired.size(), 1u);

  // Arrives after the window closed, but its event time is inside it.
  std::vector<Alert> resolved =
      ApplyOne(aggregator, Track("acme", "Alert Set", kT0 + 2 * kDay), kT0 + 32 * kDay);

  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].id, fired[0].id);
  EXPECT_EQ(resolved[0].state, AlertState::kResolved);
  EXPECT_EQ(resolved[0].observed, 2);
  EXPECT_EQ(resolved[0].fired_at_ms, kT0 + 31 * kDay);
  EXPECT_EQ(resolved[0].resolved_at_ms, kT0 + 32 * kDay);
  EXPECT_EQ(resolved[0].updated_at_ms, kT0 + 32 * kDay);
}

TEST(FeatureAdoptionTest, CreatedAtSetsStart) {
  Aggregator aggregator(testing::TestCatalog(), {testing::AdoptionRule(30, 2)});
  // The account was created 20 days before its first event.
  const std::vector<Event> events = {testing::Group("acme", kT0, kT0 - 20 * kDay),
                                     Track("acme", "Report Created", kT0)};
  aggregator.Apply(events, kT0);

  EXPECT_TRUE(aggregator.Tick(kT0 + 10 * kDay - 1).empty());
  EXPECT_EQ(aggregator.Tick(kT0 + 10 * kDay).size(), 1u);
}

TEST(FeatureAdoptionTest, OlderTraitDoesNotMoveStart) {
  Aggregator aggregator(testing::TestCatalog(), {testing::AdoptionRule(30, 2)});
  ApplyOne(aggregator, testing::Group("acme", kT0 + kDay, kT0), kT0 + kDay);
  // Sent before the trait above, so its created_at loses.
  ApplyOne(aggregator, testing::Group("acme", kT0 + kHour, kT0 - 20 * kDay), kT0 + kDay);

  EXPECT_TRUE(aggregator.Tick(kT0 + 29 * kDay).empty());
  EXPECT_EQ(aggregator.Tick(kT0 + 30 * kDay).size(), 1u);
  EXPECT_EQ(aggregator.View("acme", kT0 + 30 * kDay)->start_ms, kT0);
}

TEST(EventCountTest, FiresThenResolvesOnCatchUp) {
  Aggregator aggregator(testing::TestCatalog(),
                        {testing::EventCountRule(7, {"Report Created", "Export Run"}, 3)});
  const std::vector<Event> events = {Track("acme", "Report Created", kT0),
                                     Track("acme", "Dashboard Viewed", kT0)};
  aggregator.Apply(events, kT0);

  std::vector<Alert> fired = aggregator.Tick(kT0 + 7 * kDay);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].kind, RuleKind::kEventCount);
  EXPECT_EQ(fired[0].observed, 1);
  EXPECT_EQ(fired[0].threshold, 3);
  EXPECT_TRUE(fired[0].evidence.empty());

  EXPECT_TRUE(
      ApplyOne(aggregator, Track("acme", "Export Run", kT0 + 8 * kDay), kT0 + 8 * kDay).empty());
  std::vector<Alert> resolved =
      ApplyOne(aggregator, Track("acme", "Export Run", kT0 + 9 * kDay), kT0 + 9 * kDay);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].id, fired[0].id);
  EXPECT_EQ(resolved[0].state, AlertState::kResolved);
  EXPECT_EQ(resolved[0].observed, 3);
}

TEST(InactivityTest, FiresFromTickNotBefore) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(14)});
  ApplyOne(aggregator, Track("acme", "a", kT0), kT0);

  EXPECT_TRUE(aggregator.Tick(kT0 + 14 * kDay).empty());
  std::vector<Alert> alerts = aggregator.Tick(kT0 + 14 * kDay + 1);

  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, RuleKind::kInactivity);
  EXPECT_EQ(alerts[0].observed, 14);
  EXPECT_EQ(alerts[0].threshold, 14);
  EXPECT_EQ(alerts[0].summary,
            "acme has had no activity for over 14 days, longer than the rule allows.");
  EXPECT_TRUE(aggregator.Tick(kT0 + 20 * kDay).empty());
}

TEST(InactivityTest, SummaryShowsIdleTimePastLimit) {
  // A clock that jumps, as in a replay, finds the account well past the limit.
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(14)});
  ApplyOne(aggregator, Track("acme", "a", kT0), kT0);
  std::vector<Alert> alerts = aggregator.Tick(kT0 + 22 * kDay + 12 * kHour);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].summary,
            "acme has had no activity for 22.5 days, longer than the 14 days the rule allows.");
}

TEST(InactivityTest, NewEventResolves) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(14)});
  ApplyOne(aggregator, Track("acme", "a", kT0), kT0);
  std::vector<Alert> fired = aggregator.Tick(kT0 + 15 * kDay);
  ASSERT_EQ(fired.size(), 1u);

  std::vector<Alert> resolved =
      ApplyOne(aggregator, Track("acme", "a", kT0 + 16 * kDay), kT0 + 16 * kDay);

  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].id, fired[0].id);
  EXPECT_EQ(resolved[0].state, AlertState::kResolved);
  EXPECT_EQ(resolved[0].observed, 0);
}

TEST(InactivityTest, LateEventDoesNotResolve) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(14)});
  ApplyOne(aggregator, Track("acme", "a", kT0), kT0);
  ASSERT_EQ(aggregator.Tick(kT0 + 15 * kDay).size(), 1u);

  // Arrives now, but happened before the last known activity.
  EXPECT_TRUE(ApplyOne(aggregator, Track("acme", "a", kT0 - kHour), kT0 + 16 * kDay).empty());
  EXPECT_EQ(aggregator.View("acme", kT0 + 16 * kDay)->last_seen_ms, kT0);
}

TEST(InactivityTest, RearmsAfterRecovery) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(14)});
  ApplyOne(aggregator, Track("acme", "a", kT0), kT0);
  ASSERT_EQ(aggregator.Tick(kT0 + 15 * kDay).size(), 1u);
  ASSERT_EQ(ApplyOne(aggregator, Track("acme", "a", kT0 + 16 * kDay), kT0 + 16 * kDay).size(), 1u);

  EXPECT_TRUE(aggregator.Tick(kT0 + 30 * kDay).empty());
  EXPECT_EQ(aggregator.Tick(kT0 + 30 * kDay + 1).size(), 1u);
}

TEST(InactivityTest, LoginsOnlyCountsFromFirstSeen) {
  Rule rule = testing::InactivityRule(7);
  rule.logins_only = true;
  Aggregator aggregator(testing::TestCatalog(), {rule});
  ApplyOne(aggregator, Track("acme", "a", kT0), kT0);
  // Other activity does not count when only logins do.
  ApplyOne(aggregator, Track("acme", "a", kT0 + 6 * kDay), kT0 + 6 * kDay);

  std::vector<Alert> alerts = aggregator.Tick(kT0 + 7 * kDay + 1);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].summary,
            "acme has had no login for over 7 days, longer than the rule allows.");

  std::vector<Alert> resolved =
      ApplyOne(aggregator, Track("acme", "Logged In", kT0 + 8 * kDay), kT0 + 8 * kDay);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].state, AlertState::kResolved);
}

// Logins on `count` separate events at noon of UTC day kT0 + day.
std::vector<Event> Logins(int day, int count) {
  return std::vector<Event>(count, Track("acme", "Logged In", kT0 + day * kDay + 12 * kHour));
}

TEST(LoginDropTest, FiresOnDropAndResolves) {
  Aggregator aggregator(testing::TestCatalog(), {testing::LoginDropRule(50, 4)});
  aggregator.Apply(Logins(0, 10), kT0 + 12 * kHour);
  // Today is day 13, so day 0 is the first day of the earlier week.
  std::vector<Alert> fired = aggregator.Apply(Logins(13, 4), kT0 + 13 * kDay + 12 * kHour);

  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].kind, RuleKind::kLoginDrop);
  EXPECT_EQ(fired[0].observed, 40);
  EXPECT_EQ(fired[0].threshold, 50);
  EXPECT_EQ(fired[0].summary,
            "acme logged in 4 times in the last 7 days, 40% of the 10 in the 7 days before, "
            "below the threshold of 50%.");

  std::vector<Alert> resolved = aggregator.Apply(Logins(13, 1), kT0 + 13 * kDay + 13 * kHour);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].state, AlertState::kResolved);
  EXPECT_EQ(resolved[0].observed, 50);
}

TEST(LoginDropTest, NeedsBaseline) {
  Aggregator aggregator(testing::TestCatalog(), {testing::LoginDropRule(50, 4)});
  aggregator.Apply(Logins(0, 3), kT0 + 12 * kHour);

  EXPECT_TRUE(aggregator.Tick(kT0 + 8 * kDay).empty());
  EXPECT_TRUE(aggregator.Tick(kT0 + 10 * kDay).empty());
}

TEST(LoginDropTest, FiresAndResolvesAtMidnight) {
  Aggregator aggregator(testing::TestCatalog(), {testing::LoginDropRule(50, 4)});
  aggregator.Apply(Logins(0, 10), kT0 + 12 * kHour);

  // Day 0 leaves the last 7 days at the start of day 7.
  EXPECT_TRUE(aggregator.Tick(kT0 + 7 * kDay - 1).empty());
  std::vector<Alert> fired = aggregator.Tick(kT0 + 7 * kDay);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].observed, 0);

  // Day 0 leaves the earlier week at the start of day 14. The account went
  // dark rather than recovered, so the alert stays firing.
  EXPECT_TRUE(aggregator.Tick(kT0 + 14 * kDay).empty());
  EXPECT_TRUE(aggregator.Tick(kT0 + 60 * kDay).empty());
}

TEST(LoginDropTest, DarkAccountResolvesOnReturn) {
  Aggregator aggregator(testing::TestCatalog(), {testing::LoginDropRule(50, 4)});
  aggregator.Apply(Logins(0, 10), kT0 + 12 * kHour);
  ASSERT_EQ(aggregator.Tick(kT0 + 7 * kDay).size(), 1u);
  EXPECT_TRUE(aggregator.Tick(kT0 + 30 * kDay).empty());

  // Three logins are still below the baseline of 4, so nothing changes.
  EXPECT_TRUE(aggregator.Apply(Logins(30, 3), kT0 + 30 * kDay + 12 * kHour).empty());

  std::vector<Alert> resolved = aggregator.Apply(Logins(30, 1), kT0 + 30 * kDay + 13 * kHour);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].state, AlertState::kResolved);
}

}  // namespace
}  // namespace uptake
