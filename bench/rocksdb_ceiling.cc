// rocksdb-ceiling: writes synthetic events through uptake's storage layer
// alone (storage/Store, on RocksDB), to measure how fast storage can go on
// this machine. uptake-bench's figure divided by this one is the share of
// the ceiling the server reaches.
//
// Each batch is one Store::Commit, as one request is in the server: the
// dedup check, then one WriteBatch with the batch's commit record. The
// events are built in memory, with the fields and size of uptake-bench's
// events, so no HTTP, JSON parsing or aggregation is in the figure. The
// WAL is on and not synced, as in uptake's `wal` mode, unless --fsync is
// given, which is the `fsync` mode.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/command_line.h"
#include "bench/latency_histogram.h"
#include "proto/event.h"
#include "storage/store.h"

namespace uptake {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr const char* kUsage =
    R"(usage: rocksdb-ceiling --db DIR (--duration S | --events N) [options]

Writes synthetic events through uptake's storage layer into a new database in
DIR and reports events/s and the latency of each batch commit.

  --db DIR         folder for the database; must not exist yet
  --duration S     seconds of writing, after the warm-up (at most 3600)
  --events N       events to write after the warm-up
  --warmup S       seconds of writing before measuring (default 0)
  --batch N        events per write batch (default 100, at most 2500)
  --event-bytes N  size of each event as JSON, as uptake-bench's (default 300)
  --threads N      writer threads (default 1)
  --fsync          sync the WAL on every commit (durability: fsync)
  --compression C  zstd (default) or lz4, as uptake's storage.compression
  --json           print the result as one JSON object
  --help           print this text
)";

struct CeilingOptions {
  std::string db;
  int64_t duration_seconds = -1;
  int64_t events = -1;
  int64_t warmup_seconds = 0;
  int64_t batch = 100;
  int64_t event_bytes = 300;
  int64_t threads = 1;
  bool fsync = false;
  EventLogCompression compression = EventLogCompression::kZstdAtBottom;
  bool json = false;
  bool help = false;
};

Result<CeilingOptions> ParseOptions(int argc, char** argv) {
  using Parsed = Result<CeilingOptions>;
  Result<CommandLine> line = SplitCommandLine(
      argc, argv, {"fsync", "json", "help"},
      {"db", "compression", "duration", "events", "warmup", "batch", "event-bytes", "threads"});
  if (!line.ok()) return Parsed::Error(line.error());
  if (!line.value().positional.empty()) {
    return Parsed::Error("unexpected argument \"" + line.value().positional[0] + "\"");
  }
  CeilingOptions options;
  for (const auto& [name, value] : line.value().flags) {
    Result<int64_t> number = Result<int64_t>::Ok(0);
    if (name == "db") {
      options.db = value;
    } else if (name == "fsync") {
      options.fsync = true;
    } else if (name == "compression") {
      if (value == "zstd") {
        options.compression = EventLogCompression::kZstdAtBottom;
      } else if (value == "lz4") {
        options.compression = EventLogCompression::kLz4;
      } else {
        return Parsed::Error("invalid --compression \"" + value + "\": expected zstd or lz4");
      }
    } else if (name == "json") {
      options.json = true;
    } else if (name == "help") {
      options.help = true;
    } else if (name == "duration") {
      number = ParseIntFlag(name, value, 1, 3600);
      if (number.ok()) options.duration_seconds = number.value();
    } else if (name == "events") {
      number = ParseIntFlag(name, value, 1, 1'000'000'000);
      if (number.ok()) options.events = number.value();
    } else if (name == "warmup") {
      number = ParseIntFlag(name, value, 0, 600);
      if (number.ok()) options.warmup_seconds = number.value();
    } else if (name == "batch") {
      number = ParseIntFlag(name, value, 1, 2500);
      if (number.ok()) options.batch = number.value();
    } else if (name == "event-bytes") {
      number = ParseIntFlag(name, value, 16, 32768);
      if (number.ok()) options.event_bytes = number.value();
    } else if (name == "threads") {
      number = ParseIntFlag(name, value, 1, 256);
      if (number.ok()) options.threads = number.value();
    } else {
      return Parsed::Error("unknown flag --" + name + "; see --help");
    }
    if (!number.ok()) return Parsed::Error(number.error());
  }
  if (options.help) return Parsed::Ok(std::move(options));
  if (options.db.empty()) return Parsed::Error("missing --db DIR");
  if (options.duration_seconds < 0 && options.events < 0) {
    return Parsed::Error("unbounded run: give --duration S or --events N (or both)");
  }
  return Parsed::Ok(std::move(options));
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& path, bool fsync,
                                         EventLogCompression compression) {
  using Opened = Result<std::unique_ptr<Store>>;
  if (std::filesystem::exists(path)) {
    return Opened::Error("--db " + path + " already exists; give a new folder");
  }
  StoreOptions options;
  options.sync_writes = fsync;
  options.event_log_compression = compression;
  std::unique_ptr<Store> store;
  const StorageStatus status = Store::Open(path, options, &store);
  if (!status.ok()) return Opened::Error("cannot open " + path + ": " + status.message());
  return Opened::Ok(std::move(store));
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Writes `value` as 16 lowercase hex digits at `out`.
void PutHex64(uint64_t value, char* out) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = kDigits[value & 0xf];
    value >>= 4;
  }
}

// Sets a random 33-character message id, as SDKs send random UUIDs. The
// digits are written by hand: snprintf took about 4% of the core here,
// time that belongs to no storage layer.
void SetRandomMessageId(std::mt19937_64* random, Event* event) {
  char id[33];
  PutHex64((*random)(), id);
  id[16] = '-';
  PutHex64((*random)(), id + 17);
  event->message_id.assign(id, sizeof(id));
}

// The bytes of uptake-bench's event JSON that are not the properties.
constexpr int64_t kEnvelopeBytes = 190;

// Returns an event shaped like uptake-bench's: an account and a user among
// 1,000 and 10 per account, a random message id, and properties that bring
// the event to about `event_bytes` as JSON.
Event SyntheticEvent(std::mt19937_64* random, int64_t event_bytes, int64_t now_ms) {
  Event event;
  event.type = EventType::kTrack;
  const uint64_t account = (*random)() % 1000;
  event.group_id = "acct-" + std::to_string(account);
  event.account_id = event.group_id;
  event.user_id = event.group_id + "-user-" + std::to_string((*random)() % 10);
  SetRandomMessageId(random, &event);
  event.name = "Report Exported";
  event.timestamp_ms = now_ms;
  event.received_ms = now_ms;
  const int64_t pad = std::max<int64_t>(0, event_bytes - kEnvelopeBytes);
  event.properties =
      "{\"bench\":true,\"pad\":\"" + std::string(static_cast<size_t>(pad), 'x') + "\"}";
  return event;
}

using Clock = std::chrono::steady_clock;

struct WriterResult {
  int64_t events = 0;  // measured events
  LatencyHistogram batch_latency_us;
  std::string error;
};

void RunWriter(Store* store, const CeilingOptions& options, int64_t thread,
               std::atomic<int64_t>* events_left, Clock::time_point measure_start,
               Clock::time_point end, WriterResult* result) {
  std::mt19937_64 random(static_cast<uint64_t>(thread) * 7919 + 1);
  std::vector<Event> events;
  for (int64_t i = 0; i < options.batch; ++i) {
    events.push_back(SyntheticEvent(&random, options.event_bytes, NowMs()));
  }
  std::vector<CommitOutcome> outcomes;

  while (true) {
    const Clock::time_point start = Clock::now();
    if (start >= end) break;
    const bool measured = start >= measure_start;
    if (measured && options.events >= 0 && events_left->fetch_sub(options.batch) <= 0) break;

    // Only the message ids and times change, which costs little next to a
    // commit, so the figure stays about storage.
    const int64_t now_ms = NowMs();
    for (Event& event : events) {
      SetRandomMessageId(&random, &event);
      event.timestamp_ms = now_ms;
      event.received_ms = now_ms;
    }
    const StorageStatus status = store->Commit("demo", events, &outcomes);
    if (!status.ok()) {
      result->error = "commit failed: " + status.message();
      return;
    }
    if (measured) {
      result->events += options.batch;
      result->batch_latency_us.Record(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
    }
  }
}

int Main(int argc, char** argv) {
  Result<CeilingOptions> options = ParseOptions(argc, argv);
  if (!options.ok()) {
    std::cerr << "rocksdb-ceiling: " << options.error() << "\n";
    return kExitUsage;
  }
  if (options.value().help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  Result<std::unique_ptr<Store>> store =
      OpenStore(options.value().db, options.value().fsync, options.value().compression);
  if (!store.ok()) {
    std::cerr << "rocksdb-ceiling: " << store.error() << "\n";
    return kExitUsage;
  }

  const Clock::time_point start = Clock::now();
  const Clock::time_point measure_start =
      start + std::chrono::seconds(options.value().warmup_seconds);
  // A run bounded only by --events still ends after an hour.
  const int64_t seconds =
      options.value().duration_seconds > 0 ? options.value().duration_seconds : 3600;
  const Clock::time_point end = measure_start + std::chrono::seconds(seconds);
  std::atomic<int64_t> events_left{options.value().events};

  std::vector<WriterResult> results(static_cast<size_t>(options.value().threads));
  std::vector<std::thread> threads;
  for (int64_t i = 0; i < options.value().threads; ++i) {
    threads.emplace_back(RunWriter, store.value().get(), std::cref(options.value()), i,
                         &events_left, measure_start, end, &results[static_cast<size_t>(i)]);
  }
  for (std::thread& thread : threads) thread.join();
  const std::chrono::duration<double> elapsed = Clock::now() - measure_start;

  WriterResult total;
  for (const WriterResult& result : results) {
    total.events += result.events;
    total.batch_latency_us.Merge(result.batch_latency_us);
    if (total.error.empty()) total.error = result.error;
  }
  const double rate = elapsed.count() > 0 ? static_cast<double>(total.events) / elapsed.count() : 0;
  const LatencyHistogram& latency = total.batch_latency_us;
  if (options.value().json) {
    std::printf(
        "{\"events\":%lld,\"seconds\":%.6f,\"events_per_second\":%.1f,\"batch\":%lld,"
        "\"fsync\":%s,\"batch_latency_us\":{\"count\":%lld,\"p50\":%lld,\"p99\":%lld,"
        "\"max\":%lld}}\n",
        static_cast<long long>(total.events), elapsed.count(), rate,
        static_cast<long long>(options.value().batch), options.value().fsync ? "true" : "false",
        static_cast<long long>(latency.count()),
        static_cast<long long>(latency.ValueAtQuantile(0.5)),
        static_cast<long long>(latency.ValueAtQuantile(0.99)),
        static_cast<long long>(latency.max()));
  } else {
    std::printf("events        %lld in %.3f s\n", static_cast<long long>(total.events),
                elapsed.count());
    std::printf("throughput    %.0f events/s\n", rate);
    std::printf("batch write   p50 %.3f  p99 %.3f  max %.3f ms\n",
                static_cast<double>(latency.ValueAtQuantile(0.5)) / 1000,
                static_cast<double>(latency.ValueAtQuantile(0.99)) / 1000,
                static_cast<double>(latency.max()) / 1000);
  }
  if (!total.error.empty()) {
    std::cerr << "rocksdb-ceiling: " << total.error << "\n";
    return kExitFailure;
  }
  return 0;
}

}  // namespace
}  // namespace uptake

int main(int argc, char** argv) { return uptake::FinishOutput(uptake::Main(argc, argv)); }
