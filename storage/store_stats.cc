// Operational reads of the database for the metrics endpoint and for
// shutdown: RocksDB properties, outbox depth, and the WAL sync.

#include <rocksdb/iterator.h>

#include <cstdlib>
#include <map>
#include <memory>

#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"

namespace uptake {
namespace {

// Keys of the "rocksdb.cfstats" map property (RocksDB 7.8) that count the
// times writes were stopped or slowed down for a column family.
constexpr char kTotalStopKey[] = "io_stalls.total_stop";
constexpr char kTotalSlowdownKey[] = "io_stalls.total_slowdown";

uint64_t MapValue(const std::map<std::string, std::string>& values, const std::string& key) {
  auto it = values.find(key);
  if (it == values.end()) return 0;
  // Values are printed doubles or integers; both parse as a double.
  return static_cast<uint64_t>(std::strtod(it->second.c_str(), nullptr));
}

}  // namespace

void Store::Impl::GetStats(StoreStats* stats) {
  uint64_t value = 0;
  if (db_->GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &value)) {
    stats->write_stopped = value != 0;
  }
  if (db_->GetIntProperty(rocksdb::DB::Properties::kActualDelayedWriteRate, &value)) {
    stats->delayed_write_rate = value;
  }
  stats->families.clear();
  for (size_t i = 0; i < kFamilyCount; ++i) {
    ColumnFamilyStats family;
    family.name = families_[i]->GetName();
    if (db_->GetIntProperty(families_[i], rocksdb::DB::Properties::kEstimateLiveDataSize, &value)) {
      family.live_data_bytes = value;
    }
    if (db_->GetIntProperty(families_[i], rocksdb::DB::Properties::kTotalSstFilesSize, &value)) {
      family.sst_files_bytes = value;
    }
    std::map<std::string, std::string> cf_stats;
    if (db_->GetMapProperty(families_[i], rocksdb::DB::Properties::kCFStats, &cf_stats)) {
      stats->write_stops += MapValue(cf_stats, kTotalStopKey);
      stats->write_slowdowns += MapValue(cf_stats, kTotalSlowdownKey);
    }
    stats->families.push_back(std::move(family));
  }
}

StorageStatus Store::Impl::CountOutbox(std::string_view webhook, uint64_t* count) {
  std::string prefix(webhook);
  prefix.push_back('\0');
  *count = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Family(kOutboxFamily)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++*count;
  return FromRocksDbStatus("count outbox of webhook " + std::string(webhook), it->status());
}

StorageStatus Store::Impl::SyncWal() {
  return FromRocksDbStatus("sync the write-ahead log", db_->FlushWAL(/*sync=*/true));
}

}  // namespace uptake
