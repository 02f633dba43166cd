// uptake-restart-datagen: fills a data folder with a synthetic event log
// for the restart benchmark (bench/restart_bench.sh). It commits straight
// through the storage library with the server stopped, because sending ten
// million events over HTTP would take longer than the restarts it sets up.
//
// Usage: uptake-restart-datagen DATA_DIR ACCOUNTS EVENTS

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "proto/event.h"
#include "storage/store.h"

namespace uptake {
namespace {

constexpr size_t kBatchEvents = 20000;
// 2024-03-01T00:00:00Z; events spread over the 60 days before it.
constexpr int64_t kEndMs = 1709251200000;
constexpr int64_t kSpanMs = 60LL * 86'400'000;

const char* const kNames[] = {"Report Viewed", "Report Created", "Dashboard Viewed", "Export Run",
                              "Message Sent",  "Signed In",      "Settings Saved",   "Search"};

int Run(const std::string& dir, uint64_t accounts, uint64_t events) {
  std::unique_ptr<Store> store;
  StoreOptions options;
  StorageStatus status = Store::Open(dir, options, &store);
  if (!status.ok()) {
    std::fprintf(stderr, "cannot open '%s': %s\n", dir.c_str(), status.message().c_str());
    return 1;
  }

  std::mt19937_64 random(7);
  const auto started = std::chrono::steady_clock::now();
  std::vector<Event> batch;
  batch.reserve(kBatchEvents);
  std::vector<CommitOutcome> outcomes;
  for (uint64_t n = 0; n < events; ++n) {
    // Every account gets at least one event; the rest land at random.
    const uint64_t account = n < accounts ? n : random() % accounts;
    Event event;
    event.message_id = "m" + std::to_string(n);
    event.account_id = "acct-" + std::to_string(account);
    event.group_id = event.account_id;
    event.user_id = "u" + std::to_string(account) + "-" + std::to_string(random() % 4);
    event.timestamp_ms = kEndMs - static_cast<int64_t>(random() % kSpanMs);
    event.received_ms = event.timestamp_ms;
    if (n < accounts && account % 10 == 0) {
      event.type = EventType::kGroup;
      event.name = "group";
      event.properties = R"({"plan":"enterprise","arr":)" + std::to_string(1000 + account % 5000) +
                         R"(,"owner":"csm-)" + std::to_string(account % 50) + R"("})";
    } else {
      event.type = EventType::kTrack;
      event.name = kNames[random() % (sizeof(kNames) / sizeof(kNames[0]))];
      event.properties = "{}";
    }
    batch.push_back(std::move(event));

    if (batch.size() == kBatchEvents || n + 1 == events) {
      status = store->Commit("bench", batch, &outcomes);
      if (!status.ok()) {
        std::fprintf(stderr, "commit failed: %s\n", status.message().c_str());
        return 1;
      }
      batch.clear();
    }
  }
  // Flush and compact, so the benchmark's first start does not pay for
  // replaying this tool's write-ahead log, which a long-running server
  // would have flushed long ago.
  status = store->Compact();
  if (!status.ok()) {
    std::fprintf(stderr, "compaction failed: %s\n", status.message().c_str());
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("wrote %llu events for %llu accounts in %.1f s\n",
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(accounts),
              seconds);
  return 0;
}

}  // namespace
}  // namespace uptake

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DATA_DIR ACCOUNTS EVENTS\n", argv[0]);
    return 2;
  }
  const uint64_t accounts = std::strtoull(argv[2], nullptr, 10);
  const uint64_t events = std::strtoull(argv[3], nullptr, 10);
  if (accounts == 0 || events < accounts) {
    std::fprintf(stderr, "ACCOUNTS must be at least 1 and EVENTS at least ACCOUNTS\n");
    return 2;
  }
  return uptake::Run(argv[1], accounts, events);
}
