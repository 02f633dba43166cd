#include "storage/dedup_expiry.h"

#include <chrono>

#include "storage/keys.h"

namespace uptake {

bool DedupExpiryFilter::Filter(int /*level*/, const rocksdb::Slice& /*key*/,
                               const rocksdb::Slice& existing_value, std::string* /*new_value*/,
                               bool* /*value_changed*/) const {
  // Spilled marks hold the receive time alone; marks of older uptake
  // versions hold the event's sequence, then the receive time.
  int64_t received_ms;
  if (existing_value.size() == 8) {
    received_ms = static_cast<int64_t>(DecodeBigEndian64(existing_value.data()));
  } else if (existing_value.size() == 16) {
    received_ms = static_cast<int64_t>(DecodeBigEndian64(existing_value.data() + 8));
  } else {
    return false;
  }
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  return received_ms < now_ms - retention_ms_;
}

}  // namespace uptake
