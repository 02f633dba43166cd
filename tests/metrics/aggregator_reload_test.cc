// Rule reloads: the alert changes they return, and ingest on other shards
// while a reload works through the shards one at a time.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "metrics/aggregator.h"
#include "metrics/snapshot_codec.h"
#include "tests/metrics/expect_same_view.h"
#include "tests/metrics/test_events.h"

namespace uptake::testing {
namespace {

// Enough accounts that every one of the aggregator's 64 shards gets some.
constexpr int kQuietAccounts = 400;
constexpr int kBusyAccounts = 100;
constexpr int kBusyBatches = 20;

// Every quiet account sent one event at kT0, so at kNow both of the first
// rules fire on it.
constexpr int64_t kNow = kT0 + 40 * kDay;

std::string QuietId(int n) { return Numbered("quiet-", n); }
std::string BusyId(int n) { return Numbered("busy-", n); }

// Fires on an account with fewer than `min_count` Report Created events.
Rule ReportsRule(int64_t min_count) { return EventCountRule(0, {"Report Created"}, min_count); }

// Fires on every account, because no test sends this event.
Rule BrandNewRule() {
  Rule rule = EventCountRule(0, {"Brand New Event"}, 1);
  rule.name = "brand-new";
  return rule;
}

std::vector<Rule> FirstRules() { return {InactivityRule(30), ReportsRule(5)}; }

// Keeps "inactive" as it was, removes "reports" and adds "brand-new".
std::vector<Rule> SecondRules() { return {InactivityRule(30), BrandNewRule()}; }

const std::string kRemovedNote = "was removed from the configuration";

// Builds an aggregator whose quiet accounts each have a firing "inactive"
// and a firing "reports" alert, and returns the ids of those alerts.
std::map<std::string, uint64_t> FireFirstRules(Aggregator& aggregator) {
  std::vector<Event> events;
  for (int a = 0; a < kQuietAccounts; ++a) events.push_back(Track(QuietId(a), "x", kT0));
  // "reports" fires at once, "inactive" after 30 days.
  std::vector<Alert> opened = aggregator.Apply(events, kT0);
  const std::vector<Alert> later = aggregator.EvaluateAll(kNow);
  opened.insert(opened.end(), later.begin(), later.end());

  std::map<std::string, uint64_t> ids;
  for (const Alert& alert : opened) {
    EXPECT_EQ(alert.state, AlertState::kFiring);
    ids[alert.account_id + "/" + alert.rule] = alert.id;
  }
  return ids;
}

// Returns the rules of the firing alerts of every account in the at-risk
// list, each account's in id order.
std::map<std::string, std::vector<std::string>> FiringRules(const Aggregator& aggregator) {
  std::map<std::string, std::vector<std::string>> rules;
  for (const AtRiskAccount& account : aggregator.ListAtRisk(std::nullopt, 10'000).accounts) {
    for (const AtRiskAlert& alert : account.open_alerts) {
      rules[account.account_id].push_back(alert.rule);
    }
  }
  return rules;
}

bool ById(const Alert& a, const Alert& b) { return a.id < b.id; }

class AggregatorReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    first_ids_ = FireFirstRules(aggregator_);
    ASSERT_EQ(first_ids_.size(), 2u * kQuietAccounts);
  }

  Aggregator aggregator_{TestCatalog(), FirstRules()};
  // "account/rule" to the id of the alert FireFirstRules opened.
  std::map<std::string, uint64_t> first_ids_;
};

TEST_F(AggregatorReloadTest, ChangesOfRemovedKeptAndNewRules) {
  const std::vector<Alert> changes = aggregator_.ReplaceRules(SecondRules(), kNow);

  ASSERT_TRUE(std::is_sorted(changes.begin(), changes.end(), ById));
  size_t removed = 0;
  size_t fired = 0;
  std::set<uint64_t> seen;
  for (const Alert& alert : changes) {
    EXPECT_TRUE(seen.insert(alert.id).second) << alert.id;
    EXPECT_NE(alert.rule, "inactive") << alert.account_id;
    if (alert.rule == "reports") {
      ++removed;
      EXPECT_EQ(alert.state, AlertState::kResolved);
      EXPECT_EQ(alert.id, first_ids_[alert.account_id + "/reports"]);
      EXPECT_EQ(alert.resolved_at_ms, kNow);
      EXPECT_NE(alert.summary.find(kRemovedNote), std::string::npos) << alert.summary;
    } else {
      ++fired;
      EXPECT_EQ(alert.rule, "brand-new");
      EXPECT_EQ(alert.state, AlertState::kFiring);
      EXPECT_GT(alert.id, 2u * kQuietAccounts);
    }
  }
  EXPECT_EQ(removed, static_cast<size_t>(kQuietAccounts));
  EXPECT_EQ(fired, static_cast<size_t>(kQuietAccounts));

  // "inactive" kept its alerts with their ids.
  const AtRiskPage page = aggregator_.ListAtRisk(std::nullopt, 10'000);
  ASSERT_EQ(page.accounts.size(), static_cast<size_t>(kQuietAccounts));
  for (const AtRiskAccount& account : page.accounts) {
    ASSERT_EQ(account.open_alerts.size(), 2u) << account.account_id;
    EXPECT_EQ(account.open_alerts[0].rule, "inactive");
    EXPECT_EQ(account.open_alerts[0].id, first_ids_[account.account_id + "/inactive"]);
    EXPECT_EQ(account.open_alerts[1].rule, "brand-new");
  }
}

TEST_F(AggregatorReloadTest, EachShardStepReportsItsChanges) {
  std::vector<std::vector<Alert>> steps;
  const std::vector<Alert> changes = aggregator_.ReplaceRules(
      SecondRules(), kNow,
      [&steps](std::span<const Alert> step) { steps.emplace_back(step.begin(), step.end()); });

  std::vector<Alert> joined;
  std::map<std::string, size_t> step_of_account;
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_TRUE(std::is_sorted(steps[i].begin(), steps[i].end(), ById)) << "step " << i;
    for (const Alert& alert : steps[i]) {
      // Both changes of an account come from its one shard.
      const auto [it, inserted] = step_of_account.emplace(alert.account_id, i);
      EXPECT_EQ(it->second, i) << alert.account_id;
      joined.push_back(alert);
    }
  }
  EXPECT_EQ(step_of_account.size(), static_cast<size_t>(kQuietAccounts));

  std::sort(joined.begin(), joined.end(), ById);
  ASSERT_EQ(joined.size(), changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(joined[i].id, changes[i].id);
    EXPECT_EQ(joined[i].state, changes[i].state);
    EXPECT_EQ(joined[i].rule, changes[i].rule);
  }
}

TEST_F(AggregatorReloadTest, IngestBesideReload) {
  // Busy accounts get events from another thread while the reload runs.
  // Each is evaluated under whichever rules its shard has at the time, so
  // only the end state and the sum of the changes are fixed.
  std::vector<Alert> ingest_changes;
  std::thread ingest([this, &ingest_changes] {
    for (int batch = 0; batch < kBusyBatches; ++batch) {
      std::vector<Event> events;
      for (int a = 0; a < kBusyAccounts; ++a) events.push_back(Track(BusyId(a), "x", kNow));
      const std::vector<Alert> more = aggregator_.Apply(events, kNow);
      ingest_changes.insert(ingest_changes.end(), more.begin(), more.end());
    }
  });
  const std::vector<Alert> reload_changes = aggregator_.ReplaceRules(SecondRules(), kNow);
  ingest.join();

  std::map<std::string, std::vector<const Alert*>> by_account;
  for (const std::vector<Alert>* list :
       std::initializer_list<const std::vector<Alert>*>{&ingest_changes, &reload_changes}) {
    for (const Alert& alert : *list) by_account[alert.account_id].push_back(&alert);
  }
  for (int a = 0; a < kBusyAccounts; ++a) {
    const std::string id = BusyId(a);
    const std::optional<AccountView> view = aggregator_.View(id, kNow);
    ASSERT_TRUE(view.has_value()) << id;
    EXPECT_EQ(view->event_count, kBusyBatches);

    // "brand-new" fired once, in the reload or in the first batch after it.
    // "reports" fired only if the account's shard still had the first rules
    // at its first batch, and was then closed by the reload.
    std::map<std::string, int> changes_by_rule;
    for (const Alert* alert : by_account[id]) ++changes_by_rule[alert->rule];
    EXPECT_EQ(changes_by_rule["brand-new"], 1) << id;
    EXPECT_EQ(changes_by_rule["inactive"], 0) << id;
    EXPECT_TRUE(changes_by_rule["reports"] == 0 || changes_by_rule["reports"] == 2) << id;
  }

  const std::map<std::string, std::vector<std::string>> firing = FiringRules(aggregator_);
  ASSERT_EQ(firing.size(), static_cast<size_t>(kQuietAccounts + kBusyAccounts));
  for (const auto& [account, rules] : firing) {
    const bool quiet = account.starts_with("quiet-");
    EXPECT_EQ(rules, quiet ? (std::vector<std::string>{"inactive", "brand-new"})
                           : (std::vector<std::string>{"brand-new"}))
        << account;
  }
}

TEST_F(AggregatorReloadTest, IngestRunsInsideAnotherShardStep) {
  // A first reload on a twin aggregator finds the step of each account,
  // which depends only on its id.
  Aggregator twin(TestCatalog(), FirstRules());
  FireFirstRules(twin);
  std::map<std::string, size_t> step_of_account;
  size_t step = 0;
  twin.ReplaceRules(SecondRules(), kNow, [&](std::span<const Alert> changes) {
    for (const Alert& alert : changes) step_of_account[alert.account_id] = step;
    ++step;
  });
  const size_t steps = step;
  ASSERT_EQ(step_of_account.size(), static_cast<size_t>(kQuietAccounts));

  // Inside the middle step, an account of an earlier step already has the
  // second rules and one of a later step still has the first.
  const size_t middle = steps / 2;
  std::string earlier;
  std::string later;
  for (const auto& [account, account_step] : step_of_account) {
    if (account_step < middle) earlier = account;
    if (account_step > middle) later = account;
  }
  ASSERT_FALSE(earlier.empty());
  ASSERT_FALSE(later.empty());

  // Five Report Created events meet the "reports" minimum.
  std::vector<Event> reports;
  for (const std::string& account : {earlier, later}) {
    for (int i = 0; i < 5; ++i) reports.push_back(Track(account, "Report Created", kNow));
  }
  std::vector<Alert> ingest_changes;
  step = 0;
  const std::vector<Alert> reload_changes =
      aggregator_.ReplaceRules(SecondRules(), kNow, [&](std::span<const Alert>) {
        // The middle shard's lock is held here. Had the reload locked every
        // shard, this Apply would never return.
        if (step++ != middle) return;
        std::thread ingest([&] { ingest_changes = aggregator_.Apply(reports, kNow); });
        ingest.join();
      });

  // Both accounts had a fresh event, so "inactive" resolved on each. Only
  // the later account still had "reports", which the events resolved.
  std::map<std::string, std::vector<std::string>> ingest_rules;
  for (const Alert& alert : ingest_changes) {
    EXPECT_EQ(alert.state, AlertState::kResolved) << alert.account_id << " " << alert.rule;
    EXPECT_EQ(alert.summary.find(kRemovedNote), std::string::npos) << alert.summary;
    ingest_rules[alert.account_id].push_back(alert.rule);
  }
  EXPECT_EQ(ingest_rules[earlier], (std::vector<std::string>{"inactive"}));
  EXPECT_EQ(ingest_rules[later], (std::vector<std::string>{"reports", "inactive"}));

  // The reload closed the earlier account's "reports" alert, and found none
  // left to close on the later account.
  std::map<std::string, int> removed;
  for (const Alert& alert : reload_changes) {
    if (alert.rule == "reports") ++removed[alert.account_id];
  }
  EXPECT_EQ(removed.size(), static_cast<size_t>(kQuietAccounts - 1));
  EXPECT_EQ(removed.count(earlier), 1u);
  EXPECT_EQ(removed.count(later), 0u);
}

TEST_F(AggregatorReloadTest, ConcurrentReloadsRunOneAfterTheOther) {
  std::mutex mu;
  std::vector<char> order;  // 'A' or 'B' per shard step, guarded by mu
  std::thread second;
  aggregator_.ReplaceRules(SecondRules(), kNow, [&](std::span<const Alert>) {
    {
      std::lock_guard lock(mu);
      order.push_back('A');
    }
    // Started inside the first reload's first step, so it waits for all of
    // that reload.
    if (second.joinable()) return;
    second = std::thread([&] {
      aggregator_.ReplaceRules(FirstRules(), kNow, [&](std::span<const Alert>) {
        std::lock_guard lock(mu);
        order.push_back('B');
      });
    });
  });
  second.join();

  ASSERT_FALSE(order.empty());
  ASSERT_EQ(order.size() % 2, 0u);
  const size_t steps = order.size() / 2;
  EXPECT_EQ(std::count(order.begin(), order.begin() + steps, 'A'),
            static_cast<std::ptrdiff_t>(steps));
  EXPECT_EQ(std::count(order.begin() + steps, order.end(), 'B'),
            static_cast<std::ptrdiff_t>(steps));

  // Every shard ends with the first rules again: "brand-new" is gone and
  // "reports" fired anew.
  const std::map<std::string, std::vector<std::string>> firing = FiringRules(aggregator_);
  ASSERT_EQ(firing.size(), static_cast<size_t>(kQuietAccounts));
  for (const auto& [account, rules] : firing) {
    EXPECT_EQ(rules, (std::vector<std::string>{"inactive", "reports"})) << account;
  }
}

TEST_F(AggregatorReloadTest, SnapshotBegunInsideReloadLoadsBack) {
  // A twin without the reload keeps the aggregates the snapshot must show.
  Aggregator reference(TestCatalog(), FirstRules());
  FireFirstRules(reference);

  // Begun from inside the first step, so it marks the shards between two
  // steps or after the last, when some or all shards have interned the new
  // rules' event name.
  PendingSnapshot pending;
  std::thread snapshot;
  aggregator_.ReplaceRules(SecondRules(), kNow, [&](std::span<const Alert>) {
    if (snapshot.joinable()) return;
    snapshot = std::thread([&] { pending = aggregator_.BeginSnapshot(9); });
  });
  snapshot.join();

  std::string bytes;
  aggregator_.FinishSnapshot(pending, [&bytes](std::string_view chunk) { bytes.append(chunk); });
  Aggregator loaded(TestCatalog(), FirstRules());
  std::string_view unread = bytes;
  const SnapshotSource source = [&unread] {
    const std::string_view chunk = unread;
    unread = {};
    return chunk;
  };
  SnapshotInfo info;
  std::string error;
  ASSERT_TRUE(loaded.LoadSnapshot(source, &info, &error)) << error;
  EXPECT_EQ(info.log_position, 9u);

  ASSERT_EQ(loaded.account_count(), static_cast<size_t>(kQuietAccounts));
  for (int a = 0; a < kQuietAccounts; ++a) {
    const std::string id = QuietId(a);
    const std::optional<AccountView> want = reference.View(id, kNow);
    const std::optional<AccountView> got = loaded.View(id, kNow);
    ASSERT_TRUE(want.has_value()) << id;
    ASSERT_TRUE(got.has_value()) << id;
    ExpectSameView(*want, *got, id);
  }
}

}  // namespace
}  // namespace uptake::testing
