// Everything uptake keeps in RocksDB: the event log, dedup marks, account
// traits, user-to-account links, alerts and silences.

#ifndef UPTAKE_STORAGE_STORE_H_
#define UPTAKE_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/event.h"
#include "storage/outbox_entry.h"
#include "storage/pending_links.h"
#include "storage/status.h"

namespace uptake {

// Compression of the event log's tables.
enum class EventLogCompression {
  // LZ4 in the upper levels and ZSTD at the bottom, where most records stay:
  // the smallest on disk, but compactions compress every event again.
  kZstdAtBottom,
  // LZ4 at every level. The log's keys only grow, so compactions move its
  // files down unchanged, at about a quarter more disk.
  kLz4,
};

// The clock that event retention measures age by (StoreOptions).
enum class RetentionClock {
  kWall,         // the wall clock at compaction time
  kNewestEvent,  // the newest event time in the log, as `clock: event` reads it
};

struct StoreOptions {
  // Create the database when the folder contains none. Default: true.
  bool create_if_missing = true;

  // Dedup marks whose request arrived longer ago than this, by the wall
  // clock, are dropped at compaction, after which a resend is stored again.
  // Default: 7 days.
  int64_t dedup_retention_ms = 7LL * 24 * 3600 * 1000;

  // Dedup marks of recent commits are held in memory, 32 bytes each at
  // most. Once this many have gathered, they are written to the dedup
  // column family as one sorted file in the background. Until then they are
  // recoverable from the event log, which contains every message id. At the
  // default the memory for marks stays under about 130 MB. Default: 2
  // million.
  size_t dedup_memory_marks = 2'000'000;

  // Sync the write-ahead log to disk before a write returns (the `fsync`
  // durability mode). Concurrent writes share one sync: RocksDB joins them
  // in a write group whose leader writes and syncs the log for all. Without
  // it a returned write has reached the OS page cache, which survives a
  // crash of the process but not of the machine. Default: false.
  bool sync_writes = false;

  // Compression of the event log. Changing it affects only tables written
  // afterwards. Default: kZstdAtBottom.
  EventLogCompression event_log_compression = EventLogCompression::kZstdAtBottom;

  // Log records whose event time is older than this, by `retention_clock`
  // at compaction time, are dropped by compaction. An event whose dedup
  // mark is still read back from its record at open is kept until
  // dedup_retention_ms after its receive time too. 0 keeps every event.
  // Default: 0.
  int64_t event_retention_ms = 0;
  RetentionClock retention_clock = RetentionClock::kWall;

  // Commits fail with kUnavailable, before reaching RocksDB, while the
  // filesystem of the database folder has fewer free bytes than this. The
  // reserve keeps room for flushes and compactions, and keeps RocksDB's
  // own out-of-space path (see store_open.cc) for disks filled by another
  // process. 0 turns the check off. Default: 0.
  uint64_t min_free_bytes = 0;
};

// Counters of the write path since the store was opened.
struct StoreWriteStats {
  uint64_t commits = 0;    // Commit calls that wrote a batch
  uint64_t wal_syncs = 0;  // syncs of the write-ahead log (fsync mode only)
};

// Result of committing one event.
enum class CommitOutcome : uint8_t {
  kStored,     // new: written to the log and counted
  kDuplicate,  // (write key, message id) was already stored
};

// Size figures of one column family, from RocksDB properties.
struct ColumnFamilyStats {
  std::string name;
  uint64_t live_data_bytes = 0;  // rocksdb.estimate-live-data-size
  uint64_t sst_files_bytes = 0;  // rocksdb.total-sst-files-size
};

// RocksDB figures for the metrics endpoint. A property RocksDB cannot
// report stays 0.
struct StoreStats {
  bool write_stopped = false;  // rocksdb.is-write-stopped
  uint64_t delayed_write_rate =
      0;                         // rocksdb.actual-delayed-write-rate, bytes/s; 0 when not delayed
  uint64_t write_stops = 0;      // times writes were stopped, summed over column families
  uint64_t write_slowdowns = 0;  // times writes were slowed down, summed likewise
  std::vector<ColumnFamilyStats> families;
};

// Owns the RocksDB instance. All methods are thread-safe.
class Store {
 public:
  // Opens or creates the database in `dir`. Errors: kInvalid for a path that
  // cannot be created, kUnavailable for I/O failures, kCorruption when the
  // database cannot be recovered.
  static StorageStatus Open(const std::string& dir, const StoreOptions& options,
                            std::unique_ptr<Store>* store);

  ~Store();

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Commits the events of one request under `write_key` in one WriteBatch
  // with the WAL on: each new event goes to the log with its dedup mark;
  // group calls also merge the account's traits and the user's account link,
  // identify calls the user's traits, each key keeping the value with the
  // latest event time. An event whose (write key, message id) is already
  // stored, or repeats an earlier event of the same call, is a duplicate
  // and writes nothing. Concurrent calls carrying the same id store it once:
  // the dedup check and the write happen under a lock striped by the id.
  //
  // Returns one outcome per event, in order, in `outcomes`. On error nothing
  // was written and `outcomes` is left empty.
  StorageStatus Commit(std::string_view write_key, std::span<const Event> events,
                       std::vector<CommitOutcome>* outcomes);

  // Looks up the account `user_id` was last attached to by a group call (the
  // latest by event time). An id with no link of its own that an alias or
  // identify call tied to a user (see AliasWritten in storage/keys.h; the
  // latest by event time wins) takes that user's link. Sets `account_id` to
  // nullopt when there is none.
  StorageStatus LookupUserAccount(std::string_view user_id, std::optional<std::string>* account_id);

  // Like LookupUserAccount, with the links and aliases noted in `pending`
  // counted as stored. For one id, the later of the noted and the stored
  // one by event time wins, the noted one on a tie.
  StorageStatus LookupUserAccount(std::string_view user_id, const PendingLinks& pending,
                                  std::optional<std::string>* account_id);

  // Calls `visit` on every stored event in log order (arrival order). Stops
  // and returns kCorruption if a record cannot be decoded.
  StorageStatus ForEachEvent(const std::function<void(const Event&)>& visit);

  // Like ForEachEvent, from the event with sequence `first_sequence` on.
  StorageStatus ForEachEventFrom(uint64_t first_sequence,
                                 const std::function<void(const Event&)>& visit);

  // Returns the sequence the next committed event gets. With no Commit in
  // progress, every event committed so far has a lower sequence, so this
  // is the log position an aggregate snapshot covers up to.
  uint64_t NextEventSequence() const;

  // Raises the next event sequence to at least `sequence`. Called with a
  // loaded snapshot's position, because when retention has dropped the
  // newest records the log alone would hand out sequences the snapshot
  // already covers, and the next restart would skip those events.
  void AdvanceEventSequence(uint64_t sequence);

  // Syncs RocksDB's write-ahead log to disk, so the events an aggregate
  // snapshot covers are durable before the snapshot is: otherwise a power
  // loss in `wal` durability mode could keep a snapshot that counts events
  // whose dedup marks were lost.
  StorageStatus SyncLog();

  // Writes or overwrites the alert record `id` with `json`.
  StorageStatus PutAlert(uint64_t id, std::string_view json);

  // Calls `visit` with each stored alert in id order.
  StorageStatus ForEachAlert(const std::function<void(uint64_t id, std::string_view json)>& visit);

  // Returns up to `limit` alert records with id greater than `after_id`, in
  // id order.
  StorageStatus ListAlerts(uint64_t after_id, size_t limit,
                           std::vector<std::pair<uint64_t, std::string>>* alerts);

  // Reads one alert record. Sets `json` to nullopt when there is none.
  StorageStatus GetAlert(uint64_t id, std::optional<std::string>* json);

  // Writes alert record `alert_id`, change `seq` of the alert change log and
  // the webhook deliveries `outbox` in one WriteBatch, so a change is never
  // stored without its deliveries. Callers give strictly increasing seqs.
  StorageStatus RecordAlertChange(uint64_t seq, uint64_t alert_id, std::string_view alert_json,
                                  std::string_view change_json,
                                  std::span<const OutboxEntry> outbox = {});

  // Returns up to `limit` outbox entries of `webhook` with seq greater than
  // `after_seq`, in seq order. kCorruption when a value cannot be decoded.
  StorageStatus ReadOutbox(std::string_view webhook, uint64_t after_seq, size_t limit,
                           std::vector<OutboxEntry>* entries);

  // Overwrites the entry's attempt count and next attempt time.
  StorageStatus UpdateOutboxEntry(const OutboxEntry& entry);

  // Deletes the entry (webhook, seq). Deleting an absent entry is not an
  // error.
  StorageStatus DeleteOutboxEntry(std::string_view webhook, uint64_t seq);

  // Returns up to `limit` changes with seq greater than `after_seq`, in seq
  // order.
  StorageStatus ReadAlertChanges(uint64_t after_seq, size_t limit,
                                 std::vector<std::pair<uint64_t, std::string>>* changes);

  // Sets the oldest and newest seq still in the change log; both 0 when it
  // is empty.
  StorageStatus AlertChangeBounds(uint64_t* oldest_seq, uint64_t* newest_seq);

  // Deletes the changes with seq below `keep_from_seq` (a range delete, so
  // the cost does not grow with the number removed).
  StorageStatus TrimAlertChanges(uint64_t keep_from_seq);

  // Compacts every column family now, which also drops expired dedup marks.
  // RocksDB compacts on its own as data grows; this is for operators and
  // tests that need the expiry to happen at a known moment.
  StorageStatus Compact();

  // Writes or overwrites the silence record `id` with `json`.
  StorageStatus PutSilence(uint64_t id, std::string_view json);

  // Calls `visit` with each stored silence in id order. kCorruption when a
  // key is not an 8-byte id.
  StorageStatus ForEachSilence(
      const std::function<void(uint64_t id, std::string_view json)>& visit);

  // Returns Ok while writes succeed. After a failed write it returns
  // kUnavailable with the failure's message until RecoverWrites succeeds,
  // and while free disk space is below StoreOptions::min_free_bytes.
  StorageStatus WriteHealth() const;

  // After a failed write, asks RocksDB to resume from its background error
  // (a full disk or an I/O error stops all writes until then) and writes a
  // small probe record. Returns Ok, and WriteHealth becomes Ok, when the
  // probe is stored. Does nothing and returns Ok while writes are healthy.
  StorageStatus RecoverWrites();

  StoreWriteStats WriteStats() const;

  // Fills `stats` from RocksDB properties. Cheap: no data is read.
  void GetStats(StoreStats* stats);

  // Counts the outbox entries of `webhook` still to be delivered. Reads
  // every such key, so the cost grows with the backlog.
  StorageStatus CountOutbox(std::string_view webhook, uint64_t* count);

  // Writes the write-ahead log to disk and fsyncs it, so every acknowledged
  // write survives a power loss from here on. Called at shutdown.
  StorageStatus SyncWal();

  // Returns the merged traits of an account as a JSON object text ("{}" when
  // none are stored).
  StorageStatus GetAccountTraits(std::string_view account_id, std::string* json);

 private:
  class Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_STORE_H_
