// Plan, ARR and owner merge per trait by event time, and show in the view.

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "metrics/aggregator.h"
#include "metrics/merged_traits.h"
#include "test_events.h"

namespace uptake {
namespace {

using testing::kDay;
using testing::kT0;
using testing::TraitsGroup;

AccountTraits Traits(std::optional<std::string> plan, std::optional<double> arr,
                     std::optional<std::string> owner, int64_t time_ms) {
  return AccountTraits{std::move(plan), arr, std::move(owner), time_ms};
}

TEST(MergedTraitsTest, NewerCallWins) {
  MergedTraits traits;
  traits.Merge(Traits("pro", 5000, "lee", kT0));
  traits.Merge(Traits("enterprise", 150000, "dana", kT0 + kDay));
  EXPECT_EQ(traits.plan(), "enterprise");
  EXPECT_EQ(traits.arr(), 150000);
  EXPECT_EQ(traits.owner(), "dana");
}

TEST(MergedTraitsTest, OlderCallLosesPerTrait) {
  MergedTraits traits;
  traits.Merge(Traits("enterprise", std::nullopt, "dana", kT0 + kDay));
  // Older than the plan and owner, but the first ARR seen.
  traits.Merge(Traits("pro", 5000, "lee", kT0));
  EXPECT_EQ(traits.plan(), "enterprise");
  EXPECT_EQ(traits.arr(), 5000);
  EXPECT_EQ(traits.owner(), "dana");
}

TEST(MergedTraitsTest, MissingTraitKeepsValue) {
  MergedTraits traits;
  traits.Merge(Traits("pro", 5000, "lee", kT0));
  traits.Merge(Traits(std::nullopt, 9000, std::nullopt, kT0 + kDay));
  EXPECT_EQ(traits.plan(), "pro");
  EXPECT_EQ(traits.arr(), 9000);
  EXPECT_EQ(traits.owner(), "lee");
}

TEST(MergedTraitsTest, EqualTimeLaterArrivalWins) {
  MergedTraits traits;
  traits.Merge(Traits("pro", 1, "lee", kT0));
  traits.Merge(Traits("enterprise", 2, "dana", kT0));
  EXPECT_EQ(traits.plan(), "enterprise");
  EXPECT_EQ(traits.arr(), 2);
  EXPECT_EQ(traits.owner(), "dana");
}

TEST(AccountTraitsViewTest, MergedByEventTimeInAnyOrder) {
  Aggregator aggregator(testing::TestCatalog(), {});
  // The newer call arrives first, as after a client's retry of an old batch.
  const std::vector<Event> events = {
      TraitsGroup("acme", kT0 + 2 * kDay, Traits("enterprise", std::nullopt, "dana", 0)),
      TraitsGroup("acme", kT0, Traits("pro", 5000, "lee", 0)),
      TraitsGroup("acme", kT0 + kDay, Traits(std::nullopt, 120000, std::nullopt, 0)),
  };
  aggregator.Apply(std::span<const Event>(events.data(), 2), kT0 + 2 * kDay);
  aggregator.Replay(events[2]);

  std::optional<AccountView> view = aggregator.View("acme", kT0 + 2 * kDay);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->plan, "enterprise");
  EXPECT_EQ(view->arr, 120000);
  EXPECT_EQ(view->owner, "dana");
}

TEST(AccountTraitsViewTest, UnsetWithoutGroupTraits) {
  Aggregator aggregator(testing::TestCatalog(), {});
  const Event event = testing::Track("acme", "Report Created", kT0);
  aggregator.Apply(std::span<const Event>(&event, 1), kT0);

  std::optional<AccountView> view = aggregator.View("acme", kT0);
  ASSERT_TRUE(view);
  EXPECT_FALSE(view->plan);
  EXPECT_FALSE(view->arr);
  EXPECT_FALSE(view->owner);
}

}  // namespace
}  // namespace uptake
