// Apply with large batches, which take the prefetch passes, against the same
// events applied one at a time.

#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "metrics/aggregator.h"
#include "tests/metrics/expect_same_view.h"
#include "tests/metrics/test_events.h"

namespace uptake {
namespace {

using testing::ExpectSameView;
using testing::kDay;
using testing::kHour;
using testing::kT0;
using testing::Numbered;
using testing::TestCatalog;
using testing::Track;
using testing::TraitsGroup;

constexpr int kAccounts = 300;

// Events over kAccounts accounts and five days, with a few users each and
// every feature name, in time order.
std::vector<Event> MixedEvents(size_t count) {
  const std::vector<std::string> names = {"Logged In",  "Report Created", "Dashboard Viewed",
                                          "Export Run", "Alert Set",      "Page Viewed"};
  std::mt19937 random(12);
  std::vector<Event> events;
  for (size_t i = 0; i < count; ++i) {
    const int account = static_cast<int>(random() % kAccounts);
    const int64_t ms = kT0 + static_cast<int64_t>(i) * (5 * kDay / static_cast<int64_t>(count));
    events.push_back(Track(Numbered("acct-", account), names[random() % names.size()], ms,
                           Numbered("user-", static_cast<int>(random() % 7))));
  }
  return events;
}

Aggregator TestAggregator() {
  Rule inactive;
  inactive.name = "inactive";
  inactive.kind = RuleKind::kInactivity;
  inactive.days = 3;
  return Aggregator(TestCatalog(), {inactive});
}

void ExpectSameAccounts(const Aggregator& want, const Aggregator& got, int64_t now_ms) {
  ASSERT_EQ(got.account_count(), want.account_count());
  for (int a = 0; a < kAccounts; ++a) {
    const std::string id = Numbered("acct-", a);
    const std::optional<AccountView> want_view = want.View(id, now_ms);
    const std::optional<AccountView> got_view = got.View(id, now_ms);
    ASSERT_EQ(got_view.has_value(), want_view.has_value()) << id;
    if (want_view) ExpectSameView(*want_view, *got_view, id);
  }
}

TEST(AggregatorApplyTest, LargeBatchMatchesSingleEvents) {
  const std::vector<Event> events = MixedEvents(20'000);
  const int64_t now_ms = kT0 + 5 * kDay + kHour;

  Aggregator single = TestAggregator();
  for (const Event& event : events) single.Apply(std::span<const Event>(&event, 1), now_ms);

  // 20,000 events over 64 shards put about 300 in each shard's group.
  Aggregator batched = TestAggregator();
  batched.Apply(events, now_ms);

  ExpectSameAccounts(single, batched, now_ms);
}

TEST(AggregatorApplyTest, GatheredListsMatchOneList) {
  const std::vector<Event> events = MixedEvents(6'000);
  const int64_t now_ms = kT0 + 5 * kDay + kHour;

  Aggregator whole = TestAggregator();
  const std::vector<Alert> whole_alerts = whole.Apply(events, now_ms);

  // The same events as three lists, gathered by pointer in order.
  std::vector<std::vector<Event>> parts(3);
  for (size_t i = 0; i < events.size(); ++i) parts[i * 3 / events.size()].push_back(events[i]);
  std::vector<const Event*> gathered;
  for (const std::vector<Event>& part : parts) {
    for (const Event& event : part) gathered.push_back(&event);
  }
  Aggregator pieces = TestAggregator();
  const std::vector<Alert> pieces_alerts =
      pieces.Apply(std::span<const Event* const>(gathered), now_ms);

  ExpectSameAccounts(whole, pieces, now_ms);
  ASSERT_EQ(pieces_alerts.size(), whole_alerts.size());
  for (size_t i = 0; i < whole_alerts.size(); ++i) {
    EXPECT_EQ(pieces_alerts[i].account_id, whole_alerts[i].account_id);
    EXPECT_EQ(pieces_alerts[i].rule, whole_alerts[i].rule);
    EXPECT_EQ(pieces_alerts[i].state, whole_alerts[i].state);
  }
}

TEST(AggregatorApplyTest, LargeBatchKeepsEachAccountsOrder) {
  // Group calls with the same time merge in arrival order, so the last plan
  // an account is sent in the batch is the one it keeps. The other events
  // spread the batch over every shard.
  std::vector<Event> events = MixedEvents(6'000);
  const int64_t ms = kT0 + kHour;
  for (int round = 0; round < 3; ++round) {
    for (int a = 0; a < kAccounts; a += 7) {
      const std::string plan = "plan-" + std::to_string(round);
      events.insert(events.begin() + static_cast<std::ptrdiff_t>((round + 1) * 1'500 + a),
                    TraitsGroup(Numbered("acct-", a), ms, {plan, std::nullopt, std::nullopt, ms}));
    }
  }
  Aggregator aggregator = TestAggregator();
  aggregator.Apply(events, kT0 + 5 * kDay);
  for (int a = 0; a < kAccounts; a += 7) {
    const std::optional<AccountView> view = aggregator.View(Numbered("acct-", a), kT0 + 5 * kDay);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->plan, "plan-2") << a;
  }
}

}  // namespace
}  // namespace uptake
