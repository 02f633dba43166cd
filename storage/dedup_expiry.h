// Expiry of dedup marks by RocksDB compaction.

#ifndef UPTAKE_STORAGE_DEDUP_EXPIRY_H_
#define UPTAKE_STORAGE_DEDUP_EXPIRY_H_

#include <rocksdb/compaction_filter.h>

#include <cstdint>
#include <string>

namespace uptake {

// Drops dedup marks whose request arrived more than `retention_ms` before
// the wall clock at compaction time. A mark's value is the event's 8-byte
// sequence number followed by its 8-byte big-endian received_ms; a value of
// another size is kept. Thread-safe, as RocksDB requires of a shared filter.
class DedupExpiryFilter : public rocksdb::CompactionFilter {
 public:
  explicit DedupExpiryFilter(int64_t retention_ms) : retention_ms_(retention_ms) {}

  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& existing_value,
              std::string* new_value, bool* value_changed) const override;

  const char* Name() const override { return "uptake.DedupExpiry"; }

 private:
  const int64_t retention_ms_;
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_DEDUP_EXPIRY_H_
