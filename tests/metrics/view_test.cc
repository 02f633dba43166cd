// Account views: window edges at UTC midnights and exact day lengths.

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "metrics/aggregator.h"
#include "test_events.h"

namespace uptake {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kT0;
using testing::Track;

TEST(ViewTest, UnknownAccountIsEmpty) {
  Aggregator aggregator(testing::TestCatalog(), {});

  EXPECT_FALSE(aggregator.View("nobody", kT0).has_value());
  EXPECT_EQ(aggregator.account_count(), 0u);
}

TEST(ViewTest, ActiveUserWindowEdges) {
  Aggregator aggregator(testing::TestCatalog(), {});
  const int64_t now = kT0 + 40 * kDay;
  const std::vector<Event> events = {
      Track("acme", "x", now - kDay, "exactly-1d"),
      Track("acme", "x", now - kDay - 1000, "past-1d"),
      Track("acme", "x", now - 7 * kDay, "exactly-7d"),
      Track("acme", "x", now - 7 * kDay - 1000, "past-7d"),
      Track("acme", "x", now - 30 * kDay, "exactly-30d"),
      Track("acme", "x", now - 30 * kDay - 1000, "past-30d"),
  };
  aggregator.Apply(events, now);

  std::optional<AccountView> view = aggregator.View("acme", now);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->user_count, 6);
  EXPECT_EQ(view->active_users_1d, 1);
  EXPECT_EQ(view->active_users_7d, 3);
  EXPECT_EQ(view->active_users_30d, 5);
}

TEST(ViewTest, LoginWindowsUseUtcDays) {
  Aggregator aggregator(testing::TestCatalog(), {});
  const int64_t today = kT0 + 40 * kDay;  // midnight
  const std::vector<Event> events = {
      Track("acme", "Logged In", today),                  // today, 7d and 30d
      Track("acme", "Logged In", today - 6 * kDay),       // first day of 7d
      Track("acme", "Logged In", today - 6 * kDay - 1),   // 30d only
      Track("acme", "Logged In", today - 29 * kDay),      // first day of 30d
      Track("acme", "Logged In", today - 29 * kDay - 1),  // outside both
  };
  aggregator.Apply(events, today + 23 * kHour);

  std::optional<AccountView> view = aggregator.View("acme", today + 23 * kHour);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->logins_7d, 2);
  EXPECT_EQ(view->logins_30d, 4);
  EXPECT_EQ(view->last_login_ms, today);
}

TEST(ViewTest, AdoptionWindowFromLongestRule) {
  Aggregator aggregator(testing::TestCatalog(),
                        {testing::AdoptionRule(14, 1), testing::AdoptionRule(21, 1)});
  const std::vector<Event> events = {
      Track("acme", "Report Created", kT0),
      Track("acme", "Export Run", kT0 + 21 * kDay - 1000),
      Track("acme", "Dashboard Viewed", kT0 + 21 * kDay),
  };
  aggregator.Apply(events, kT0 + 22 * kDay);

  std::optional<AccountView> view = aggregator.View("acme", kT0 + 22 * kDay);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->adoption_window_days, 21);
  EXPECT_EQ(view->features_in_window, (std::vector<std::string>{"Exports", "Reports"}));
  EXPECT_EQ(view->features_used, (std::vector<std::string>{"Dashboards", "Exports", "Reports"}));
}

TEST(ViewTest, DefaultAdoptionWindowIs30Days) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(5)});
  const std::vector<Event> events = {Track("acme", "Report Created", kT0),
                                     Track("acme", "Export Run", kT0 + 30 * kDay)};
  aggregator.Apply(events, kT0 + 30 * kDay);

  std::optional<AccountView> view = aggregator.View("acme", kT0 + 30 * kDay);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->adoption_window_days, 30);
  EXPECT_EQ(view->features_in_window, (std::vector<std::string>{"Reports"}));
}

TEST(ViewTest, CountsAndDays) {
  Aggregator aggregator(testing::TestCatalog(), {});
  Event identify = Track("acme", "identify", kT0 + 2 * kDay + kHour);
  identify.type = EventType::kIdentify;
  const std::vector<Event> events = {
      Track("acme", "b", kT0 + kDay),
      Track("acme", "a", kT0 + 2 * kDay),
      Track("acme", "b", kT0 + 2 * kDay - 1),
      identify,
  };
  aggregator.Apply(events, kT0 + 3 * kDay);

  std::optional<AccountView> view = aggregator.View("acme", kT0 + 3 * kDay + kHour);
  ASSERT_TRUE(view.has_value());
  using Count = std::pair<std::string, int64_t>;
  EXPECT_EQ(view->counts, (std::vector<Count>{{"a", 1}, {"b", 2}, {"identify", 1}}));
  ASSERT_EQ(view->days.size(), 2u);
  EXPECT_EQ(view->days[0].day, 19'675 + 1);
  EXPECT_EQ(view->days[0].events, 2);
  EXPECT_EQ(view->days[1].day, 19'675 + 2);
  EXPECT_EQ(view->days[1].events, 2);
  EXPECT_EQ(view->event_count, 4);
  EXPECT_EQ(view->last_seen_ms, kT0 + 2 * kDay + kHour);
  EXPECT_EQ(view->days_since_last_activity, 1);
}

TEST(ViewTest, TimesAndStart) {
  Aggregator aggregator(testing::TestCatalog(), {});
  const std::vector<Event> events = {Track("acme", "x", kT0 + kDay), Track("acme", "x", kT0)};
  aggregator.Apply(events, kT0 + kDay);

  std::optional<AccountView> view = aggregator.View("acme", kT0 - kDay);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->account_id, "acme");
  EXPECT_EQ(view->first_seen_ms, kT0);
  EXPECT_EQ(view->last_seen_ms, kT0 + kDay);
  EXPECT_EQ(view->created_at_ms, 0);
  EXPECT_EQ(view->start_ms, kT0);
  EXPECT_EQ(view->days_since_last_activity, 0);  // never below zero
  EXPECT_EQ(view->last_login_ms, 0);
}

}  // namespace
}  // namespace uptake
