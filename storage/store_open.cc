#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <chrono>

#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>

#include "storage/keys.h"
#include "storage/latest_by_time.h"
#include "storage/rocksdb_logger.h"
#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"

namespace uptake {
namespace {

// Bloom filter density for the point-lookup families. RocksDB 7.8's
// filter_policy.h gives about a 1% false-positive rate for 9.9 bits per key.
constexpr double kBloomBitsPerKey = 9.9;

// Returns the id of the process that holds a write lock on `lock_path`, or
// 0 when none does or the file cannot be checked. RocksDB locks its LOCK
// file with fcntl, which F_GETLK reports along with the holder's id.
pid_t LockHolder(const std::string& lock_path) {
  const int fd = open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct flock lock = {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  const bool checked = fcntl(fd, F_GETLK, &lock) == 0;
  close(fd);
  return checked && lock.l_type != F_UNLCK ? lock.l_pid : 0;
}

// After each this many bytes of write-ahead log, RocksDB starts the
// kernel's writeback of them (sync_file_range, which does not wait), so the
// log's dirty pages go out a megabyte at a time rather than waiting for the
// kernel's own writeback. With the server at 160,000 events/s this took the
// ack p99 from 1.34 to 0.94 ms (medians of 7 interleaved runs), with no loss
// of throughput in wal or fsync mode. At 175,000, where queueing sets the
// p99, it made no difference (docs/benchmarks.md).
constexpr uint64_t kWalBytesPerSync = 1 << 20;

// Threads for flushes and compactions. Equal to RocksDB 7.8's default, but
// pinned so a newer librocksdb cannot take more cores from the server.
constexpr int kMaxBackgroundJobs = 2;

// Returns the first of `preferred` that the linked librocksdb supports, else
// RocksDB's default compression.
rocksdb::CompressionType FirstSupported(std::initializer_list<rocksdb::CompressionType> preferred) {
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  for (const auto type : preferred) {
    if (std::find(supported.begin(), supported.end(), type) != supported.end()) return type;
  }
  return rocksdb::ColumnFamilyOptions().compression;
}

// The event log contains almost all of the data. Its upper levels, rewritten
// often, use the fast LZ4. By default the bottom level, where most records
// end up and stay, uses ZSTD, which packs them tighter. RocksDB moves a file
// down a level unchanged only between levels of the same compression, so
// with ZSTD every event is compressed twice. Debian's librocksdb 7.8
// supports both.
void SetEventLogCompression(EventLogCompression compression,
                            rocksdb::ColumnFamilyOptions* options) {
  options->compression = FirstSupported({rocksdb::kLZ4Compression, rocksdb::kZSTD});
  options->bottommost_compression =
      compression == EventLogCompression::kLz4
          ? options->compression
          : FirstSupported({rocksdb::kZSTD, rocksdb::kLZ4Compression});
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

// With a retention, files untouched by writes for this long are compacted
// anyway, so old events are dropped on an idle server too.
constexpr uint64_t kRetentionPeriodicCompactionSeconds = 24 * 3600;

std::vector<rocksdb::ColumnFamilyDescriptor> ColumnFamilies(
    EventLogCompression compression, const rocksdb::CompactionFilter* dedup_filter,
    const rocksdb::CompactionFilter* retention_filter) {
  rocksdb::ColumnFamilyOptions events;
  SetEventLogCompression(compression, &events);
  if (retention_filter != nullptr) {
    events.compaction_filter = retention_filter;
    events.periodic_compaction_seconds = kRetentionPeriodicCompactionSeconds;
  }

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

rocksdb::DBOptions DatabaseOptions(const StoreOptions& options,
                                   std::shared_ptr<rocksdb::Statistics> statistics) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = kMaxBackgroundJobs;
  db_options.wal_bytes_per_sync = kWalBytesPerSync;
  // A crash can leave the newest write-ahead-log record torn: a SIGKILL
  // cannot (write() had returned), but a power loss in wal mode, or a full
  // disk mid-append, can. Point-in-time recovery replays up to the first
  // damaged record and opens, so the server never crash-loops on it. Every
  // record is one whole commit batch (an event and its dedup mark
  // together), so the state recovered is one the server really had. The
  // records dropped are the newest ones: in fsync mode they were never
  // acknowledged; in wal mode they may have been, which is what that mode
  // trades for speed. kTolerateCorruptedTailRecords would refuse to open on
  // damage before the tail, and kAbsoluteConsistency on any torn tail.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Tickers only (the sync counter); no histograms or timers on the
  // write path.
  statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
  db_options.statistics = std::move(statistics);
  return db_options;
}

// Sets `db_options.info_log` to RocksDB's usual LOG file in `dir`, with its
// warnings and errors copied to the server log. Leaves it unset, so RocksDB
// makes its own, when the file cannot be created.
void ForwardRocksDbLog(const std::string& dir, rocksdb::DBOptions* db_options) {
  std::shared_ptr<rocksdb::Logger> file_logger;
  rocksdb::Status status = rocksdb::CreateLoggerFromOptions(dir, *db_options, &file_logger);
  if (!status.ok()) return;
  db_options->info_log = std::make_shared<ForwardingLogger>(std::move(file_logger));
}

// Runs RocksDB's flushes and compactions at the lowest CPU priority (nice
// 19), so that on a busy core a request rarely waits behind a flush for a
// scheduler time slice. At half the maximum ingest rate on one core, this
// took the ack p99 from 43 ms to 1.2 ms with no loss of maximum throughput
// (docs/benchmarks.md). They still get CPU when requests leave some, and
// when none is left RocksDB's write stall makes the writers wait for them.
// The pools are process-wide, and the store is the process's only RocksDB
// user. Failure leaves the default priority.
void LowerBackgroundPriority() {
  rocksdb::Env* env = rocksdb::Env::Default();
  for (const auto pool : {rocksdb::Env::Priority::LOW, rocksdb::Env::Priority::HIGH}) {
    env->LowerThreadPoolCPUPriority(pool, rocksdb::CpuPriority::kLow).PermitUncheckedError();
  }
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

Store::Impl::Impl(const std::string& dir, const StoreOptions& options, Attachments attachments,
                  std::unique_ptr<rocksdb::DB> db,
                  std::vector<rocksdb::ColumnFamilyHandle*> families)
    : attachments_(std::move(attachments)),
      db_(std::move(db)),
      families_(std::move(families)),
      dir_(dir),
      min_free_bytes_(options.min_free_bytes),
      dedup_memory_marks_(std::max<size_t>(options.dedup_memory_marks, 1)),
      active_marks_(dedup_memory_marks_) {
  // Without sync a returned Write has reached the OS page cache, which
  // survives a crash of the process but not a power loss. With sync,
  // RocksDB's write group makes concurrent writers share one fsync.
  write_options_.sync = options.sync_writes;
  write_options_.disableWAL = false;
}

Store::Impl::~Impl() {
  StopDedupSpills();
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

  Attachments attachments;
  attachments.dedup_filter = std::make_unique<DedupExpiryFilter>(options.dedup_retention_ms);
  if (options.event_retention_ms > 0) {
    attachments.retention_filter = std::make_unique<EventRetentionFilter>(
        options.event_retention_ms, options.dedup_retention_ms, options.retention_clock);
  }
  attachments.statistics = rocksdb::CreateDBStatistics();

  rocksdb::DBOptions db_options = DatabaseOptions(options, attachments.statistics);
  ForwardRocksDbLog(dir, &db_options);
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(
      db_options, dir,
      ColumnFamilies(options.event_log_compression, attachments.dedup_filter.get(),
                     attachments.retention_filter.get()),
      &families, &db);
  if (!status.ok()) {
    // RocksDB's own message names only the LOCK file and errno.
    if (const pid_t holder = LockHolder(dir + "/LOCK"); holder > 0) {
      return StorageStatus::Unavailable(
          "another process (pid " + std::to_string(holder) +
          "), probably another uptake server, holds the lock on the data folder " + dir +
          "; stop it, or give this server another data folder");
    }
    return FromRocksDbStatus("open database " + dir, status);
  }
  LowerBackgroundPriority();

  std::unique_ptr<Impl> opened(new Impl(dir, options, std::move(attachments),
                                        std::unique_ptr<rocksdb::DB>(db), std::move(families)));
  StorageStatus recovered = opened->RecoverNextSequence();
  if (recovered.ok()) recovered = opened->LoadDedupMarks();
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
  const std::optional<size_t> events = DecodeRecord(
      std::string_view(it->value().data(), it->value().size()), [](size_t, const LoggedEvent&) {});
  if (!events.has_value()) {
    return StorageStatus::Corruption("last event log record cannot be decoded");
  }
  next_sequence_ = DecodeBigEndian64(key.data()) + *events;
  // Under RetentionClock::kNewestEvent nothing expires before "now" is
  // known. The last record's newest time is a lower bound of it.
  if (attachments_.retention_filter != nullptr) {
    const std::optional<int64_t> newest =
        DecodeEventTime(std::string_view(it->value().data(), it->value().size()));
    if (newest.has_value()) attachments_.retention_filter->ObserveEventTime(*newest);
  }
  return StorageStatus::Ok();
}

StorageStatus Store::Impl::Compact() {
  // Marks held in memory expire only once spilled, so spill them first,
  // and the filter then reaches every mark.
  SpillAllMarks();
  rocksdb::CompactRangeOptions options;
  // Rewrites the bottom level too, so the filter visits every dedup mark.
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* family : families_) {
    rocksdb::Status status = db_->CompactRange(options, family, nullptr, nullptr);
    if (!status.ok()) return FromRocksDbStatus("compact " + family->GetName(), status);
  }
  return StorageStatus::Ok();
}

rocksdb::Status Store::Impl::Checked(rocksdb::Status status) {
  if (status.ok()) return status;
  std::lock_guard<std::mutex> lock(health_mutex_);
  write_failure_ = status.ToString();
  write_failed_ = true;
  return status;
}

StorageStatus Store::Impl::CheckFreeSpace() const {
  if (min_free_bytes_ == 0) return StorageStatus::Ok();
  struct statvfs stats;
  if (statvfs(dir_.c_str(), &stats) != 0) return StorageStatus::Ok();  // leave it to RocksDB
  const uint64_t free_bytes = static_cast<uint64_t>(stats.f_bavail) * stats.f_frsize;
  if (free_bytes >= min_free_bytes_) return StorageStatus::Ok();
  return StorageStatus::Unavailable("disk space low: " + std::to_string(free_bytes >> 20) +
                                    " MiB free in " + dir_ + ", below the reserve of " +
                                    std::to_string(min_free_bytes_ >> 20) + " MiB");
}

StorageStatus Store::Impl::WriteHealth() const {
  if (StorageStatus space = CheckFreeSpace(); !space.ok()) return space;
  if (!write_failed_) return StorageStatus::Ok();
  std::lock_guard<std::mutex> lock(health_mutex_);
  if (!write_failed_) return StorageStatus::Ok();
  return StorageStatus::Unavailable("last write failed: " + write_failure_);
}

// NOTE: Debian's librocksdb 7.8.3 is built with assertions enabled. On a
// full tmpfs, the server aborted in
// WritableFileWriter::AssertFalseAndGetStatusForPrevError right after a
// write-ahead-log append failed with ENOSPC, instead of returning the error. On that build the
// resume below helps with other I/O errors only. A disk filled past the reserve by another process
// costs a restart, which recovers the log up to the failed write.
StorageStatus Store::Impl::RecoverWrites() {
  if (!write_failed_) return StorageStatus::Ok();

  // Resume clears RocksDB's background error (it flushes the memtables
  // first, which needs disk space) and is a no-op when there is none. The
  // probe then shows that a write really goes through again. The default
  // family holds nothing else, so the probe key collides with no data.
  rocksdb::Status status = db_->Resume();
  if (status.ok()) {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    std::string probe;
    PutBigEndian64(&probe, static_cast<uint64_t>(now_ms));
    status = db_->Put(write_options_, Family(kDefaultFamily), "uptake.write-probe", probe);
  }

  std::lock_guard<std::mutex> lock(health_mutex_);
  if (!status.ok()) {
    write_failure_ = status.ToString();
    return StorageStatus::Unavailable("writes still fail: " + write_failure_);
  }
  write_failure_.clear();
  write_failed_ = false;
  return StorageStatus::Ok();
}

StoreWriteStats Store::Impl::WriteStats() const {
  StoreWriteStats stats;
  stats.commits = commits_.load();
  stats.wal_syncs = attachments_.statistics->getTickerCount(rocksdb::WAL_FILE_SYNCED);
  return stats;
}

}  // namespace uptake
