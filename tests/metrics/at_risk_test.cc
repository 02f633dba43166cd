// The at-risk list: accounts with a firing alert, by priority then account
// id, paged by cursor.

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
using testing::Track;
using testing::TraitsGroup;

Rule Inactive(const std::string& name, int days, Severity severity) {
  Rule rule = testing::InactivityRule(days);
  rule.name = name;
  rule.severity = severity;
  return rule;
}

AccountTraits WithArr(double arr, std::string owner = "") {
  AccountTraits traits;
  traits.arr = arr;
  if (!owner.empty()) traits.owner = owner;
  return traits;
}

std::vector<std::string> Ids(const AtRiskPage& page) {
  std::vector<std::string> ids;
  for (const AtRiskAccount& account : page.accounts) ids.push_back(account.account_id);
  return ids;
}

class AtRiskTest : public ::testing::Test {
 protected:
  // Rule "warn" (warning) fires after 7 idle days, "crit" (critical) after 14.
  AtRiskTest()
      : aggregator_(testing::TestCatalog(), {Inactive("warn", 7, Severity::kWarning),
                                             Inactive("crit", 14, Severity::kCritical)}) {}

  void Add(const Event& event) { aggregator_.Apply(std::span<const Event>(&event, 1), kT0); }

  Aggregator aggregator_;
};

TEST_F(AtRiskTest, EmptyWithoutFiringAlerts) {
  Add(Track("acme", "Report Created", kT0));
  const AtRiskPage page = aggregator_.ListAtRisk(std::nullopt, 10);
  EXPECT_TRUE(page.accounts.empty());
  EXPECT_FALSE(page.next);
}

TEST_F(AtRiskTest, OrderedByPriorityThenId) {
  Add(TraitsGroup("small-b", kT0, WithArr(500)));         // warning: 2
  Add(TraitsGroup("small-a", kT0, WithArr(500)));         // warning: 2
  Add(TraitsGroup("mid", kT0, WithArr(50000)));           // warning: 4
  Add(TraitsGroup("big", kT0, WithArr(200000, "dana")));  // warning: 6
  Add(Track("none", "Report Created", kT0));              // warning: 2
  aggregator_.Tick(kT0 + 8 * kDay);

  const AtRiskPage page = aggregator_.ListAtRisk(std::nullopt, 10);
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"big", "mid", "none", "small-a", "small-b"}));
  ASSERT_EQ(page.accounts.size(), 5u);
  EXPECT_EQ(page.accounts[0].priority, 6);
  EXPECT_EQ(page.accounts[0].owner, "dana");
  EXPECT_EQ(page.accounts[0].arr, 200000);
  EXPECT_EQ(page.accounts[1].priority, 4);
  EXPECT_EQ(page.accounts[2].priority, 2);
  EXPECT_FALSE(page.accounts[2].arr);
  EXPECT_FALSE(page.next);
}

TEST_F(AtRiskTest, MaxPriorityOverOpenAlerts) {
  Add(TraitsGroup("acme", kT0, WithArr(50000)));
  aggregator_.Tick(kT0 + 15 * kDay);

  const AtRiskPage page = aggregator_.ListAtRisk(std::nullopt, 10);
  ASSERT_EQ(page.accounts.size(), 1u);
  const AtRiskAccount& acme = page.accounts[0];
  EXPECT_EQ(acme.priority, 6);  // critical times mid revenue
  ASSERT_EQ(acme.open_alerts.size(), 2u);
  EXPECT_EQ(acme.open_alerts[0].rule, "warn");
  EXPECT_EQ(acme.open_alerts[0].severity, Severity::kWarning);
  EXPECT_EQ(acme.open_alerts[0].fired_at_ms, kT0 + 15 * kDay);
  EXPECT_EQ(acme.open_alerts[1].rule, "crit");
  EXPECT_LT(acme.open_alerts[0].id, acme.open_alerts[1].id);
}

TEST_F(AtRiskTest, PagesWithCursor) {
  for (int i = 0; i < 7; ++i) {
    Add(TraitsGroup(testing::Numbered("acct-", i), kT0, WithArr(i < 3 ? 150000 : 20)));
  }
  aggregator_.Tick(kT0 + 8 * kDay);

  std::vector<std::string> seen;
  std::optional<AtRiskCursor> cursor;
  int pages = 0;
  do {
    const AtRiskPage page = aggregator_.ListAtRisk(cursor, 3);
    ASSERT_LE(page.accounts.size(), 3u);
    for (const std::string& id : Ids(page)) seen.push_back(id);
    cursor = page.next;
    ++pages;
  } while (cursor && pages < 10);

  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"acct-0", "acct-1", "acct-2", "acct-3", "acct-4",
                                            "acct-5", "acct-6"}));
}

TEST_F(AtRiskTest, LastFullPageHasNoCursor) {
  for (int i = 0; i < 4; ++i) Add(Track(testing::Numbered("acct-", i), "x", kT0));
  aggregator_.Tick(kT0 + 8 * kDay);

  const AtRiskPage first = aggregator_.ListAtRisk(std::nullopt, 2);
  ASSERT_TRUE(first.next);
  EXPECT_EQ(first.next->account_id, "acct-1");
  EXPECT_EQ(first.next->priority, 2);
  const AtRiskPage second = aggregator_.ListAtRisk(first.next, 2);
  EXPECT_EQ(Ids(second), (std::vector<std::string>{"acct-2", "acct-3"}));
  EXPECT_FALSE(second.next);
}

TEST_F(AtRiskTest, ResolvedAccountLeaves) {
  Add(Track("acme", "x", kT0));
  Add(Track("globex", "x", kT0));
  aggregator_.Tick(kT0 + 8 * kDay);
  ASSERT_EQ(aggregator_.ListAtRisk(std::nullopt, 10).accounts.size(), 2u);

  const Event back = Track("acme", "x", kT0 + 8 * kDay);
  aggregator_.Apply(std::span<const Event>(&back, 1), kT0 + 8 * kDay);
  EXPECT_EQ(Ids(aggregator_.ListAtRisk(std::nullopt, 10)), (std::vector<std::string>{"globex"}));
}

TEST(AtRiskPendingTest, PendingAlertNotListed) {
  Rule rule = testing::InactivityRule(7);
  rule.for_ms = 2 * kDay;
  Aggregator aggregator(testing::TestCatalog(), {rule});
  const Event event = Track("acme", "x", kT0);
  aggregator.Apply(std::span<const Event>(&event, 1), kT0);

  ASSERT_EQ(aggregator.Tick(kT0 + 8 * kDay).size(), 1u);  // pending
  EXPECT_TRUE(aggregator.ListAtRisk(std::nullopt, 10).accounts.empty());
  ASSERT_EQ(aggregator.Tick(kT0 + 10 * kDay).size(), 1u);  // firing
  EXPECT_EQ(aggregator.ListAtRisk(std::nullopt, 10).accounts.size(), 1u);
}

TEST(AtRiskRestoreTest, RestoredFiringAlertListed) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(7)});
  aggregator.Replay(TraitsGroup("acme", kT0, WithArr(150000, "dana")));
  Alert alert;
  alert.id = 12;
  alert.rule = "inactive";
  alert.account_id = "acme";
  alert.state = AlertState::kFiring;
  alert.fired_at_ms = kT0 + 8 * kDay;
  aggregator.RestoreAlert(alert);

  const AtRiskPage page = aggregator.ListAtRisk(std::nullopt, 10);
  ASSERT_EQ(page.accounts.size(), 1u);
  EXPECT_EQ(page.accounts[0].priority, 6);
  EXPECT_EQ(page.accounts[0].owner, "dana");
  ASSERT_EQ(page.accounts[0].open_alerts.size(), 1u);
  EXPECT_EQ(page.accounts[0].open_alerts[0].id, 12u);
}

TEST_F(AtRiskTest, ArrChangeReranks) {
  Add(Track("acme", "x", kT0));
  Add(Track("globex", "x", kT0));
  aggregator_.Tick(kT0 + 8 * kDay);
  ASSERT_EQ(Ids(aggregator_.ListAtRisk(std::nullopt, 10)),
            (std::vector<std::string>{"acme", "globex"}));

  // The group call is dated before the last activity, so it does not end
  // the inactivity breach; it only raises globex's ARR.
  const Event upgrade = TraitsGroup("globex", kT0, WithArr(150000));
  EXPECT_TRUE(aggregator_.Apply(std::span<const Event>(&upgrade, 1), kT0 + 9 * kDay).empty());
  EXPECT_EQ(Ids(aggregator_.ListAtRisk(std::nullopt, 10)),
            (std::vector<std::string>{"globex", "acme"}));
}

}  // namespace
}  // namespace uptake
