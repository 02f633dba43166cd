// uptake-memory: the memory of the per-account aggregates at scale. Applies
// synthetic events for N accounts with U users each to an Aggregator (the
// in-memory part of uptake, with no storage or server) and reports the
// growth of the process's resident set per account. Run it twice, with
// --users 1 and with more, to get the bytes per extra user from the
// difference.

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench/command_line.h"
#include "bench/scale_options.h"
#include "metrics/aggregator.h"

namespace uptake {
namespace {

constexpr int kExitUsage = 2;
constexpr int64_t kDayMs = 24LL * 3600 * 1000;
// 2026-01-01T00:00:00Z, a fixed start so that runs are comparable.
constexpr int64_t kStartMs = 1'767'225'600'000;
constexpr size_t kBatch = 10'000;

constexpr const char* kUsage =
    R"(usage: uptake-memory [--accounts N] [--users U] [--days D] [--json]
Applies events for N accounts (default 1000000) with U users each (default 1)
over D days (default 10) to uptake's aggregates, in memory only, and reports
the resident memory they take per account. Each user sends one event per day:
a login on the first day and catalog features afterwards.
)";

// Resident set size of this process in bytes, from /proc/self/status.
int64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    long long kib = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %lld kB", &kib) == 1) return kib * 1024;
  }
  return 0;
}

int Main(int argc, char** argv) {
  Result<ScaleOptions> parsed =
      ParseScaleOptions(argc, argv, ScaleOptions{}, ScaleFlags{.days = true});
  if (!parsed.ok()) {
    std::cerr << "uptake-memory: " << parsed.error() << "\n";
    return kExitUsage;
  }
  const ScaleOptions& options = parsed.value();
  if (options.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }

  const std::vector<std::string> features = {"Report Created", "Dashboard Viewed", "Export Run",
                                             "Alert Set"};
  Catalog catalog({{"Reports", {features[0]}},
                   {"Dashboards", {features[1]}},
                   {"Exports", {features[2]}},
                   {"Alerts", {features[3]}}},
                  {"Logged In"});
  Rule inactivity;
  inactivity.name = "inactive";
  inactivity.kind = RuleKind::kInactivity;
  inactivity.days = 14;
  Rule adoption;
  adoption.name = "adoption";
  adoption.kind = RuleKind::kFeatureAdoption;
  adoption.days = 30;
  adoption.min_features = 2;
  Aggregator aggregator(catalog, {inactivity, adoption});

  const int64_t rss_before = ResidentBytes();
  std::vector<Event> batch;
  batch.reserve(kBatch);
  int64_t events = 0;
  auto flush = [&](int64_t now_ms) {
    aggregator.Apply(batch, now_ms);
    batch.clear();
  };
  // Day by day, so that events arrive in time order as they would live.
  for (int64_t day = 0; day < options.days; ++day) {
    const int64_t day_ms = kStartMs + day * kDayMs;
    for (int64_t a = 0; a < options.accounts; ++a) {
      const std::string account = "acct-" + std::to_string(a);
      for (int64_t u = 0; u < options.users; ++u) {
        Event event;
        event.type = EventType::kTrack;
        event.account_id = account;
        event.user_id = account + "-user-" + std::to_string(u);
        event.name = day == 0 ? "Logged In" : features[static_cast<size_t>((day + u) % 4)];
        event.feature = catalog.FeatureOf(event.name);
        event.timestamp_ms = day_ms + (a % 1000) * 1000;
        event.received_ms = event.timestamp_ms;
        batch.push_back(std::move(event));
        ++events;
        if (batch.size() == kBatch) flush(day_ms);
      }
    }
    flush(day_ms);
  }
  const int64_t rss_after = ResidentBytes();
  const double per_account =
      static_cast<double>(rss_after - rss_before) / static_cast<double>(options.accounts);

  if (options.json) {
    std::printf(
        "{\"accounts\":%lld,\"users_per_account\":%lld,\"days\":%lld,\"events\":%lld,"
        "\"rss_before\":%lld,\"rss_after\":%lld,\"bytes_per_account\":%.1f}\n",
        static_cast<long long>(aggregator.account_count()), static_cast<long long>(options.users),
        static_cast<long long>(options.days), static_cast<long long>(events),
        static_cast<long long>(rss_before), static_cast<long long>(rss_after), per_account);
  } else {
    std::printf("accounts          %zu, %lld user%s each, %lld events over %lld day%s\n",
                aggregator.account_count(), static_cast<long long>(options.users),
                options.users == 1 ? "" : "s", static_cast<long long>(events),
                static_cast<long long>(options.days), options.days == 1 ? "" : "s");
    std::printf("resident memory   %.1f MiB before, %.1f MiB after\n",
                static_cast<double>(rss_before) / (1 << 20),
                static_cast<double>(rss_after) / (1 << 20));
    std::printf("per account       %.0f bytes, its users included\n", per_account);
  }
  return 0;
}

}  // namespace
}  // namespace uptake

int main(int argc, char** argv) { return uptake::FinishOutput(uptake::Main(argc, argv)); }
