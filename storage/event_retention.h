// Expiry of old events from the event log by RocksDB compaction.

#ifndef UPTAKE_STORAGE_EVENT_RETENTION_H_
#define UPTAKE_STORAGE_EVENT_RETENTION_H_

#include <rocksdb/compaction_filter.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>

#include "storage/store.h"

namespace uptake {

// Drops event-log records whose event time (timestamp_ms) is more than
// `retention_ms` before now, and empties the bodies of such events in
// records that keep others. The dedup mark of an event at or after the
// spill boundary (see store_dedup.cc) is kept only in its record. Such an
// event also stays until the dedup retention from its receive time has
// passed, so that a resend is still found after a restart. A record that cannot be decoded
// is kept, so a format this build does not know is never lost. A retention
// of 0 keeps everything. Thread-safe, as RocksDB requires of a shared
// filter.
class EventRetentionFilter : public rocksdb::CompactionFilter {
 public:
  EventRetentionFilter(int64_t retention_ms, int64_t dedup_retention_ms, RetentionClock clock)
      : retention_ms_(retention_ms), dedup_retention_ms_(dedup_retention_ms), clock_(clock) {}

  // Records keyed at or after `sequence` hold the only copy of their dedup
  // marks. Until the first call, every record is taken to.
  void SetSpillBoundary(uint64_t sequence) {
    spill_boundary_.store(sequence, std::memory_order_release);
  }

  // Moves the newest event time forward to `time_ms` (kNewestEvent only).
  // Until the first call nothing expires, since now is not known.
  void ObserveEventTime(int64_t time_ms);

  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& existing_value,
              std::string* new_value, bool* value_changed) const override;

  const char* Name() const override { return "uptake.EventRetention"; }

 private:
  static constexpr int64_t kUnknownTime = std::numeric_limits<int64_t>::min();

  const int64_t retention_ms_;
  const int64_t dedup_retention_ms_;
  const RetentionClock clock_;
  std::atomic<uint64_t> spill_boundary_{0};
  std::atomic<int64_t> newest_event_ms_{kUnknownTime};
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_EVENT_RETENTION_H_
