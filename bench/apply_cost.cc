// uptake-apply: the CPU time per event of the aggregates' ingest path,
// Aggregator::Apply, with no storage or server. Creates N accounts with U
// users each, then applies events to accounts and users picked uniformly at
// random, in lists of the size one shared commit of the server hands over,
// and reports the mean time per event. Comparing a small and a large N
// shows what the memory of many accounts costs the server per event.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "bench/command_line.h"
#include "bench/scale_options.h"
#include "metrics/aggregator.h"

namespace uptake {
namespace {

constexpr int kExitUsage = 2;
// 2026-01-01T00:00:00Z, a fixed start so that runs are comparable.
constexpr int64_t kStartMs = 1'767'225'600'000;

constexpr const char* kUsage =
    R"(usage: uptake-apply [--accounts N] [--users U] [--batch B] [--events E] [--json]
Creates N accounts (default 1000000) with U users each (default 10) in
uptake's aggregates, in memory only, then applies E events (default
2000000) to accounts and users picked uniformly at random, B events per
call (default 3200, what 32 connections of 100-event batches hand over in
one shared commit). Reports the mean time per event of those calls.
Account, user and event names are those uptake-bench sends.
)";

// The event names uptake-bench sends, in its order.
const std::vector<std::string>& EventNames() {
  static const std::vector<std::string> names = {
      "Signed In",        "Report Viewed", "Report Created", "Message Sent",
      "Dashboard Viewed", "File Uploaded", "Invite Sent",    "Settings Changed"};
  return names;
}

Event MakeEvent(int64_t account, int64_t user, size_t name, int64_t ms) {
  Event event;
  event.type = EventType::kTrack;
  event.account_id = "acct-" + std::to_string(account);
  event.user_id = event.account_id + "-user-" + std::to_string(user);
  event.name = EventNames()[name % EventNames().size()];
  event.timestamp_ms = ms;
  event.received_ms = ms;
  return event;
}

int Main(int argc, char** argv) {
  ScaleOptions defaults;
  defaults.users = 10;
  Result<ScaleOptions> parsed = ParseScaleOptions(argc, argv, defaults, ScaleFlags{.timing = true});
  if (!parsed.ok()) {
    std::cerr << "uptake-apply: " << parsed.error() << "\n";
    return kExitUsage;
  }
  const ScaleOptions& options = parsed.value();
  if (options.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }

  // The aggregator has no catalog and no rules, like the server that
  // scripts/scale.sh starts.
  Aggregator aggregator(Catalog({}, {}), {});
  const auto batch_size = static_cast<size_t>(options.batch);
  std::vector<Event> batch;
  batch.reserve(batch_size);

  // Creates every account and user first, so that the timed calls find them.
  for (int64_t account = 0; account < options.accounts; ++account) {
    for (int64_t user = 0; user < options.users; ++user) {
      batch.push_back(MakeEvent(account, user, 0, kStartMs));
      if (batch.size() == batch_size) {
        aggregator.Apply(batch, kStartMs);
        batch.clear();
      }
    }
  }
  aggregator.Apply(batch, kStartMs);
  batch.clear();

  // The events of each call are made just before it, as the server parses
  // them just before it applies them. Only the calls are timed.
  std::mt19937_64 random(42);
  std::chrono::nanoseconds applying{0};
  int64_t applied = 0;
  int64_t calls = 0;
  for (; applied < options.events; ++calls) {
    const int64_t ms = kStartMs + 1'000 + calls;
    const int64_t count = std::min<int64_t>(options.batch, options.events - applied);
    for (int64_t i = 0; i < count; ++i) {
      const auto account = static_cast<int64_t>(random() % static_cast<uint64_t>(options.accounts));
      const auto user = static_cast<int64_t>(random() % static_cast<uint64_t>(options.users));
      batch.push_back(MakeEvent(account, user, static_cast<size_t>(random()), ms));
    }
    const auto start = std::chrono::steady_clock::now();
    aggregator.Apply(batch, ms);
    applying += std::chrono::steady_clock::now() - start;
    applied += count;
    batch.clear();
  }
  const double per_event = static_cast<double>(applying.count()) / static_cast<double>(applied);

  if (options.json) {
    std::printf(
        "{\"accounts\":%lld,\"users_per_account\":%lld,\"batch\":%lld,\"events\":%lld,"
        "\"ns_per_event\":%.1f}\n",
        static_cast<long long>(aggregator.account_count()), static_cast<long long>(options.users),
        static_cast<long long>(options.batch), static_cast<long long>(applied), per_event);
  } else {
    std::printf("accounts          %zu, %lld user%s each\n", aggregator.account_count(),
                static_cast<long long>(options.users), options.users == 1 ? "" : "s");
    std::printf("applied           %lld events in %lld call%s of up to %lld\n",
                static_cast<long long>(applied), static_cast<long long>(calls),
                calls == 1 ? "" : "s", static_cast<long long>(options.batch));
    std::printf("per event         %.1f ns\n", per_event);
  }
  return 0;
}

}  // namespace
}  // namespace uptake

int main(int argc, char** argv) { return uptake::FinishOutput(uptake::Main(argc, argv)); }
