// Builds Segment /v1/batch request bodies of "track" calls from GitHub
// events.

#ifndef UPTAKE_BENCH_SEGMENT_BATCH_H_
#define UPTAKE_BENCH_SEGMENT_BATCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "bench/gh_event.h"

namespace uptake {

// Re-times events by stretching their distance from `base_ms` by `factor`,
// so a few real hours can cover the day windows that churn rules look at.
class TimeScale {
 public:
  TimeScale(int64_t base_ms, double factor) : base_ms_(base_ms), factor_(factor) {}

  int64_t Apply(int64_t time_ms) const {
    return base_ms_ + static_cast<int64_t>(static_cast<double>(time_ms - base_ms_) * factor_);
  }

 private:
  int64_t base_ms_;
  double factor_;
};

// Accumulates track calls into one {"batch":[...]} body. Not thread-safe.
class SegmentBatch {
 public:
  // Appends the event as a track call: messageId "gh-<id>", userId the
  // actor, event the type, context.groupId the account, properties the
  // repo plus commits and action when present.
  void Add(const GhEvent& event, int64_t timestamp_ms);

  // Returns the finished body. The batch stays unchanged until Clear().
  std::string Body() const;

  void Clear();

  size_t size() const { return message_ids_.size(); }
  bool empty() const { return message_ids_.empty(); }
  // Bytes of the items so far, without the enclosing {"batch":[...]}.
  size_t item_bytes() const { return items_.size(); }
  // Message ids in batch order, to name the events the server rejects by index.
  const std::vector<std::string>& message_ids() const { return message_ids_; }

 private:
  std::string items_;
  std::vector<std::string> message_ids_;
};

// Appends `text` as a quoted JSON string, escaping per RFC 8259.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace uptake

#endif  // UPTAKE_BENCH_SEGMENT_BATCH_H_
