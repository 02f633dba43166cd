// Expiry of old events from the event log by RocksDB compaction.

#ifndef UPTAKE_STORAGE_EVENT_RETENTION_H_
#define UPTAKE_STORAGE_EVENT_RETENTION_H_

#include <rocksdb/compaction_filter.h>

#include <cstdint>
#include <string>

namespace uptake {

// Drops event-log records whose event time (timestamp_ms) is more than
// `retention_ms` before the wall clock at compaction time. A record that
// cannot be decoded is kept, so a format this build does not know is never
// lost. A retention of 0 keeps everything. Thread-safe, as RocksDB requires
// of a shared filter.
class EventRetentionFilter : public rocksdb::CompactionFilter {
 public:
  explicit EventRetentionFilter(int64_t retention_ms) : retention_ms_(retention_ms) {}

  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& existing_value,
              std::string* new_value, bool* value_changed) const override;

  const char* Name() const override { return "uptake.EventRetention"; }

 private:
  const int64_t retention_ms_;
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_EVENT_RETENTION_H_
