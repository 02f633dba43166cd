// The bounds on distinct event names: an account or a shard past its bound
// stops counting new names one by one, but keeps every other aggregate, and
// the names rules count are never dropped.

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "metrics/account_shard.h"
#include "metrics/aggregator.h"
#include "test_events.h"

namespace uptake {
namespace {

using testing::kDay;
using testing::kT0;
using testing::Numbered;
using testing::Track;

using Counts = std::vector<std::pair<std::string, int64_t>>;

TEST(NameLimitsTest, FullAccountKeepsTotals) {
  Aggregator aggregator(testing::TestCatalog(), {}, {},
                        NameLimits{.per_account = 2, .per_shard = 10000});
  const std::vector<Event> events = {
      Track("acme", "a", kT0, "u1"),         Track("acme", "b", kT0, "u2"),
      Track("acme", "c", kT0, "u3"),  // third name: over the limit
      Track("acme", "a", kT0, "u1"),  // a name already counted goes on counting
      Track("acme", "Logged In", kT0, "u4"), Track("acme", "Report Created", kT0 + kDay, "u5"),
  };
  aggregator.Apply(events, kT0 + kDay);

  std::optional<AccountView> view = aggregator.View("acme", kT0 + kDay);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->counts, (Counts{{"a", 2}, {"b", 1}}));
  EXPECT_EQ(view->uncounted_name_events, 3);
  EXPECT_EQ(view->event_count, 6);
  EXPECT_EQ(view->user_count, 5);
  EXPECT_EQ(view->logins_7d, 1);
  EXPECT_EQ(view->features_used, std::vector<std::string>{"Reports"});
  EXPECT_EQ(view->last_seen_ms, kT0 + kDay);
  EXPECT_EQ(aggregator.uncounted_name_events(), 3u);

  // Another account has its own limit.
  aggregator.Apply(std::vector<Event>{Track("globex", "c", kT0)}, kT0 + kDay);
  EXPECT_EQ(aggregator.View("globex", kT0 + kDay)->counts, (Counts{{"c", 1}}));
}

TEST(NameLimitsTest, RuleNamesAreCountedPastTheLimit) {
  Aggregator aggregator(testing::TestCatalog(),
                        {testing::EventCountRule(7, {"Report Created", "Export Run"}, 3)}, {},
                        NameLimits{.per_account = 1, .per_shard = 10000});
  const std::vector<Event> events = {
      Track("acme", "Dashboard Viewed", kT0), Track("acme", "Note Added", kT0),
      Track("acme", "Report Created", kT0), Track("acme", "Export Run", kT0),
      Track("acme", "Export Run", kT0)};
  aggregator.Apply(events, kT0);

  const AccountView view = *aggregator.View("acme", kT0);
  EXPECT_EQ(view.counts,
            (Counts{{"Dashboard Viewed", 1}, {"Export Run", 2}, {"Report Created", 1}}));
  EXPECT_EQ(view.uncounted_name_events, 1);
  // The rule counts all three of its events, so it does not fire at day 7.
  EXPECT_TRUE(aggregator.Tick(kT0 + 7 * kDay).empty());
}

TEST(NameLimitsTest, RuleNamesTakeNoSlot) {
  // The rule's name is in every table, yet two other names still fit in a
  // table of 2 and an account of 2, whichever comes first.
  Aggregator aggregator(testing::TestCatalog(), {testing::EventCountRule(30, {"Core Action"}, 1)},
                        {}, NameLimits{.per_account = 2, .per_shard = 2});
  const std::vector<Event> events = {Track("acme", "Core Action", kT0),  Track("acme", "p1", kT0),
                                     Track("acme", "p2", kT0),           Track("acme", "p3", kT0),
                                     Track("globex", "p1", kT0),         Track("globex", "p2", kT0),
                                     Track("globex", "Core Action", kT0)};
  aggregator.Apply(events, kT0);

  const AccountView acme = *aggregator.View("acme", kT0);
  EXPECT_EQ(acme.counts, (Counts{{"Core Action", 1}, {"p1", 1}, {"p2", 1}}));
  EXPECT_EQ(acme.uncounted_name_events, 1);
  const AccountView globex = *aggregator.View("globex", kT0);
  EXPECT_EQ(globex.counts, (Counts{{"Core Action", 1}, {"p1", 1}, {"p2", 1}}));
  EXPECT_EQ(globex.uncounted_name_events, 0);
}

TEST(NameLimitsTest, FullAccountLeavesTheTableToOthers) {
  // Names an account cannot count are not added to its shard's table, so
  // a noisy account does not use up the table of the accounts beside it.
  AccountShard shard;
  shard.SetNameLimits(NameLimits{.per_account = 1, .per_shard = 3});
  shard.Init(std::make_shared<const std::vector<Rule>>());
  const Catalog catalog = testing::TestCatalog();
  std::lock_guard lock(shard.mu);
  for (const char* name : {"n1", "n2", "n3", "n4", "n5"}) {
    shard.AddEvent(Track("noisy", name, kT0), catalog);
  }
  for (const char* name : {"q1", "q2"}) shard.AddEvent(Track("quiet", name, kT0), catalog);
  shard.AddEvent(Track("calm", "c1", kT0), catalog);

  const ViewInput input{catalog, kT0};
  EXPECT_EQ(shard.View(*shard.Find("noisy"), input).counts, (Counts{{"n1", 1}}));
  EXPECT_EQ(shard.View(*shard.Find("quiet"), input).counts, (Counts{{"q1", 1}}));
  EXPECT_EQ(shard.View(*shard.Find("calm"), input).counts, (Counts{{"c1", 1}}));
  EXPECT_EQ(shard.uncounted_name_events(), 5u);
}

TEST(NameLimitsTest, FullShardTableStopsNewNames) {
  // With a table of 3 names per shard, the first 3 names to reach acme's
  // shard are the only ones it counts.
  Aggregator aggregator(testing::TestCatalog(), {}, {},
                        NameLimits{.per_account = 1000, .per_shard = 3});
  std::vector<Event> events;
  for (int name = 0; name < 10; ++name) events.push_back(Track("acme", Numbered("n", name), kT0));
  aggregator.Apply(events, kT0);

  const AccountView view = *aggregator.View("acme", kT0);
  EXPECT_EQ(view.counts, (Counts{{"n0", 1}, {"n1", 1}, {"n2", 1}}));
  EXPECT_EQ(view.uncounted_name_events, 7);
  EXPECT_EQ(view.event_count, 10);

  // A name already in the table goes on counting; a new one does not.
  aggregator.Apply(std::vector<Event>{Track("acme", "n1", kT0), Track("acme", "n9", kT0)}, kT0);
  const AccountView again = *aggregator.View("acme", kT0);
  EXPECT_EQ(again.counts, (Counts{{"n0", 1}, {"n1", 2}, {"n2", 1}}));
  EXPECT_EQ(again.uncounted_name_events, 8);
  EXPECT_EQ(aggregator.uncounted_name_events(), 8u);
}

TEST(NameLimitsTest, ReplayGivesTheSameCounts) {
  const NameLimits limits{.per_account = 2, .per_shard = 10000};
  Aggregator live(testing::TestCatalog(), {}, {}, limits);
  Aggregator replayed(testing::TestCatalog(), {}, {}, limits);
  std::vector<Event> events;
  for (int i = 0; i < 20; ++i) events.push_back(Track("acme", Numbered("n", i % 5), kT0 + i));
  live.Apply(events, kT0 + kDay);
  for (const Event& event : events) replayed.Replay(event);

  EXPECT_EQ(live.View("acme", kT0 + kDay)->counts, replayed.View("acme", kT0 + kDay)->counts);
  EXPECT_EQ(replayed.View("acme", kT0 + kDay)->uncounted_name_events, 12);
}

}  // namespace
}  // namespace uptake
