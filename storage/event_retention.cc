#include "storage/event_retention.h"

#include <chrono>
#include <optional>
#include <string_view>

#include "storage/event_codec.h"

namespace uptake {

bool EventRetentionFilter::Filter(int /*level*/, const rocksdb::Slice& /*key*/,
                                  const rocksdb::Slice& existing_value, std::string* /*new_value*/,
                                  bool* /*value_changed*/) const {
  if (retention_ms_ <= 0) return false;
  const std::optional<int64_t> event_ms =
      DecodeEventTime(std::string_view(existing_value.data(), existing_value.size()));
  if (!event_ms.has_value()) return false;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  return *event_ms < now_ms - retention_ms_;
}

}  // namespace uptake
