// Parser for the Segment HTTP Tracking API, also spoken by RudderStack and
// Jitsu SDKs.

#ifndef UPTAKE_PROTO_SEGMENT_H_
#define UPTAKE_PROTO_SEGMENT_H_

#include <cstdint>
#include <string>

#include "proto/limits.h"
#include "proto/parse_result.h"

namespace uptake {

// The route a Segment request arrived on. kBatch also serves /v1/import.
enum class SegmentCall { kBatch, kTrack, kIdentify, kGroup, kPage, kScreen, kAlias };

// Parses one decoded Segment request body into normalized events.
//
// `body` is the decompressed JSON text. Its spare capacity is used as
// simdjson padding when it has at least SIMDJSON_PADDING bytes; otherwise the
// body is copied once. `received_ms` is the request's arrival time.
//
// Whole-request errors (status 400): malformed_json, invalid_utf8,
// empty_batch, invalid_batch (the message names the field),
// request_too_large, too_many_events. Per-event rejections, listed with their
// index: invalid_event, missing_user, missing_field, invalid_type,
// duplicate_key, too_deep, invalid_unicode_escape, event_too_large,
// invalid_timestamp, timestamp_out_of_range.
//
// Batch-level context and integrations apply to every item; an item's own
// context keys win. Thread-safe: each call uses its own simdjson parser from
// a thread-local cache.
[[nodiscard]] ParsedRequest ParseSegment(SegmentCall call, const std::string& body,
                                         int64_t received_ms, const IngestLimits& limits);

}  // namespace uptake

#endif  // UPTAKE_PROTO_SEGMENT_H_
