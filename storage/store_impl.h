// The RocksDB-backed implementation behind Store. Split by concern across
// store_open.cc, store_commit.cc, store_read.cc, store_alerts.cc and
// store_silences.cc, and store_stats.cc.

#ifndef UPTAKE_STORAGE_STORE_IMPL_H_
#define UPTAKE_STORAGE_STORE_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/statistics.h>
#include <rocksdb/write_batch.h>

#include "storage/dedup_expiry.h"
#include "storage/dedup_index.h"
#include "storage/event_codec.h"
#include "storage/event_retention.h"
#include "storage/store.h"

namespace uptake {

// Column families, in the order they are opened. RocksDB requires the
// default family to be opened although uptake writes nothing to it.
enum ColumnFamilyIndex : size_t {
  kDefaultFamily = 0,
  kEventsFamily,
  kDedupFamily,
  kAccountsFamily,
  kUsersFamily,
  kAlertsFamily,
  kAlertChangesFamily,
  kOutboxFamily,
  kSilencesFamily,
  kFamilyCount,
};

// Methods mirror Store's and keep its contracts. Thread-safe.
class Store::Impl {
 public:
  static StorageStatus Open(const std::string& dir, const StoreOptions& options,
                            std::unique_ptr<Impl>* impl);

  // Stops the spill thread, writes out the dedup marks held in memory when
  // there are many, releases the column family handles, then closes the
  // database.
  ~Impl();

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  StorageStatus Commit(std::string_view write_key, std::span<const Event> events,
                       std::vector<CommitOutcome>* outcomes);
  StorageStatus LookupUserAccount(std::string_view user_id, const PendingLinks& pending,
                                  std::optional<std::string>* account_id);
  StorageStatus ForEachEventFrom(uint64_t first_sequence,
                                 const std::function<void(const Event&)>& visit);
  uint64_t NextEventSequence() const { return next_sequence_.load(); }
  void AdvanceEventSequence(uint64_t sequence);
  StorageStatus SyncLog();
  StorageStatus GetAccountTraits(std::string_view account_id, std::string* json);

  StorageStatus PutAlert(uint64_t id, std::string_view json);
  StorageStatus ForEachAlert(const std::function<void(uint64_t id, std::string_view json)>& visit);
  StorageStatus ListAlerts(uint64_t after_id, size_t limit,
                           std::vector<std::pair<uint64_t, std::string>>* alerts);
  StorageStatus Compact();
  StorageStatus RecordAlertChange(uint64_t seq, uint64_t alert_id, std::string_view alert_json,
                                  std::string_view change_json,
                                  std::span<const OutboxEntry> outbox);
  StorageStatus ReadOutbox(std::string_view webhook, uint64_t after_seq, size_t limit,
                           std::vector<OutboxEntry>* entries);
  StorageStatus UpdateOutboxEntry(const OutboxEntry& entry);
  StorageStatus DeleteOutboxEntry(std::string_view webhook, uint64_t seq);
  StorageStatus ReadAlertChanges(uint64_t after_seq, size_t limit,
                                 std::vector<std::pair<uint64_t, std::string>>* changes);
  StorageStatus AlertChangeBounds(uint64_t* oldest_seq, uint64_t* newest_seq);
  StorageStatus TrimAlertChanges(uint64_t keep_from_seq);
  StorageStatus GetAlert(uint64_t id, std::optional<std::string>* json);
  StorageStatus PutSilence(uint64_t id, std::string_view json);
  StorageStatus ForEachSilence(
      const std::function<void(uint64_t id, std::string_view json)>& visit);
  StorageStatus WriteHealth() const;
  StorageStatus RecoverWrites();
  StoreWriteStats WriteStats() const;
  void GetStats(StoreStats* stats);
  StorageStatus CountOutbox(std::string_view webhook, uint64_t* count);
  StorageStatus SyncWal();

 private:
  // The compaction filters and statistics the open database refers to.
  struct Attachments {
    std::unique_ptr<DedupExpiryFilter> dedup_filter;
    std::unique_ptr<EventRetentionFilter> retention_filter;
    std::shared_ptr<rocksdb::Statistics> statistics;
  };

  Impl(const std::string& dir, const StoreOptions& options, Attachments attachments,
       std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> families);

  // Returns kUnavailable while the database folder's filesystem has fewer
  // than min_free_bytes_ free bytes (for an unprivileged user).
  StorageStatus CheckFreeSpace() const;

  // Returns `status` after remembering a failure, which makes WriteHealth
  // report it until RecoverWrites succeeds. Every write goes through it.
  rocksdb::Status Checked(rocksdb::Status status);

  rocksdb::ColumnFamilyHandle* Family(ColumnFamilyIndex index) const { return families_[index]; }

  // Reads a users-family value written through the latest-by-time merge and
  // sets `payload` to the later of it and `noted` (which may be null),
  // without the time, or to nullopt when neither exists.
  StorageStatus ReadLatest(const std::string& key, std::string_view what,
                           const PendingLinks::Entry* noted, std::optional<std::string>* payload);

  // Sets next_sequence_ to one past the last event of the event log.
  StorageStatus RecoverNextSequence();

  // Calls `visit` with each event of the log from `first_sequence` on and
  // its sequence.
  StorageStatus ForEachLoggedEventFrom(
      uint64_t first_sequence,
      const std::function<void(uint64_t sequence, const LoggedEvent&)>& visit);

  // Reads or creates the dedup seed, then puts the marks of the commits
  // not yet spilled, read back from the event log, into memory. Starts the
  // spill thread. Called once by Open. (store_dedup.cc)
  StorageStatus LoadDedupMarks();

  // Sets one outcome per fingerprint: kDuplicate when the mark is already
  // stored, in memory or in the dedup family, or repeats an earlier
  // fingerprint of the list, else kStored. `message_ids` are checked under
  // the pre-fingerprint key layout too when the database was made by an
  // older uptake. Every fingerprint not found in memory is claimed and added
  // to `claimed`, after waiting for any other commit that has a claim on
  // one of them; the caller hands `claimed` to FinishCommit. On error
  // nothing stays claimed.
  StorageStatus ClassifyEvents(std::string_view write_key, std::span<const Event> events,
                               const std::vector<DedupFingerprint>& fingerprints,
                               std::vector<CommitOutcome>* outcomes,
                               std::vector<DedupFingerprint>* claimed);

  // Reserves `count` sequences and records them as in flight until
  // FinishCommit.
  uint64_t ReserveSequences(uint64_t count);

  // Ends a commit: drops its in-flight sequences (when it reserved any,
  // starting at `first_sequence`) and its claims. After a successful write,
  // adds the marks of the stored events to memory, before the claims go,
  // and seals the in-memory set when it is full.
  void FinishCommit(std::optional<uint64_t> first_sequence, bool written,
                    const std::vector<DedupFingerprint>& claimed,
                    const std::vector<DedupFingerprint>& fingerprints,
                    const std::vector<CommitOutcome>& outcomes, int64_t received_ms);

  // Moves active_marks_ to sealed_marks_ and wakes the spill thread, if
  // nothing is sealed yet. Needs dedup_mutex_.
  void SealActiveMarksLocked();

  // Writes `marks` as one sorted table file, ingests it into the dedup
  // family and records `boundary` as the sequence from which marks must be
  // read back from the log at the next open.
  StorageStatus SpillMarks(const FingerprintSet& marks, uint64_t boundary);

  // The spill thread: spills each sealed set, then drops it from memory.
  void RunSpills();

  // Spills the marks held in memory and waits until they are in the dedup
  // family. For Compact.
  void SpillAllMarks();

  // Stops the spill thread, then spills what is sealed and, when there are
  // kSpillAtCloseMinimum or more, the active marks. For the destructor.
  void StopDedupSpills();

  // Adds each entry of `outbox` to the outbox family.
  rocksdb::Status AddOutboxEntries(std::span<const OutboxEntry> outbox, rocksdb::WriteBatch* batch);

  // Adds the trait and account-link merges of identify and group calls.
  rocksdb::Status AddStateMerges(const Event& event, rocksdb::WriteBatch* batch);

  // Immutable after Open. `families_` is indexed by ColumnFamilyIndex, owns
  // its handles and must be released before `db_` closes. The families refer
  // to the filters in `attachments_`, so it is declared first and outlives
  // `db_`.
  Attachments attachments_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;
  rocksdb::WriteOptions write_options_;
  const std::string dir_;
  const uint64_t min_free_bytes_;

  // The next free event-log key. Commit reserves a block with fetch_add under
  // its stripe locks, so concurrent commits with disjoint stripes may write
  // their blocks out of key order, but never the same key twice.
  std::atomic<uint64_t> next_sequence_{0};

  // The dedup marks held in memory (see dedup_index.h). Marks of commits
  // from sealed_boundary_ on are in active_marks_, sealed_marks_ or the
  // dedup family. Marks of earlier commits are in the dedup family once
  // sealed_marks_ is spilled. in_flight_ lists the first sequence of each
  // commit that reserved sequences and has not added its marks yet.
  uint64_t dedup_seed_ = 0;
  bool legacy_dedup_keys_ = false;  // marks keyed "write key NUL message id"
  size_t dedup_memory_marks_;
  std::mutex dedup_mutex_;
  FingerprintSet active_marks_;
  std::unique_ptr<FingerprintSet> sealed_marks_;
  uint64_t sealed_boundary_ = 0;
  std::multiset<uint64_t> in_flight_;
  // Marks of commits between their dedup check and the end of their write.
  // A commit that needs one of them waits on claim_released_.
  std::unordered_set<DedupFingerprint, DedupFingerprintHash> claims_;
  std::condition_variable claim_released_;
  bool stopping_ = false;
  std::condition_variable spill_wakeup_;
  std::condition_variable spill_done_;
  std::thread spill_thread_;

  std::atomic<uint64_t> commits_{0};

  // The message of the last failed write; empty while writes succeed.
  mutable std::mutex health_mutex_;
  std::string write_failure_;
  std::atomic<bool> write_failed_{false};
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_STORE_IMPL_H_
