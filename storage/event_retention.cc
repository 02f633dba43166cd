#include "storage/event_retention.h"

#include <chrono>
#include <optional>
#include <string_view>

#include "storage/event_codec.h"
#include "storage/keys.h"

namespace uptake {
namespace {

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void EventRetentionFilter::ObserveEventTime(int64_t time_ms) {
  int64_t newest = newest_event_ms_.load(std::memory_order_relaxed);
  while (time_ms > newest &&
         !newest_event_ms_.compare_exchange_weak(newest, time_ms, std::memory_order_relaxed)) {
  }
}

bool EventRetentionFilter::Filter(int /*level*/, const rocksdb::Slice& key,
                                  const rocksdb::Slice& existing_value, std::string* new_value,
                                  bool* value_changed) const {
  if (retention_ms_ <= 0) return false;
  const int64_t wall_ms = WallMs();
  int64_t now_ms = wall_ms;
  if (clock_ == RetentionClock::kNewestEvent) {
    now_ms = newest_event_ms_.load(std::memory_order_relaxed);
    if (now_ms == kUnknownTime) return false;
  }

  // Receive times are wall-clock times under either clock.
  std::optional<int64_t> marks_received_since_ms;
  const bool after_boundary =
      key.size() != 8 ||
      DecodeBigEndian64(key.data()) >= spill_boundary_.load(std::memory_order_acquire);
  if (after_boundary) marks_received_since_ms = wall_ms - dedup_retention_ms_;

  switch (ApplyRetention(std::string_view(existing_value.data(), existing_value.size()),
                         now_ms - retention_ms_, marks_received_since_ms, new_value)) {
    case RecordRetention::kKeep:
      return false;
    case RecordRetention::kDrop:
      return true;
    case RecordRetention::kRewrite:
      *value_changed = true;
      return false;
  }
  return false;
}

}  // namespace uptake
