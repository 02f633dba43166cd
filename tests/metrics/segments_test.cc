// Segment thresholds: the first matching segment's thresholds apply to an
// account, its name labels the alert, and a segment change keeps the alert.

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "metrics/aggregator.h"
#include "metrics/rule_eval.h"
#include "test_events.h"

namespace uptake {
namespace {

using testing::kDay;
using testing::kT0;
using testing::Track;
using testing::TraitsGroup;

std::vector<Alert> ApplyOne(Aggregator& aggregator, const Event& event, int64_t now_ms) {
  return aggregator.Apply(std::span<const Event>(&event, 1), now_ms);
}

AccountTraits Plan(const std::string& plan) { return AccountTraits{plan, std::nullopt, {}, 0}; }
AccountTraits Arr(double arr) { return AccountTraits{std::nullopt, arr, {}, 0}; }

Segment PlanSegment(const std::string& name, const std::string& plan) {
  Segment segment;
  segment.name = name;
  segment.match.plan = plan;
  return segment;
}

Segment ArrSegment(const std::string& name, double arr_at_least) {
  Segment segment;
  segment.name = name;
  segment.match.arr_at_least = arr_at_least;
  return segment;
}

MergedTraits Merged(std::optional<std::string> plan, std::optional<double> arr) {
  MergedTraits traits;
  traits.Merge(AccountTraits{std::move(plan), arr, std::nullopt, kT0});
  return traits;
}

TEST(MatchSegmentTest, FirstMatchWins) {
  Rule rule = testing::InactivityRule(30);
  rule.segments = {ArrSegment("big", 100000), PlanSegment("enterprise", "enterprise"),
                   ArrSegment("any", 0)};

  const MergedTraits both = Merged("enterprise", 150000);
  const MergedTraits plan_only = Merged("enterprise", 5000);
  const MergedTraits neither = Merged("pro", std::nullopt);
  EXPECT_EQ(MatchSegment(rule, &both)->name, "big");
  EXPECT_EQ(MatchSegment(rule, &plan_only)->name, "enterprise");
  EXPECT_EQ(MatchSegment(rule, &neither), nullptr);
  EXPECT_EQ(MatchSegment(rule, nullptr), nullptr);
}

TEST(MatchSegmentTest, AllConditionsMustHold) {
  Segment segment = PlanSegment("big-enterprise", "enterprise");
  segment.match.arr_at_least = 100000;
  Rule rule = testing::InactivityRule(30);
  rule.segments = {segment};

  const MergedTraits at_bound = Merged("enterprise", 100000);
  const MergedTraits below = Merged("enterprise", 99999.5);
  const MergedTraits other_plan = Merged("pro", 500000);
  const MergedTraits no_arr = Merged("enterprise", std::nullopt);
  EXPECT_NE(MatchSegment(rule, &at_bound), nullptr);
  EXPECT_EQ(MatchSegment(rule, &below), nullptr);
  EXPECT_EQ(MatchSegment(rule, &other_plan), nullptr);
  EXPECT_EQ(MatchSegment(rule, &no_arr), nullptr);
}

TEST(MatchSegmentTest, PlanIsCaseSensitive) {
  Rule rule = testing::InactivityRule(30);
  rule.segments = {PlanSegment("enterprise", "enterprise")};
  const MergedTraits traits = Merged("Enterprise", std::nullopt);
  EXPECT_EQ(MatchSegment(rule, &traits), nullptr);
}

TEST(SegmentThresholdTest, SegmentDaysApplyAndLabelAlert) {
  Rule rule = testing::InactivityRule(30);
  rule.labels = {{"team", "cs"}};
  Segment enterprise = PlanSegment("enterprise", "enterprise");
  enterprise.days = 7;
  rule.segments = {enterprise};
  Aggregator aggregator(testing::TestCatalog(), {rule});
  const std::vector<Event> events = {TraitsGroup("big", kT0, Plan("enterprise")),
                                     TraitsGroup("small", kT0, Plan("pro"))};
  aggregator.Apply(events, kT0);

  // The inactivity deadline follows the segment's 7 days, not the rule's 30.
  std::vector<Alert> alerts = aggregator.Tick(kT0 + 7 * kDay + 1);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].account_id, "big");
  EXPECT_EQ(alerts[0].threshold, 7);
  EXPECT_EQ(alerts[0].labels,
            (std::map<std::string, std::string>{{"segment", "enterprise"}, {"team", "cs"}}));

  alerts = aggregator.Tick(kT0 + 30 * kDay + 1);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].account_id, "small");
  EXPECT_EQ(alerts[0].threshold, 30);
  EXPECT_EQ(alerts[0].labels, (std::map<std::string, std::string>{{"team", "cs"}}));
}

TEST(SegmentThresholdTest, ArrSegmentOverridesAdoption) {
  Rule rule = testing::AdoptionRule(30, 1);
  Segment big = ArrSegment("big", 100000);
  big.min_features = 3;
  rule.segments = {big};
  Aggregator aggregator(testing::TestCatalog(), {rule});
  const std::vector<Event> events = {
      TraitsGroup("big", kT0, Arr(250000)), Track("big", "Report Created", kT0),
      Track("big", "Export Run", kT0), TraitsGroup("small", kT0, Arr(250)),
      Track("small", "Report Created", kT0)};
  aggregator.Apply(events, kT0);

  std::vector<Alert> alerts = aggregator.Tick(kT0 + 30 * kDay);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].account_id, "big");
  EXPECT_EQ(alerts[0].observed, 2);
  EXPECT_EQ(alerts[0].threshold, 3);
  EXPECT_EQ(alerts[0].labels.at("segment"), "big");
}

TEST(SegmentThresholdTest, UnsetThresholdKeepsRules) {
  Rule rule = testing::EventCountRule(30, {"Report Created"}, 2);
  Segment labelled = PlanSegment("enterprise", "enterprise");
  rule.segments = {labelled};
  Aggregator aggregator(testing::TestCatalog(), {rule});
  ApplyOne(aggregator, TraitsGroup("acme", kT0, Plan("enterprise")), kT0);

  std::vector<Alert> alerts = aggregator.Tick(kT0 + 30 * kDay);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].threshold, 2);
  EXPECT_EQ(alerts[0].labels.at("segment"), "enterprise");
}

TEST(SegmentThresholdTest, SegmentChangeKeepsAlertId) {
  Rule rule = testing::EventCountRule(30, {"Report Created"}, 5);
  Segment enterprise = PlanSegment("enterprise", "enterprise");
  enterprise.min_count = 10;
  rule.segments = {enterprise};
  Aggregator aggregator(testing::TestCatalog(), {rule});
  for (int i = 0; i < 3; ++i) ApplyOne(aggregator, Track("acme", "Report Created", kT0), kT0);

  const int64_t fired_at = kT0 + 30 * kDay;
  std::vector<Alert> fired = aggregator.Tick(fired_at);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].threshold, 5);
  EXPECT_EQ(fired[0].labels.count("segment"), 0u);

  // Moving into the enterprise segment mid-episode raises the bar but the
  // breach goes on, so nothing is reported.
  int64_t now = fired_at + kDay;
  EXPECT_TRUE(ApplyOne(aggregator, TraitsGroup("acme", now, Plan("enterprise")), now).empty());

  // Six reports would resolve the rule's own threshold, not the segment's.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(ApplyOne(aggregator, Track("acme", "Report Created", now), now).empty());
  }
  std::vector<Alert> resolved;
  for (int i = 0; i < 4 && resolved.empty(); ++i) {
    resolved = ApplyOne(aggregator, Track("acme", "Report Created", now), now);
  }
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].id, fired[0].id);
  EXPECT_EQ(resolved[0].state, AlertState::kResolved);
  EXPECT_EQ(resolved[0].observed, 10);
  EXPECT_EQ(resolved[0].threshold, 10);
  EXPECT_EQ(resolved[0].labels.at("segment"), "enterprise");
}

TEST(SegmentThresholdTest, LeavingSegmentCanResolve) {
  Rule rule = testing::EventCountRule(30, {"Report Created"}, 2);
  Segment enterprise = PlanSegment("enterprise", "enterprise");
  enterprise.min_count = 5;
  rule.segments = {enterprise};
  Aggregator aggregator(testing::TestCatalog(), {rule});
  const std::vector<Event> events = {TraitsGroup("acme", kT0, Plan("enterprise")),
                                     Track("acme", "Report Created", kT0),
                                     Track("acme", "Report Created", kT0)};
  aggregator.Apply(events, kT0);
  std::vector<Alert> fired = aggregator.Tick(kT0 + 30 * kDay);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].labels.at("segment"), "enterprise");

  const int64_t now = kT0 + 31 * kDay;
  std::vector<Alert> resolved = ApplyOne(aggregator, TraitsGroup("acme", now, Plan("pro")), now);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].id, fired[0].id);
  EXPECT_EQ(resolved[0].state, AlertState::kResolved);
  EXPECT_EQ(resolved[0].labels.count("segment"), 0u);
}

TEST(SegmentThresholdTest, OlderTraitsDoNotChangeSegment) {
  Rule rule = testing::InactivityRule(30);
  Segment enterprise = PlanSegment("enterprise", "enterprise");
  enterprise.days = 7;
  rule.segments = {enterprise};
  Aggregator aggregator(testing::TestCatalog(), {rule});
  ApplyOne(aggregator, TraitsGroup("acme", kT0 + kDay, Plan("enterprise")), kT0 + kDay);
  // A late group call from before the upgrade.
  ApplyOne(aggregator, TraitsGroup("acme", kT0, Plan("pro")), kT0 + kDay);

  std::vector<Alert> alerts = aggregator.Tick(kT0 + 8 * kDay + 1);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels.at("segment"), "enterprise");
}

}  // namespace
}  // namespace uptake
