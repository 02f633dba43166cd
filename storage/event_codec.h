// The binary record of one event in the event log.
//
// Layout: a format-version byte, then the write key, then every Event field
// except `feature`, which is recomputed from the catalog on replay. Strings
// are a varint length followed by their bytes, so NUL bytes survive. Times
// are zigzag varints because they are signed.

#ifndef UPTAKE_STORAGE_EVENT_CODEC_H_
#define UPTAKE_STORAGE_EVENT_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/event.h"

namespace uptake {

// An event read back from the log with the write key it was committed under.
struct LoggedEvent {
  std::string write_key;
  Event event;
};

// Encodes `event` and the `write_key` it arrived with as one log record.
std::string EncodeEvent(std::string_view write_key, const Event& event);

// Decodes a record written by EncodeEvent. The decoded `feature` is -1.
// Returns nullopt for a truncated record, trailing bytes, an unknown format
// version or an out-of-range enum value.
std::optional<LoggedEvent> DecodeEvent(std::string_view record);

// Reads only the event time (timestamp_ms) of a record written by
// EncodeEvent, without copying its strings; for the retention filter, which
// visits every record at compaction. Returns nullopt where DecodeEvent would
// fail before reaching the time.
std::optional<int64_t> DecodeEventTime(std::string_view record);

}  // namespace uptake

#endif  // UPTAKE_STORAGE_EVENT_CODEC_H_
