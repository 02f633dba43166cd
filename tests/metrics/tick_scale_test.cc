// Tick's work follows the due accounts at a million accounts: ticks where
// nothing is due evaluate none, and a tick where k accounts are due
// evaluates exactly k, across day boundaries. The proof counts evaluations
// with Aggregator::evaluation_stats and makes no timing assertion.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "metrics/aggregator.h"
#include "test_events.h"

namespace uptake {
namespace {

using testing::kDay;
using testing::kHour;
using testing::kT0;
using testing::Numbered;
using testing::Track;

// Debug builds run a tenth of the accounts so the suite stays quick there.
// The Release build that scripts/test.sh runs checks the full million.
#ifdef NDEBUG
constexpr int kAccounts = 1'000'000;
#else
constexpr int kAccounts = 100'000;
#endif

// Accounts per cohort that comes due inside the ticked span. Every other
// account is "bulk", with nothing due until its adoption age at day 14.
constexpr int kCohort = 1000;
constexpr int kBulk = kAccounts - 3 * kCohort;
constexpr int kBatch = 10'000;

constexpr int kAdoptionDays = 14;
constexpr int kInactivityDays = 30;

// A catalog feature, so the adoption rule (one feature) holds, and a name
// outside the catalog, so it breaks.
constexpr char kFeatureEvent[] = "Report Created";
constexpr char kOtherEvent[] = "x";

// Resident set size of this process in bytes, from /proc/self/status, or 0
// when the field is missing.
int64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    long long kib = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %lld kB", &kib) == 1) return kib * 1024;
  }
  return 0;
}

// The outcome of one Tick: its alerts and the work it did.
struct TickResult {
  std::vector<Alert> alerts;
  uint64_t evaluations = 0;
  uint64_t deadline_pops = 0;
};

TickResult CountedTick(Aggregator& aggregator, int64_t now_ms) {
  const EvaluationStats before = aggregator.evaluation_stats();
  TickResult result;
  result.alerts = aggregator.Tick(now_ms);
  const EvaluationStats after = aggregator.evaluation_stats();
  result.evaluations = after.evaluations - before.evaluations;
  result.deadline_pops = after.deadline_pops - before.deadline_pops;
  return result;
}

// Applies events in batches at the fixed clock kT0, so the events of all
// accounts never sit in memory at once.
class Loader {
 public:
  explicit Loader(Aggregator& aggregator) : aggregator_(aggregator) { batch_.reserve(kBatch); }

  void Add(Event event) {
    batch_.push_back(std::move(event));
    if (batch_.size() == kBatch) Flush();
  }

  void Flush() {
    EXPECT_TRUE(aggregator_.Apply(batch_, kT0).empty());
    batch_.clear();
  }

 private:
  Aggregator& aggregator_;
  std::vector<Event> batch_;
};

// Checks that `alerts` are firing alerts of `rule`, fired at `now_ms`, for
// exactly the accounts in `expected`.
void ExpectFiring(const std::vector<Alert>& alerts, const std::string& rule, int64_t now_ms,
                  const std::set<std::string>& expected) {
  std::set<std::string> fired;
  for (const Alert& alert : alerts) {
    EXPECT_EQ(alert.rule, rule) << alert.account_id;
    EXPECT_EQ(alert.state, AlertState::kFiring) << alert.account_id;
    EXPECT_EQ(alert.fired_at_ms, now_ms) << alert.account_id;
    fired.insert(alert.account_id);
  }
  EXPECT_EQ(fired.size(), alerts.size()) << "an account fired twice";
  EXPECT_EQ(fired, expected);
}

// Cohorts, each of kCohort accounts with one event (times relative to kT0):
//  - early-age: started 14 days before 23:00 of day 0, so its adoption age
//    is reached then, before the first midnight. Even-numbered accounts
//    used no feature and breach. Odd ones used one and do not.
//  - idle: last event 30 days before 01:00 of day 1, so inactivity is
//    breached 1 ms after 01:00 of day 1, after the first midnight.
//  - midnight-age: started 12 days before kT0, so its adoption age is
//    reached exactly at the midnight that starts day 2. All breach.
//  - bulk: the rest, one feature used at kT0, so nothing is due until the
//    adoption age at day 14, which passes without a breach.
TEST(TickScaleTest, MillionAccountsTickOnlyDue) {
  Aggregator aggregator(testing::TestCatalog(), {testing::AdoptionRule(kAdoptionDays, 1),
                                                 testing::InactivityRule(kInactivityDays)});
  const int64_t early_age_due = kT0 + 23 * kHour;
  const int64_t idle_due = kT0 + kDay + kHour + 1;
  const int64_t midnight_age_due = kT0 + 2 * kDay;
  const int64_t bulk_due = kT0 + kAdoptionDays * kDay;

  const int64_t rss_before = ResidentBytes();
  Loader loader(aggregator);
  std::set<std::string> early_breach;
  std::set<std::string> idle;
  std::set<std::string> midnight_age;
  for (int i = 0; i < kCohort; ++i) {
    const std::string account = Numbered("early-age-", i);
    const bool breach = i % 2 == 0;
    if (breach) early_breach.insert(account);
    loader.Add(
        Track(account, breach ? kOtherEvent : kFeatureEvent, early_age_due - kAdoptionDays * kDay));
  }
  for (int i = 0; i < kCohort; ++i) {
    const std::string account = Numbered("idle-", i);
    idle.insert(account);
    loader.Add(Track(account, kFeatureEvent, idle_due - 1 - kInactivityDays * kDay));
  }
  for (int i = 0; i < kCohort; ++i) {
    const std::string account = Numbered("midnight-age-", i);
    midnight_age.insert(account);
    loader.Add(Track(account, kOtherEvent, midnight_age_due - kAdoptionDays * kDay));
  }
  for (int i = 0; i < kBulk; ++i) {
    loader.Add(Track(Numbered("bulk-", i), kFeatureEvent, kT0));
  }
  loader.Flush();
  const int64_t rss_after = ResidentBytes();

  ASSERT_EQ(aggregator.account_count(), static_cast<size_t>(kAccounts));
  const EvaluationStats loaded = aggregator.evaluation_stats();
  EXPECT_EQ(loaded.evaluations, static_cast<uint64_t>(kAccounts));
  EXPECT_EQ(loaded.deadline_pops, 0u);
  std::printf("%d accounts: VmRSS %lld -> %lld bytes, %.0f bytes per account\n", kAccounts,
              static_cast<long long>(rss_before), static_cast<long long>(rss_after),
              static_cast<double>(rss_after - rss_before) / kAccounts);
  RecordProperty("rss_bytes_per_account", std::to_string((rss_after - rss_before) / kAccounts));

  // Nothing is due during most of day 0.
  TickResult tick = CountedTick(aggregator, kT0);
  EXPECT_EQ(tick.evaluations, 0u);
  EXPECT_EQ(tick.deadline_pops, 0u);
  EXPECT_TRUE(tick.alerts.empty());
  tick = CountedTick(aggregator, early_age_due - 1);
  EXPECT_EQ(tick.evaluations, 0u);
  EXPECT_EQ(tick.deadline_pops, 0u);
  EXPECT_TRUE(tick.alerts.empty());

  // The early-age cohort is due, and only its breaching half fires.
  tick = CountedTick(aggregator, early_age_due);
  EXPECT_EQ(tick.evaluations, static_cast<uint64_t>(kCohort));
  EXPECT_EQ(tick.deadline_pops, static_cast<uint64_t>(kCohort));
  ExpectFiring(tick.alerts, "adoption", early_age_due, early_breach);
  tick = CountedTick(aggregator, early_age_due);
  EXPECT_EQ(tick.evaluations, 0u);
  EXPECT_TRUE(tick.alerts.empty());

  // Past the first midnight, the idle cohort is not due until 1 ms after
  // 01:00.
  tick = CountedTick(aggregator, idle_due - 1);
  EXPECT_EQ(tick.evaluations, 0u);
  EXPECT_EQ(tick.deadline_pops, 0u);
  EXPECT_TRUE(tick.alerts.empty());
  tick = CountedTick(aggregator, idle_due);
  EXPECT_EQ(tick.evaluations, static_cast<uint64_t>(kCohort));
  EXPECT_EQ(tick.deadline_pops, static_cast<uint64_t>(kCohort));
  ExpectFiring(tick.alerts, "inactive", idle_due, idle);

  // The midnight-age cohort is due exactly at the second midnight.
  tick = CountedTick(aggregator, midnight_age_due - 1);
  EXPECT_EQ(tick.evaluations, 0u);
  EXPECT_TRUE(tick.alerts.empty());
  tick = CountedTick(aggregator, midnight_age_due);
  EXPECT_EQ(tick.evaluations, static_cast<uint64_t>(kCohort));
  EXPECT_EQ(tick.deadline_pops, static_cast<uint64_t>(kCohort));
  ExpectFiring(tick.alerts, "adoption", midnight_age_due, midnight_age);

  // Twelve days pass in one tick with nothing due. The firing alerts have
  // no deadline while their breach holds, and the cohorts' inactivity
  // limits fall after day 14.
  tick = CountedTick(aggregator, bulk_due - 1);
  EXPECT_EQ(tick.evaluations, 0u);
  EXPECT_EQ(tick.deadline_pops, 0u);
  EXPECT_TRUE(tick.alerts.empty());

  // The bulk accounts were queued all along: at day 14 every one of them
  // is due, and it used a feature, so none fires.
  tick = CountedTick(aggregator, bulk_due);
  EXPECT_EQ(tick.evaluations, static_cast<uint64_t>(kBulk));
  EXPECT_EQ(tick.deadline_pops, static_cast<uint64_t>(kBulk));
  EXPECT_TRUE(tick.alerts.empty());
}

}  // namespace
}  // namespace uptake
