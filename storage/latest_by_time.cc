#include "storage/latest_by_time.h"

#include "storage/keys.h"

namespace uptake {
namespace {

constexpr size_t kTimeSize = 8;

int64_t TimeOf(const rocksdb::Slice& timed_value) {
  return static_cast<int64_t>(DecodeBigEndian64(timed_value.data()));
}

}  // namespace

std::string EncodeTimedValue(int64_t time_ms, std::string_view value) {
  std::string timed_value;
  timed_value.reserve(kTimeSize + value.size());
  PutBigEndian64(&timed_value, static_cast<uint64_t>(time_ms));
  timed_value.append(value);
  return timed_value;
}

std::optional<std::string_view> TimedValuePayload(std::string_view timed_value) {
  if (timed_value.size() < kTimeSize) return std::nullopt;
  return timed_value.substr(kTimeSize);
}

std::optional<int64_t> TimedValueTime(std::string_view timed_value) {
  if (timed_value.size() < kTimeSize) return std::nullopt;
  return TimeOf(rocksdb::Slice(timed_value.data(), timed_value.size()));
}

bool LatestByTimeMergeOperator::Merge(const rocksdb::Slice& /*key*/,
                                      const rocksdb::Slice* existing_value,
                                      const rocksdb::Slice& value, std::string* new_value,
                                      rocksdb::Logger* /*logger*/) const {
  if (value.size() < kTimeSize) return false;
  if (existing_value == nullptr) {
    new_value->assign(value.data(), value.size());
    return true;
  }
  if (existing_value->size() < kTimeSize) return false;

  // RocksDB passes the older side as `existing_value`, so `>=` lets the
  // later write win a tie.
  const rocksdb::Slice& winner = TimeOf(value) >= TimeOf(*existing_value) ? value : *existing_value;
  new_value->assign(winner.data(), winner.size());
  return true;
}

}  // namespace uptake
