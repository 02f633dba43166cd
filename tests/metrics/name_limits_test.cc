// The bounds on distinct event names: an account or a shard past its bound
// stops counting new names one by one, but keeps every other aggregate, and
// the names rules count are never dropped.

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

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

TEST(NameLimitsTest, FullShardTableStopsNewNames) {
  // With a table of 3 names per shard, the first 3 names acme's shard sees
  // are the only ones it counts.
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
