// Threads applying events to their own and to shared accounts at once.

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "metrics/aggregator.h"
#include "test_events.h"

namespace uptake {
namespace {

using testing::kT0;
using testing::Track;

constexpr int kThreads = 4;
constexpr int kBatches = 200;
constexpr int kOwnAccounts = 10;
constexpr int kSharedAccounts = 3;

TEST(ConcurrencyTest, DisjointAndSharedAccounts) {
  Aggregator aggregator(testing::TestCatalog(), {testing::InactivityRule(30)});

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&aggregator, t] {
      for (int batch = 0; batch < kBatches; ++batch) {
        std::vector<Event> events;
        for (int a = 0; a < kOwnAccounts; ++a) {
          events.push_back(Track(testing::Numbered("own-", t) + testing::Numbered("-", a), "x",
                                 kT0 + batch, testing::Numbered("user-", t)));
        }
        for (int a = 0; a < kSharedAccounts; ++a) {
          events.push_back(Track(testing::Numbered("shared-", a), "Logged In", kT0 + batch,
                                 testing::Numbered("user-", t)));
        }
        aggregator.Apply(events, kT0 + batch);
        aggregator.Tick(kT0 + batch);
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(aggregator.account_count(),
            static_cast<size_t>(kThreads * kOwnAccounts + kSharedAccounts));
  for (int a = 0; a < kSharedAccounts; ++a) {
    std::optional<AccountView> view = aggregator.View(testing::Numbered("shared-", a), kT0);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->event_count, kThreads * kBatches);
    EXPECT_EQ(view->user_count, kThreads);
    EXPECT_EQ(view->logins_7d, kThreads * kBatches);
  }
  for (int t = 0; t < kThreads; ++t) {
    std::optional<AccountView> view = aggregator.View(testing::Numbered("own-", t) + "-0", kT0);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->event_count, kBatches);
    EXPECT_EQ(view->user_count, 1);
  }
}

}  // namespace
}  // namespace uptake
