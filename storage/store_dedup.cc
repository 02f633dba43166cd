// The dedup marks: held in memory for recent commits, spilled to the dedup
// column family as sorted table files, read back from the event log at
// open.
//
// Why: a mark per event written through the memtable costs a random insert
// into a skip list of about a million keys, which capped one core at about
// 200,000 events/s before anything else was done. A commit's marks are
// its message ids, already in its log record, so the write batch that
// stores the events stores the marks too. For lookups they are kept in
// memory until a background spill writes a whole set at once, sorted,
// without the memtable.
//
// Invariant: every event with sequence below the recorded spill boundary
// has its mark in the dedup family. Every later one has it in memory or in
// the family. Open restores the second half by reading the log from the
// boundary.

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include <rocksdb/sst_file_writer.h>

#include "storage/keys.h"
#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"

namespace uptake {
namespace {

// Default-family keys of the dedup state.
constexpr char kDedupSeedKey[] = "uptake.dedup-seed";
constexpr char kLegacyDedupKey[] = "uptake.dedup-legacy-keys";
constexpr char kSpillBoundaryKey[] = "uptake.dedup-spill-boundary";

// A clean close spills the marks in memory when there are at least this
// many, so the next open reads little of the log back. Fewer are cheaper
// to read back than to write as a file.
constexpr size_t kSpillAtCloseMinimum = 100'000;

// Niceness of the spill thread (Linux gives each thread its own).
constexpr int kSpillThreadNice = 10;

// How long the spill thread waits before retrying a failed spill.
constexpr auto kSpillRetryDelay = std::chrono::seconds(1);

uint64_t RandomSeed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

uint64_t Store::Impl::ReserveSequences(uint64_t count) {
  std::lock_guard<std::mutex> lock(dedup_mutex_);
  const uint64_t first = next_sequence_.fetch_add(count);
  in_flight_.insert(first);
  return first;
}

void Store::Impl::FinishCommit(std::optional<uint64_t> first_sequence, bool written,
                               const std::vector<DedupFingerprint>& claimed,
                               const std::vector<DedupFingerprint>& fingerprints,
                               const std::vector<CommitOutcome>& outcomes, int64_t received_ms) {
  std::lock_guard<std::mutex> lock(dedup_mutex_);
  if (first_sequence.has_value()) in_flight_.erase(in_flight_.find(*first_sequence));
  if (written) {
    for (size_t i = 0; i < fingerprints.size(); ++i) {
      if (outcomes[i] == CommitOutcome::kStored) active_marks_.Prefetch(fingerprints[i]);
    }
    for (size_t i = 0; i < fingerprints.size(); ++i) {
      if (outcomes[i] == CommitOutcome::kStored) {
        active_marks_.Insert(fingerprints[i], received_ms);
      }
    }
    if (active_marks_.size() >= dedup_memory_marks_) SealActiveMarksLocked();
  }
  if (claimed.empty()) return;
  for (const DedupFingerprint& fingerprint : claimed) claims_.erase(fingerprint);
  claim_released_.notify_all();
}

void Store::Impl::SealActiveMarksLocked() {
  if (sealed_marks_ != nullptr || active_marks_.size() == 0) return;
  // Marks added from now on belong to commits that are in flight or have
  // not reserved their sequences yet, so all of them are at or after this.
  sealed_boundary_ = in_flight_.empty() ? next_sequence_.load() : *in_flight_.begin();
  sealed_marks_ = std::make_unique<FingerprintSet>(std::move(active_marks_));
  active_marks_ = FingerprintSet(dedup_memory_marks_);
  spill_wakeup_.notify_all();
}

StorageStatus Store::Impl::SpillMarks(const FingerprintSet& marks, uint64_t boundary) {
  if (marks.size() > 0) {
    const std::string path = dir_ + "/dedup-spill.sst";
    std::error_code ignored;
    std::filesystem::remove(path, ignored);

    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), db_->GetOptions(Family(kDedupFamily)));
    rocksdb::Status status = writer.Open(path);
    // Every mark of the set gets the newest receive time of the set, so no
    // mark expires before its own retention ends.
    std::string value;
    PutBigEndian64(&value, static_cast<uint64_t>(marks.newest_received_ms()));
    for (const DedupFingerprint& fingerprint : marks.Sorted()) {
      if (!status.ok()) break;
      const FingerprintKeyBytes key = EncodeFingerprintKey(fingerprint);
      status = writer.Put(rocksdb::Slice(key.data(), key.size()), value);
    }
    if (status.ok()) status = writer.Finish();
    if (status.ok()) {
      rocksdb::IngestExternalFileOptions ingest;
      ingest.move_files = true;
      status = db_->IngestExternalFile(Family(kDedupFamily), {path}, ingest);
    }
    std::filesystem::remove(path, ignored);
    if (!status.ok()) return FromRocksDbStatus("spill dedup marks", status);
  }

  std::string encoded;
  PutBigEndian64(&encoded, boundary);
  const StorageStatus recorded = FromRocksDbStatus(
      "record dedup spill boundary",
      db_->Put(write_options_, Family(kDefaultFamily), kSpillBoundaryKey, encoded));
  if (recorded.ok() && attachments_.retention_filter != nullptr) {
    attachments_.retention_filter->SetSpillBoundary(boundary);
  }
  return recorded;
}

void Store::Impl::RunSpills() {
  // Sorting and writing a set takes a few hundred milliseconds of CPU. On a
  // busy core, request handling goes first. Failure leaves the default.
  const int ignored =
      setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kSpillThreadNice);
  static_cast<void>(ignored);

  std::unique_lock<std::mutex> lock(dedup_mutex_);
  while (true) {
    spill_wakeup_.wait(lock, [this] { return stopping_ || sealed_marks_ != nullptr; });
    if (stopping_) return;

    // Only this thread resets sealed_marks_, so it stays valid unlocked.
    const FingerprintSet* sealed = sealed_marks_.get();
    const uint64_t boundary = sealed_boundary_;
    lock.unlock();
    const StorageStatus status = SpillMarks(*sealed, boundary);
    lock.lock();

    if (!status.ok()) {
      // The marks stay in memory and are looked up there meanwhile.
      spill_wakeup_.wait_for(lock, kSpillRetryDelay, [this] { return stopping_; });
      continue;
    }
    sealed_marks_.reset();
    spill_done_.notify_all();
    if (active_marks_.size() >= dedup_memory_marks_) SealActiveMarksLocked();
  }
}

void Store::Impl::SpillAllMarks() {
  std::unique_lock<std::mutex> lock(dedup_mutex_);
  // Two rounds: a set sealed before the call, then the active one. Commits
  // running meanwhile may leave marks in memory.
  for (int round = 0; round < 2; ++round) {
    SealActiveMarksLocked();
    spill_done_.wait(lock, [this] { return stopping_ || sealed_marks_ == nullptr; });
  }
}

StorageStatus Store::Impl::LoadDedupMarks() {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), Family(kDefaultFamily), kDedupSeedKey, &value);
  if (status.ok() && value.size() == 8) {
    dedup_seed_ = DecodeBigEndian64(value.data());
    status = db_->Get(rocksdb::ReadOptions(), Family(kDefaultFamily), kLegacyDedupKey, &value);
    if (!status.ok() && !status.IsNotFound()) {
      return FromRocksDbStatus("read dedup layout", status);
    }
    legacy_dedup_keys_ = status.ok();
  } else if (status.ok() || status.IsNotFound()) {
    // A database without a seed is new, or was made by an uptake that
    // keyed marks by the message id itself. Such older marks keep being
    // checked until they expire.
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), Family(kDedupFamily)));
    it->SeekToFirst();
    if (!it->status().ok()) return FromRocksDbStatus("read dedup marks", it->status());
    legacy_dedup_keys_ = it->Valid();

    dedup_seed_ = RandomSeed();
    rocksdb::WriteBatch batch;
    std::string encoded;
    PutBigEndian64(&encoded, dedup_seed_);
    status = batch.Put(Family(kDefaultFamily), kDedupSeedKey, encoded);
    if (status.ok() && legacy_dedup_keys_) {
      status = batch.Put(Family(kDefaultFamily), kLegacyDedupKey, "1");
    }
    if (status.ok() && legacy_dedup_keys_) {
      // The marks of everything logged so far are in the family under the
      // older keys, so none has to be read back into memory.
      std::string boundary;
      PutBigEndian64(&boundary, next_sequence_.load());
      status = batch.Put(Family(kDefaultFamily), kSpillBoundaryKey, boundary);
    }
    if (status.ok()) status = db_->Write(write_options_, &batch);
    if (!status.ok()) return FromRocksDbStatus("record dedup seed", status);
  } else {
    return FromRocksDbStatus("read dedup seed", status);
  }

  uint64_t boundary = 0;
  status = db_->Get(rocksdb::ReadOptions(), Family(kDefaultFamily), kSpillBoundaryKey, &value);
  if (status.ok() && value.size() == 8) {
    boundary = DecodeBigEndian64(value.data());
  } else if (!status.ok() && !status.IsNotFound()) {
    return FromRocksDbStatus("read dedup spill boundary", status);
  }

  if (attachments_.retention_filter != nullptr) {
    attachments_.retention_filter->SetSpillBoundary(boundary);
  }
  StorageStatus loaded = ForEachLoggedEventFrom(boundary, [this](uint64_t,
                                                                 const LoggedEvent& logged) {
    const uint64_t key_seed = DedupKeySeed(dedup_seed_, logged.write_key);
    active_marks_.Insert(Fingerprint(key_seed, logged.event.message_id), logged.event.received_ms);
  });
  if (!loaded.ok()) return loaded;

  std::lock_guard<std::mutex> lock(dedup_mutex_);
  if (active_marks_.size() >= dedup_memory_marks_) SealActiveMarksLocked();
  spill_thread_ = std::thread([this] { RunSpills(); });
  return StorageStatus::Ok();
}

void Store::Impl::StopDedupSpills() {
  {
    std::lock_guard<std::mutex> lock(dedup_mutex_);
    stopping_ = true;
    spill_wakeup_.notify_all();
  }
  if (spill_thread_.joinable()) spill_thread_.join();

  // No commit runs any more. A failure here only means the next open reads
  // more of the log back.
  if (sealed_marks_ != nullptr) {
    if (!SpillMarks(*sealed_marks_, sealed_boundary_).ok()) return;
    sealed_marks_.reset();
  }
  if (active_marks_.size() >= kSpillAtCloseMinimum) {
    const StorageStatus spilled = SpillMarks(active_marks_, next_sequence_.load());
    static_cast<void>(spilled);
  }
}

}  // namespace uptake
