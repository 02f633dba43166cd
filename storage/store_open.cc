#include <algorithm>
#include <filesystem>
#include <system_error>

#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include "storage/keys.h"
#include "storage/latest_by_time.h"
#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"

namespace uptake {
namespace {

// Bloom filter density for the point-lookup families. RocksDB 7.8's
// filter_policy.h gives about a 1% false-positive rate for 9.9 bits per key.
constexpr double kBloomBitsPerKey = 9.9;

// Threads for flushes and compactions. Equal to RocksDB 7.8's default, but
// pinned so a newer librocksdb cannot take more cores from the server.
constexpr int kMaxBackgroundJobs = 2;

// Returns the first of LZ4 and ZSTD that the linked librocksdb supports, else
// RocksDB's default compression.
rocksdb::CompressionType EventLogCompression() {
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  for (const auto preferred : {rocksdb::kLZ4Compression, rocksdb::kZSTD}) {
    if (std::find(supported.begin(), supported.end(), preferred) != supported.end()) {
      return preferred;
    }
  }
  return rocksdb::ColumnFamilyOptions().compression;
}

rocksdb::ColumnFamilyOptions WithBloomFilter(rocksdb::ColumnFamilyOptions options) {
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// Compaction drops expired dedup marks. Files untouched by writes for this
// long are compacted anyway, so marks expire on an idle server too.
constexpr uint64_t kDedupPeriodicCompactionSeconds = 24 * 3600;

std::vector<rocksdb::ColumnFamilyDescriptor> ColumnFamilies(
    const rocksdb::CompactionFilter* dedup_filter) {
  rocksdb::ColumnFamilyOptions events;
  events.compression = EventLogCompression();

  // The traits and link families are written only through merges.
  rocksdb::ColumnFamilyOptions latest_by_time;
  latest_by_time.merge_operator = std::make_shared<LatestByTimeMergeOperator>();

  std::vector<rocksdb::ColumnFamilyDescriptor> families(kFamilyCount);
  families[kDefaultFamily] = {rocksdb::kDefaultColumnFamilyName, {}};
  families[kEventsFamily] = {"events", events};
  rocksdb::ColumnFamilyOptions dedup = WithBloomFilter({});
  dedup.compaction_filter = dedup_filter;
  dedup.periodic_compaction_seconds = kDedupPeriodicCompactionSeconds;
  families[kDedupFamily] = {"dedup", dedup};
  families[kAccountsFamily] = {"accounts", latest_by_time};
  families[kUsersFamily] = {"users", WithBloomFilter(latest_by_time)};
  families[kAlertsFamily] = {"alerts", {}};
  families[kAlertChangesFamily] = {"alert_changes", {}};
  families[kOutboxFamily] = {"outbox", {}};
  families[kSilencesFamily] = {"silences", {}};
  return families;
}

rocksdb::DBOptions DatabaseOptions(const StoreOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = kMaxBackgroundJobs;
  return db_options;
}

StorageStatus CreateFolder(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return StorageStatus::Invalid("cannot create database folder " + dir + ": " + error.message());
  }
  return StorageStatus::Ok();
}

}  // namespace

Store::Impl::Impl(std::unique_ptr<DedupExpiryFilter> dedup_filter, std::unique_ptr<rocksdb::DB> db,
                  std::vector<rocksdb::ColumnFamilyHandle*> families)
    : dedup_filter_(std::move(dedup_filter)), db_(std::move(db)), families_(std::move(families)) {
  // A returned Write has reached the OS page cache, which survives a crash of
  // the process but not a power loss. fsync per request would cap throughput.
  write_options_.sync = false;
  write_options_.disableWAL = false;
}

Store::Impl::~Impl() {
  for (rocksdb::ColumnFamilyHandle* family : families_) {
    // Failure here only leaks the handle, and a destructor cannot report it.
    db_->DestroyColumnFamilyHandle(family).PermitUncheckedError();
  }
  db_.reset();
}

StorageStatus Store::Impl::Open(const std::string& dir, const StoreOptions& options,
                                std::unique_ptr<Impl>* impl) {
  if (dir.empty()) return StorageStatus::Invalid("database folder path is empty");
  if (options.create_if_missing) {
    StorageStatus status = CreateFolder(dir);
    if (!status.ok()) return status;
  }

  auto dedup_filter = std::make_unique<DedupExpiryFilter>(options.dedup_retention_ms);
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(DatabaseOptions(options), dir,
                                             ColumnFamilies(dedup_filter.get()), &families, &db);
  if (!status.ok()) return FromRocksDbStatus("open database " + dir, status);

  std::unique_ptr<Impl> opened(
      new Impl(std::move(dedup_filter), std::unique_ptr<rocksdb::DB>(db), std::move(families)));
  StorageStatus recovered = opened->RecoverNextSequence();
  if (!recovered.ok()) return recovered;

  *impl = std::move(opened);
  return StorageStatus::Ok();
}

StorageStatus Store::Impl::RecoverNextSequence() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Family(kEventsFamily)));
  it->SeekToLast();
  if (!it->Valid()) {
    next_sequence_ = 0;
    return FromRocksDbStatus("read last event key", it->status());
  }

  const rocksdb::Slice key = it->key();
  if (key.size() != 8) {
    return StorageStatus::Corruption("last event log key has " + std::to_string(key.size()) +
                                     " bytes, expected 8");
  }
  next_sequence_ = DecodeBigEndian64(key.data()) + 1;
  return StorageStatus::Ok();
}

StorageStatus Store::Impl::Compact() {
  rocksdb::CompactRangeOptions options;
  // Rewrites the bottom level too, so the filter visits every dedup mark.
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* family : families_) {
    rocksdb::Status status = db_->CompactRange(options, family, nullptr, nullptr);
    if (!status.ok()) return FromRocksDbStatus("compact " + family->GetName(), status);
  }
  return StorageStatus::Ok();
}

}  // namespace uptake
