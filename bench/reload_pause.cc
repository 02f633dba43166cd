// uptake-reload: how long a rule reload takes at scale, and how long it
// holds one shard's lock. Builds N accounts in an Aggregator (the in-memory
// part of uptake, with no storage or server), opens their alerts, then
// replaces the rules once and times the whole reload and each shard step.
// Ingest on a shard waits at most for one step of that shard.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <span>
#include <string>
#include <vector>

#include "bench/command_line.h"
#include "bench/scale_options.h"
#include "metrics/aggregator.h"

namespace uptake {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kExitUsage = 2;
constexpr int64_t kDayMs = 24LL * 3600 * 1000;
// 2026-01-01T00:00:00Z, a fixed start so that runs are comparable.
constexpr int64_t kStartMs = 1'767'225'600'000;
constexpr size_t kBatch = 10'000;

constexpr const char* kUsage =
    R"(usage: uptake-reload [--accounts N] [--users U] [--days D] [--json]
Builds N accounts (default 1000000) with U users each (default 1), active for
part of D days (default 10), in uptake's aggregates, in memory only. Then it
opens their alerts and reloads the rules once: one rule changes its
threshold, one stays, one is removed and one is added. Reports the reload's
time and the longest and median time of a single shard step, in
milliseconds.
)";

Rule MakeRule(const std::string& name, RuleKind kind, int days) {
  Rule rule;
  rule.name = name;
  rule.kind = kind;
  rule.days = days;
  return rule;
}

std::vector<Rule> FirstRules() {
  Rule adoption = MakeRule("adoption", RuleKind::kFeatureAdoption, 30);
  adoption.min_features = 2;
  Rule exports = MakeRule("exports", RuleKind::kEventCount, 3);
  exports.events = {"Export Run"};
  exports.min_count = 5;
  return {MakeRule("inactive", RuleKind::kInactivity, 3), adoption, exports};
}

// "inactive" gets a longer limit, "adoption" stays, "exports" goes and
// "reports" comes.
std::vector<Rule> SecondRules() {
  std::vector<Rule> rules = FirstRules();
  rules[0].days = 5;
  rules[2] = MakeRule("reports", RuleKind::kEventCount, 3);
  rules[2].events = {"Report Created"};
  rules[2].min_count = 5;
  return rules;
}

// Adds one event per user per active day, day by day, as they would arrive
// live.
void AddAccounts(Aggregator& aggregator, const Catalog& catalog, const ScaleOptions& options) {
  const std::vector<std::string> names = {"Logged In", "Report Created", "Dashboard Viewed",
                                          "Export Run", "Alert Set"};
  std::vector<Event> batch;
  batch.reserve(kBatch);
  for (int64_t day = 0; day < options.days; ++day) {
    const int64_t day_ms = kStartMs + day * kDayMs;
    for (int64_t a = 0; a < options.accounts; ++a) {
      // Accounts go quiet after a varied number of days, so the threshold
      // change resolves some inactivity alerts and leaves others firing.
      if (day > a % options.days) continue;
      const std::string account = "acct-" + std::to_string(a);
      for (int64_t u = 0; u < options.users; ++u) {
        Event event;
        event.type = EventType::kTrack;
        event.account_id = account;
        event.user_id = account + "-user-" + std::to_string(u);
        event.name = names[static_cast<size_t>((day + a + u) % names.size())];
        event.feature = catalog.FeatureOf(event.name);
        event.timestamp_ms = day_ms + (a % 1000) * 1000;
        event.received_ms = event.timestamp_ms;
        batch.push_back(std::move(event));
        if (batch.size() == kBatch) {
          aggregator.Apply(batch, day_ms);
          batch.clear();
        }
      }
    }
    aggregator.Apply(batch, day_ms);
    batch.clear();
  }
}

double MillisecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

int Main(int argc, char** argv) {
  Result<ScaleOptions> parsed =
      ParseScaleOptions(argc, argv, ScaleOptions{}, ScaleFlags{.days = true});
  if (!parsed.ok()) {
    std::cerr << "uptake-reload: " << parsed.error() << "\n";
    return kExitUsage;
  }
  const ScaleOptions& options = parsed.value();
  if (options.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }

  Catalog catalog({{"Reports", {"Report Created"}},
                   {"Dashboards", {"Dashboard Viewed"}},
                   {"Exports", {"Export Run"}},
                   {"Alerts", {"Alert Set"}}},
                  {"Logged In"});
  Aggregator aggregator(catalog, FirstRules());
  AddAccounts(aggregator, catalog, options);
  const int64_t now_ms = kStartMs + (options.days + 3) * kDayMs;
  const size_t evaluated_changes = aggregator.EvaluateAll(now_ms).size();

  // A step ends when the reload hands over its changes, still under the
  // shard's lock, so the gap between two calls is one step and the hand-over
  // between shards.
  std::vector<double> steps_ms;
  const Clock::time_point started = Clock::now();
  Clock::time_point step_started = started;
  const size_t changes =
      aggregator
          .ReplaceRules(SecondRules(), now_ms,
                        [&](std::span<const Alert>) {
                          const Clock::time_point ended = Clock::now();
                          steps_ms.push_back(MillisecondsBetween(step_started, ended));
                          step_started = ended;
                        })
          .size();
  const double reload_ms = MillisecondsBetween(started, Clock::now());

  std::sort(steps_ms.begin(), steps_ms.end());
  const double max_step_ms = steps_ms.empty() ? reload_ms : steps_ms.back();
  const double median_step_ms = steps_ms.empty() ? reload_ms : steps_ms[steps_ms.size() / 2];
  if (options.json) {
    std::printf(
        "{\"accounts\":%zu,\"changes_before_reload\":%zu,\"alert_changes\":%zu,\"reload_ms\":%.1f,"
        "\"shard_steps\":%zu,\"max_step_ms\":%.1f,\"median_step_ms\":%.1f}\n",
        aggregator.account_count(), evaluated_changes, changes, reload_ms, steps_ms.size(),
        max_step_ms, median_step_ms);
  } else {
    std::printf("accounts          %zu; the evaluation before the reload changed %zu alerts\n",
                aggregator.account_count(), evaluated_changes);
    std::printf("reload            %.1f ms, %zu alert changes\n", reload_ms, changes);
    std::printf("shard steps       %zu, max %.1f ms, median %.1f ms\n", steps_ms.size(),
                max_step_ms, median_step_ms);
  }
  return 0;
}

}  // namespace
}  // namespace uptake

int main(int argc, char** argv) { return uptake::FinishOutput(uptake::Main(argc, argv)); }
