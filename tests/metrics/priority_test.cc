// Alert priority is severity weight times revenue weight, and alerts carry
// the account's owner.

#include "metrics/priority.h"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "metrics/aggregator.h"
#include "test_events.h"

namespace uptake {
namespace {

using testing::kDay;
using testing::kT0;
using testing::TraitsGroup;

TEST(PriorityTest, SeverityWeights) {
  EXPECT_EQ(SeverityWeight(Severity::kInfo), 1);
  EXPECT_EQ(SeverityWeight(Severity::kWarning), 2);
  EXPECT_EQ(SeverityWeight(Severity::kCritical), 3);
}

TEST(PriorityTest, RevenueWeightBounds) {
  EXPECT_EQ(RevenueWeight(std::nullopt), 1);
  EXPECT_EQ(RevenueWeight(0), 1);
  EXPECT_EQ(RevenueWeight(9999.99), 1);
  EXPECT_EQ(RevenueWeight(10000), 2);
  EXPECT_EQ(RevenueWeight(99999.99), 2);
  EXPECT_EQ(RevenueWeight(100000), 3);
  EXPECT_EQ(RevenueWeight(1e15), 3);
}

TEST(PriorityTest, FormulaTable) {
  struct Case {
    Severity severity;
    std::optional<double> arr;
    int priority;
  };
  const Case cases[] = {
      {Severity::kInfo, std::nullopt, 1}, {Severity::kInfo, 50000, 2},
      {Severity::kInfo, 100000, 3},       {Severity::kWarning, std::nullopt, 2},
      {Severity::kWarning, 50000, 4},     {Severity::kWarning, 250000, 6},
      {Severity::kCritical, 5000, 3},     {Severity::kCritical, 10000, 6},
      {Severity::kCritical, 100000, 9},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(AlertPriority(c.severity, c.arr), c.priority)
        << SeverityName(c.severity) << " " << c.arr.value_or(-1);
  }
}

TEST(AlertPriorityTest, AlertCarriesPriorityAndOwner) {
  Rule rule = testing::InactivityRule(7);
  rule.severity = Severity::kCritical;
  Aggregator aggregator(testing::TestCatalog(), {rule});
  const std::vector<Event> events = {
      TraitsGroup("big", kT0, AccountTraits{"enterprise", 120000, "dana@example.com", 0}),
      TraitsGroup("mid", kT0, AccountTraits{std::nullopt, 20000, std::nullopt, 0}),
      testing::Track("unknown", "Report Created", kT0)};
  aggregator.Apply(events, kT0);

  std::vector<Alert> alerts = aggregator.Tick(kT0 + 8 * kDay);
  ASSERT_EQ(alerts.size(), 3u);
  std::map<std::string, const Alert*> by_account;
  for (const Alert& alert : alerts) by_account[alert.account_id] = &alert;
  EXPECT_EQ(by_account.at("big")->priority, 9);
  EXPECT_EQ(by_account.at("big")->owner, "dana@example.com");
  EXPECT_EQ(by_account.at("mid")->priority, 6);
  EXPECT_EQ(by_account.at("mid")->owner, "");
  EXPECT_EQ(by_account.at("unknown")->priority, 3);
  EXPECT_EQ(by_account.at("unknown")->owner, "");
}

TEST(AlertPriorityTest, ResolveUsesCurrentTraits) {
  Rule rule = testing::EventCountRule(30, {"Report Created"}, 1);
  Aggregator aggregator(testing::TestCatalog(), {rule});
  const Event first = TraitsGroup("acme", kT0, AccountTraits{std::nullopt, 5000, "lee", 0});
  aggregator.Apply(std::span<const Event>(&first, 1), kT0);
  std::vector<Alert> fired = aggregator.Tick(kT0 + 30 * kDay);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].priority, 2);
  EXPECT_EQ(fired[0].owner, "lee");

  const int64_t now = kT0 + 31 * kDay;
  const std::vector<Event> later = {
      TraitsGroup("acme", now, AccountTraits{std::nullopt, 500000, "dana", 0}),
      testing::Track("acme", "Report Created", now)};
  std::vector<Alert> resolved = aggregator.Apply(later, now);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].priority, 6);
  EXPECT_EQ(resolved[0].owner, "dana");
}

}  // namespace
}  // namespace uptake
