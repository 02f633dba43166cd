// rocksdb-ceiling: writes synthetic events straight into RocksDB with the
// key layout of uptake's storage, to measure how fast the storage layer
// alone can go on this machine. uptake-bench's figure divided by this one
// says how much of the ceiling the server reaches.
//
// Each batch does what uptake's Store::Commit does per request: one
// MultiGet of the dedup marks, then one WriteBatch with, per event, a Put
// of the event under its 8-byte big-endian sequence key in the "events"
// column family and a Put of the 16-byte mark (sequence, received time)
// under "write key NUL message id" in the "dedup" column family. The WAL is
// on and not synced, as in uptake, unless --fsync is given. It does not
// update account state or encode events as uptake does: the value is the
// event's JSON text.

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/command_line.h"
#include "bench/latency_histogram.h"

namespace uptake {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kBloomBitsPerKey = 10;

constexpr const char* kUsage =
    R"(usage: rocksdb-ceiling --db DIR (--duration S | --events N) [options]

Writes synthetic events into a new RocksDB database in DIR with uptake's key
layout and reports events/s and the latency of each batch write.

  --db DIR         folder for the database; must not exist yet
  --duration S     seconds of writing, after the warm-up (at most 3600)
  --events N       events to write after the warm-up
  --warmup S       seconds of writing before measuring (default 0)
  --batch N        events per write batch (default 100, at most 2500)
  --event-bytes N  size of each event value (default 300)
  --threads N      writer threads (default 1)
  --fsync          sync the WAL on every write (uptake does not)
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
  bool json = false;
  bool help = false;
};

void PutBigEndian64(std::string* dst, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    dst->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

Result<CeilingOptions> ParseOptions(int argc, char** argv) {
  using Parsed = Result<CeilingOptions>;
  Result<CommandLine> line = SplitCommandLine(argc, argv, {"fsync", "json", "help"});
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

// The database with the two column families uptake writes per event, set up
// as uptake's storage sets them: LZ4 on the event log when built in, and a
// Bloom filter on the dedup marks.
struct Database {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;  // default, events, dedup

  ~Database() {
    for (rocksdb::ColumnFamilyHandle* family : families) {
      db->DestroyColumnFamilyHandle(family).PermitUncheckedError();
    }
  }
};

Result<std::unique_ptr<Database>> OpenDatabase(const std::string& path) {
  using Opened = Result<std::unique_ptr<Database>>;
  if (std::filesystem::exists(path)) {
    return Opened::Error("--db " + path + " already exists; give a new folder");
  }
  rocksdb::ColumnFamilyOptions events;
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  if (std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end()) {
    events.compression = rocksdb::kLZ4Compression;
  }
  rocksdb::ColumnFamilyOptions dedup;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  dedup.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 4;  // as uptake's storage
  const std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, {}}, {"events", events}, {"dedup", dedup}};

  auto database = std::make_unique<Database>();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status =
      rocksdb::DB::Open(db_options, path, descriptors, &database->families, &raw);
  if (!status.ok()) return Opened::Error("cannot open " + path + ": " + status.ToString());
  database->db.reset(raw);
  return Opened::Ok(std::move(database));
}

struct WriterResult {
  int64_t events = 0;  // measured events
  LatencyHistogram batch_latency_us;
  std::string error;
};

using Clock = std::chrono::steady_clock;

void RunWriter(Database* database, const CeilingOptions& options, int64_t thread,
               std::atomic<uint64_t>* next_sequence, std::atomic<int64_t>* events_left,
               Clock::time_point measure_start, Clock::time_point end, WriterResult* result) {
  rocksdb::WriteOptions write_options;
  write_options.sync = options.fsync;
  const std::string value_padding(static_cast<size_t>(options.event_bytes), 'x');
  const int64_t received_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  int64_t message = 0;
  std::vector<std::string> dedup_keys(static_cast<size_t>(options.batch));

  while (true) {
    const Clock::time_point start = Clock::now();
    if (start >= end) break;
    const bool measured = start >= measure_start;
    if (measured && options.events >= 0 && events_left->fetch_sub(options.batch) <= 0) break;

    for (std::string& key : dedup_keys) {
      key = "demo";
      key.push_back('\0');
      key.append("t").append(std::to_string(thread)).append("-");
      key.append(std::to_string(message++));
    }
    std::vector<rocksdb::Slice> keys(dedup_keys.begin(), dedup_keys.end());
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    database->db->MultiGet(rocksdb::ReadOptions(), database->families[2], keys.size(), keys.data(),
                           values.data(), statuses.data());

    uint64_t sequence = next_sequence->fetch_add(static_cast<uint64_t>(options.batch));
    rocksdb::WriteBatch batch;
    for (const std::string& dedup_key : dedup_keys) {
      std::string key;
      PutBigEndian64(&key, sequence);
      std::string mark;
      PutBigEndian64(&mark, sequence);
      PutBigEndian64(&mark, static_cast<uint64_t>(received_ms));
      ++sequence;
      batch.Put(database->families[1], key, value_padding).PermitUncheckedError();
      batch.Put(database->families[2], dedup_key, mark).PermitUncheckedError();
    }
    rocksdb::Status status = database->db->Write(write_options, &batch);
    if (!status.ok()) {
      result->error = "write failed: " + status.ToString();
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
  Result<std::unique_ptr<Database>> database = OpenDatabase(options.value().db);
  if (!database.ok()) {
    std::cerr << "rocksdb-ceiling: " << database.error() << "\n";
    return kExitUsage;
  }

  const Clock::time_point start = Clock::now();
  const Clock::time_point measure_start =
      start + std::chrono::seconds(options.value().warmup_seconds);
  // A run bounded only by --events still ends after an hour.
  const int64_t seconds =
      options.value().duration_seconds > 0 ? options.value().duration_seconds : 3600;
  const Clock::time_point end = measure_start + std::chrono::seconds(seconds);
  std::atomic<uint64_t> next_sequence{1};
  std::atomic<int64_t> events_left{options.value().events};

  std::vector<WriterResult> results(static_cast<size_t>(options.value().threads));
  std::vector<std::thread> threads;
  for (int64_t i = 0; i < options.value().threads; ++i) {
    threads.emplace_back(RunWriter, database.value().get(), std::cref(options.value()), i,
                         &next_sequence, &events_left, measure_start, end,
                         &results[static_cast<size_t>(i)]);
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

int main(int argc, char** argv) { return uptake::Main(argc, argv); }
