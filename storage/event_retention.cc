#include "storage/event_retention.h"

#include <chrono>
#include <optional>
#include <string_view>

#include "storage/event_codec.h"

namespace uptake {

bool EventRetentionFilter::Filter(int /*level*/, const rocksdb::Slice& /*key*/,
                                  const rocksdb::Slice& existing_value, std::string* new_value,
                                  bool* value_changed) const {
  if (retention_ms_ <= 0) return false;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  switch (ApplyRetention(std::string_view(existing_value.data(), existing_value.size()),
                         now_ms - retention_ms_, new_value)) {
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
