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

namespace uptake {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kT0;
using testing::Track;

// An inactivity rule on 1 idle day. After one event at kT0 its breach begins
// at kBreachMs, with no further event.
constexpr int64_t kBreachMs = kT0 + kDay + 1;

Rule IdleRule(int64_t for_ms, int64_t keep_firing_for_ms) {
  Rule rule = testing::InactivityRule(1);
  rule.for_ms = for_ms;
  rule.keep_firing_for_ms = keep_firing_for_ms;
  return rule;
}

std::vector<Alert> Touch(Aggregator& aggregator, int64_t now_ms) {
  const Event event = Track("acme", "x", now_ms);
  return aggregator.Apply(std::span<const Event>(&event, 1), now_ms);
}

TEST(ForTest, FiresExactlyWhenForElapses) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(kHour, 0)});
  ASSERT_TRUE(Touch(aggregator, kT0).empty());
  ASSERT_TRUE(aggregator.Tick(kBreachMs - 1).empty());

  const std::vector<Alert> pending = aggregator.Tick(kBreachMs);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].state, AlertState::kPending);
  EXPECT_EQ(pending[0].active_since_ms, kBreachMs);
  EXPECT_EQ(pending[0].fired_at_ms, 0);
  EXPECT_EQ(pending[0].resolved_at_ms, 0);

  EXPECT_TRUE(aggregator.Tick(kBreachMs + kHour - 1).empty());
  const std::vector<Alert> firing = aggregator.Tick(kBreachMs + kHour);
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].id, pending[0].id);
  EXPECT_EQ(firing[0].state, AlertState::kFiring);
  EXPECT_EQ(firing[0].active_since_ms, kBreachMs);
  EXPECT_EQ(firing[0].fired_at_ms, kBreachMs + kHour);
  EXPECT_EQ(firing[0].updated_at_ms, kBreachMs + kHour);

  EXPECT_TRUE(aggregator.Tick(kBreachMs + 10 * kDay).empty());
}

TEST(ForTest, LateTickFiresAtItsOwnTime) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(kHour, 0)});
  Touch(aggregator, kT0);
  ASSERT_EQ(aggregator.Tick(kBreachMs).size(), 1u);

  const std::vector<Alert> firing = aggregator.Tick(kBreachMs + 5 * kHour);
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].state, AlertState::kFiring);
  EXPECT_EQ(firing[0].fired_at_ms, kBreachMs + 5 * kHour);
}

TEST(ForTest, RecoveryOneMsBeforeDropsPending) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(kHour, 0)});
  Touch(aggregator, kT0);
  const std::vector<Alert> pending = aggregator.Tick(kBreachMs);
  ASSERT_EQ(pending.size(), 1u);

  const std::vector<Alert> dropped = Touch(aggregator, kBreachMs + kHour - 1);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].id, pending[0].id);
  EXPECT_EQ(dropped[0].state, AlertState::kResolved);
  EXPECT_EQ(dropped[0].fired_at_ms, 0);
  EXPECT_EQ(dropped[0].active_since_ms, kBreachMs);
  EXPECT_EQ(dropped[0].resolved_at_ms, kBreachMs + kHour - 1);

  // The `for` deadline of the dropped alert passes without a change.
  EXPECT_TRUE(aggregator.Tick(kBreachMs + kHour).empty());
}

TEST(ForTest, BreachAfterDropGetsNewId) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(kHour, 0)});
  Touch(aggregator, kT0);
  const uint64_t first_id = aggregator.Tick(kBreachMs).at(0).id;
  const int64_t recovered = kBreachMs + 10;
  ASSERT_EQ(Touch(aggregator, recovered).size(), 1u);

  const std::vector<Alert> again = aggregator.Tick(recovered + kDay + 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_GT(again[0].id, first_id);
  EXPECT_EQ(again[0].state, AlertState::kPending);
  EXPECT_EQ(again[0].active_since_ms, recovered + kDay + 1);
}

TEST(ForTest, ZeroForFiresAtOnce) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(0, 0)});
  Touch(aggregator, kT0);

  const std::vector<Alert> firing = aggregator.Tick(kBreachMs);

  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].state, AlertState::kFiring);
  EXPECT_EQ(firing[0].active_since_ms, kBreachMs);
  EXPECT_EQ(firing[0].fired_at_ms, kBreachMs);
}

TEST(EpisodeTest, NewBreachGetsNewId) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(0, 0)});
  Touch(aggregator, kT0);
  std::vector<uint64_t> fired_ids;

  int64_t last_event = kT0;
  for (int episode = 0; episode < 3; ++episode) {
    const std::vector<Alert> fired = aggregator.Tick(last_event + kDay + 1);
    ASSERT_EQ(fired.size(), 1u);
    ASSERT_EQ(fired[0].state, AlertState::kFiring);
    fired_ids.push_back(fired[0].id);

    last_event += 2 * kDay;
    const std::vector<Alert> resolved = Touch(aggregator, last_event);
    ASSERT_EQ(resolved.size(), 1u);
    EXPECT_EQ(resolved[0].id, fired[0].id);
    EXPECT_EQ(resolved[0].state, AlertState::kResolved);
    EXPECT_EQ(resolved[0].fired_at_ms, fired[0].fired_at_ms);
  }

  EXPECT_LT(fired_ids[0], fired_ids[1]);
  EXPECT_LT(fired_ids[1], fired_ids[2]);
}

// Events at day 2 and 4 end the breach twice, and each time it returns
// within the 2-day keep_firing_for, so the first alert is the only change.
TEST(KeepFiringForTest, FlappingWithinWindowKeepsOneAlert) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(0, 2 * kDay)});
  Touch(aggregator, kT0);
  const std::vector<Alert> fired = aggregator.Tick(kBreachMs);
  ASSERT_EQ(fired.size(), 1u);

  std::vector<Alert> changes;
  for (int64_t day = 2; day <= 4; day += 2) {
    for (Alert& alert : Touch(aggregator, kT0 + day * kDay)) changes.push_back(alert);
    for (Alert& alert : aggregator.Tick(kT0 + (day + 1) * kDay + 1)) changes.push_back(alert);
  }
  for (Alert& alert : aggregator.Tick(kT0 + 30 * kDay)) changes.push_back(alert);

  EXPECT_TRUE(changes.empty()) << changes.size() << " changes, first "
                               << AlertStateName(changes[0].state);
  EXPECT_TRUE(aggregator.EvaluateAll(kT0 + 31 * kDay).empty());
}

// The breach ends at day 6 and stays away: the alert resolves from Tick when
// keep_firing_for runs out at day 8, and the next breach is a new alert.
TEST(KeepFiringForTest, AbsenceBeyondWindowResolves) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(0, 2 * kDay)});
  Touch(aggregator, kT0);
  const std::vector<Alert> fired = aggregator.Tick(kBreachMs);
  ASSERT_EQ(fired.size(), 1u);

  EXPECT_TRUE(Touch(aggregator, kT0 + 6 * kDay).empty());
  EXPECT_TRUE(Touch(aggregator, kT0 + 7 * kDay).empty());
  EXPECT_TRUE(aggregator.Tick(kT0 + 8 * kDay - 1).empty());

  const std::vector<Alert> resolved = aggregator.Tick(kT0 + 8 * kDay);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].id, fired[0].id);
  EXPECT_EQ(resolved[0].state, AlertState::kResolved);
  EXPECT_EQ(resolved[0].fired_at_ms, kBreachMs);
  EXPECT_EQ(resolved[0].resolved_at_ms, kT0 + 8 * kDay);

  const std::vector<Alert> next = aggregator.Tick(kT0 + 8 * kDay + 1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_GT(next[0].id, fired[0].id);
  EXPECT_EQ(next[0].state, AlertState::kFiring);
}

TEST(KeepFiringForTest, PendingIsDroppedAtOnce) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(kHour, 2 * kDay)});
  Touch(aggregator, kT0);
  ASSERT_EQ(aggregator.Tick(kBreachMs).size(), 1u);

  const std::vector<Alert> dropped = Touch(aggregator, kBreachMs + 1);

  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].state, AlertState::kResolved);
  EXPECT_EQ(dropped[0].fired_at_ms, 0);
}

TEST(AnnotationTest, LabelsCopiedAndTemplatesRendered) {
  Rule rule = IdleRule(kHour, 0);
  rule.severity = Severity::kCritical;
  rule.labels = {{"team", "cs-emea"}, {"tier", "1"}};
  rule.annotations = {
      {"summary", "{{account}} idle {{ observed }} of {{threshold}} days ({{state}})"},
      {"runbook", "https://wiki.example/{{rule}}/{{severity}}"},
  };
  Aggregator aggregator(testing::TestCatalog(), {rule});
  Touch(aggregator, kT0);

  const std::vector<Alert> pending = aggregator.Tick(kBreachMs);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].labels, rule.labels);
  EXPECT_EQ(pending[0].annotations.at("summary"), "acme idle 1 of 1 days (pending)");
  EXPECT_EQ(pending[0].annotations.at("runbook"), "https://wiki.example/inactive/critical");
  EXPECT_EQ(pending[0].summary, "acme idle 1 of 1 days (pending)");

  const std::vector<Alert> firing = aggregator.Tick(kBreachMs + 12 * kHour);
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].summary, "acme idle 1.5 of 1 days (firing)");
  EXPECT_EQ(firing[0].annotations.at("summary"), firing[0].summary);
}

TEST(AnnotationTest, SummaryGeneratedWithoutTemplate) {
  Rule rule = IdleRule(0, 0);
  rule.annotations = {{"description", "{{account}}"}};
  Aggregator aggregator(testing::TestCatalog(), {rule});
  Touch(aggregator, kT0);

  const std::vector<Alert> firing = aggregator.Tick(kBreachMs);

  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].annotations.size(), 1u);
  EXPECT_EQ(firing[0].annotations.at("description"), "acme");
  EXPECT_NE(firing[0].summary.find("has had no activity"), std::string::npos) << firing[0].summary;
}

Alert PendingAlert(uint64_t id, int64_t active_since_ms) {
  Alert alert;
  alert.id = id;
  alert.rule = "inactive";
  alert.kind = RuleKind::kInactivity;
  alert.account_id = "acme";
  alert.state = AlertState::kPending;
  alert.active_since_ms = active_since_ms;
  return alert;
}

TEST(RestorePendingTest, ResumesForTimer) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(kHour, 0)});
  aggregator.Replay(Track("acme", "x", kT0));
  aggregator.RestoreAlert(PendingAlert(41, kBreachMs));

  EXPECT_TRUE(aggregator.EvaluateAll(kBreachMs + 30 * 60'000).empty());
  EXPECT_TRUE(aggregator.Tick(kBreachMs + kHour - 1).empty());

  const std::vector<Alert> firing = aggregator.Tick(kBreachMs + kHour);
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].id, 41u);
  EXPECT_EQ(firing[0].state, AlertState::kFiring);
  EXPECT_EQ(firing[0].active_since_ms, kBreachMs);
  EXPECT_EQ(firing[0].fired_at_ms, kBreachMs + kHour);
}

TEST(RestorePendingTest, ForElapsedWhileDownFires) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(kHour, 0)});
  aggregator.Replay(Track("acme", "x", kT0));
  aggregator.RestoreAlert(PendingAlert(41, kBreachMs));

  const std::vector<Alert> firing = aggregator.EvaluateAll(kBreachMs + 3 * kHour);

  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].id, 41u);
  EXPECT_EQ(firing[0].state, AlertState::kFiring);
  EXPECT_EQ(firing[0].fired_at_ms, kBreachMs + 3 * kHour);
}

TEST(RestorePendingTest, BreachEndedWhileDownDrops) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(kHour, 0)});
  aggregator.Replay(Track("acme", "x", kT0));
  aggregator.Replay(Track("acme", "x", kBreachMs + 10));
  aggregator.RestoreAlert(PendingAlert(41, kBreachMs));

  const std::vector<Alert> dropped = aggregator.EvaluateAll(kBreachMs + 20);

  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].id, 41u);
  EXPECT_EQ(dropped[0].state, AlertState::kResolved);
  EXPECT_EQ(dropped[0].fired_at_ms, 0);
}

// Without EvaluateAll, the restore itself queues the `for` deadline.
TEST(RestorePendingTest, QueuedOnAlreadyScheduledAccount) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(2 * kHour, 0)});
  Touch(aggregator, kT0);
  aggregator.RestoreAlert(PendingAlert(41, kT0 - kHour));

  const std::vector<Alert> dropped = aggregator.Tick(kT0 + kHour);

  // The account is active, so the due pending alert is dropped, not fired.
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].id, 41u);
  EXPECT_EQ(dropped[0].state, AlertState::kResolved);
}

TEST(RestoreFiringTest, KeepsIdAndActiveSince) {
  Aggregator aggregator(testing::TestCatalog(), {IdleRule(kHour, 0)});
  aggregator.Replay(Track("acme", "x", kT0));
  Alert alert = PendingAlert(41, kBreachMs);
  alert.state = AlertState::kFiring;
  alert.fired_at_ms = kBreachMs + kHour;
  aggregator.RestoreAlert(alert);

  EXPECT_TRUE(aggregator.EvaluateAll(kBreachMs + 2 * kHour).empty());
  const std::vector<Alert> resolved = Touch(aggregator, kBreachMs + 3 * kHour);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].id, 41u);
  EXPECT_EQ(resolved[0].active_since_ms, kBreachMs);
  EXPECT_EQ(resolved[0].fired_at_ms, kBreachMs + kHour);
}

}  // namespace
}  // namespace uptake
