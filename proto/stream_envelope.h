// The envelope of a WebSocket ingest message: a Segment event or batch with
// a client-chosen request id, and the response sent back for it.

#ifndef UPTAKE_PROTO_STREAM_ENVELOPE_H_
#define UPTAKE_PROTO_STREAM_ENVELOPE_H_

#include <span>
#include <string>
#include <string_view>

#include "proto/parse_result.h"
#include "proto/segment.h"

namespace uptake {

struct StreamEnvelope {
  std::string request_id;  // "requestId"; empty when absent or not a string
  // kBatch when the message has a "batch" array, else the call named by its
  // "type" (track when absent or unknown, so the parser reports the fields).
  SegmentCall call = SegmentCall::kTrack;
};

// Reads the top-level keys of one message without validating the rest,
// which ParseSegment does. A message that is not a JSON object yields an
// empty request id and kTrack.
[[nodiscard]] StreamEnvelope ReadStreamEnvelope(const std::string& message);

// {"requestId":ID,"status":200,"accepted":N,"duplicates":D,"rejected":[...]}
std::string EncodeStreamAccepted(std::string_view request_id, size_t accepted, size_t duplicates,
                                 std::span<const EventRejection> rejected);

// {"requestId":ID,"status":S,"error":"code","message":"..."}
std::string EncodeStreamError(std::string_view request_id, const RequestError& error);

}  // namespace uptake

#endif  // UPTAKE_PROTO_STREAM_ENVELOPE_H_
