// The merge operator behind traits and user-account links: of all values
// written to a key, the one with the latest event time wins, whatever order
// they arrived in. This avoids a read-modify-write per trait.

#ifndef UPTAKE_STORAGE_LATEST_BY_TIME_H_
#define UPTAKE_STORAGE_LATEST_BY_TIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rocksdb/merge_operator.h>

namespace uptake {

// Returns a merge operand: the event time as 8 big-endian bytes, then
// `value`.
std::string EncodeTimedValue(int64_t time_ms, std::string_view value);

// Returns the value part of an operand or merged value, or nullopt when it
// is shorter than the 8-byte time.
std::optional<std::string_view> TimedValuePayload(std::string_view timed_value);

// Returns the event time of an operand or merged value, or nullopt when it
// is shorter than the 8-byte time.
std::optional<int64_t> TimedValueTime(std::string_view timed_value);

// Keeps the operand with the greatest event time. On equal times the operand
// written later wins, so a key repeated inside one traits object keeps its
// last value, as most JSON parsers do. Merge returns false for an operand
// under 8 bytes, and RocksDB reports that as corruption.
class LatestByTimeMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  // Stored in the OPTIONS file: renaming it makes old databases unopenable.
  const char* Name() const override { return "uptake.LatestByTime"; }

  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* logger) const override;
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_LATEST_BY_TIME_H_
