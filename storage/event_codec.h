// The binary records of the event log.
//
// A commit record (format version 2) contains every event one Commit stored:
// the version byte, the write key, a varint count, then per event a varint
// length and the event's body. An older single-event record (version 1) is
// the version byte, the write key and one body. A body contains every Event
// field except `feature`, which is recomputed from the catalog on replay.
// Strings are a varint length followed by their bytes, so NUL bytes survive.
// Times are zigzag varints because they are signed.

#ifndef UPTAKE_STORAGE_EVENT_CODEC_H_
#define UPTAKE_STORAGE_EVENT_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <functional>
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

// Encodes `event` and the `write_key` it arrived with as one single-event
// (version 1) record. The store writes commit records; this layout is kept
// so that logs written before them still read.
std::string EncodeEvent(std::string_view write_key, const Event& event);

// Builds one commit record: construct it with the write key and the number
// of events, Add exactly that many, then Finish.
class CommitRecordBuilder {
 public:
  CommitRecordBuilder(std::string_view write_key, size_t count);

  void Add(const Event& event);

  // Returns the record, or an empty string when Add was not called exactly
  // `count` times.
  std::string Finish() &&;

 private:
  std::string record_;
  std::string body_;  // scratch space for the body being added
  size_t expected_ = 0;
  size_t added_ = 0;
};

// Decodes a single-event record written by EncodeEvent. The decoded
// `feature` is -1. Returns nullopt for a truncated record, trailing bytes,
// an unknown format version or an out-of-range enum value.
std::optional<LoggedEvent> DecodeEvent(std::string_view record);

// Calls `visit` with the position and content of each event of a commit or
// single-event record, in order; the decoded `feature` is -1. Positions
// count from 0 and include events the retention filter dropped, which are
// not visited, so event i of a record keyed k has sequence k + i. Returns
// the number of positions, or nullopt, having visited nothing, for a
// truncated or damaged record or an unknown version.
std::optional<size_t> DecodeRecord(std::string_view record,
                                   const std::function<void(size_t, const LoggedEvent&)>& visit);

// The retention filter's decision for one record.
enum class RecordRetention {
  kKeep,     // nothing in it is older than the cutoff, or it cannot be read
  kDrop,     // every event in it is older than the cutoff
  kRewrite,  // some are, so `rewritten` is the record with their bodies emptied
};

// Decides a record's fate for events with event time before `cutoff_ms`.
// Emptied bodies keep their positions, so the sequences of the other events
// do not move. When `marks_received_since_ms` is set, an event of a commit
// record received at or after it keeps its body whatever its time: its
// dedup mark is read back from this record at open, and it must outlive
// the dedup retention.
RecordRetention ApplyRetention(std::string_view record, int64_t cutoff_ms,
                               std::optional<int64_t> marks_received_since_ms,
                               std::string* rewritten);

// Reads only the event time (timestamp_ms) of a record, the newest one for a
// commit record, without copying its strings. Returns nullopt for a record
// it cannot read.
std::optional<int64_t> DecodeEventTime(std::string_view record);

}  // namespace uptake

#endif  // UPTAKE_STORAGE_EVENT_CODEC_H_
