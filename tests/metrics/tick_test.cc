// Tick evaluates only the accounts whose deadline has passed.

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

constexpr int kIdleAccounts = 100'000;

// Each account gets a restored firing alert it is not in breach of, so any
// evaluation of it returns a resolved alert. Tick returning nothing then
// shows that Tick evaluated none of them.
TEST(TickTest, IdleAccountsCostNoEvaluation) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(365)});
  std::vector<Event> events;
  events.reserve(kIdleAccounts);
  for (int i = 0; i < kIdleAccounts; ++i) {
    events.push_back(Track(testing::Numbered("acct-", i), "x", kT0));
  }
  ASSERT_TRUE(aggregator.Apply(events, kT0).empty());
  for (int i = 0; i < kIdleAccounts; ++i) {
    Alert alert;
    alert.id = static_cast<uint64_t>(i) + 1;
    alert.rule = "inactive";
    alert.account_id = testing::Numbered("acct-", i);
    aggregator.RestoreAlert(alert);
  }

  EXPECT_TRUE(aggregator.Tick(kT0 + kDay).empty());
  EXPECT_TRUE(aggregator.Tick(kT0 + 364 * kDay).empty());

  EXPECT_EQ(aggregator.EvaluateAll(kT0 + 364 * kDay).size(), static_cast<size_t>(kIdleAccounts));
}

TEST(TickTest, OnlyDueAccountsFire) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(10)});
  const std::vector<Event> events = {Track("early", "x", kT0), Track("late", "x", kT0 + 5 * kDay)};
  aggregator.Apply(events, kT0 + 5 * kDay);

  std::vector<Alert> first = aggregator.Tick(kT0 + 12 * kDay);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].account_id, "early");

  std::vector<Alert> second = aggregator.Tick(kT0 + 16 * kDay);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].account_id, "late");
}

TEST(TickTest, NewActivityPostponesDeadline) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(10)});
  const Event first = Track("acme", "x", kT0);
  const Event second = Track("acme", "x", kT0 + 4 * kDay);
  aggregator.Apply(std::span<const Event>(&first, 1), kT0);
  aggregator.Apply(std::span<const Event>(&second, 1), kT0 + 4 * kDay);

  // The first deadline passes without an alert and is moved to the new one.
  EXPECT_TRUE(aggregator.Tick(kT0 + 11 * kDay).empty());
  EXPECT_TRUE(aggregator.Tick(kT0 + 14 * kDay).empty());
  EXPECT_EQ(aggregator.Tick(kT0 + 14 * kDay + 1).size(), 1u);
}

}  // namespace
}  // namespace uptake
