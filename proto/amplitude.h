// Parser and response encoders for Amplitude's HTTP V2 API (/2/httpapi and /batch).

#ifndef UPTAKE_PROTO_AMPLITUDE_H_
#define UPTAKE_PROTO_AMPLITUDE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proto/limits.h"
#include "proto/parse_result.h"

namespace uptake {

struct AmplitudeOptions {
  // The key of an event's `groups` whose value names the account, and the
  // group type whose $groupidentify calls set account traits.
  // Default: "company".
  std::string group_type = "company";
};

// Returns true when a decoded body sent to POST /batch is Amplitude's (a
// top-level "events" array) rather than PostHog's (a "batch" array). Reads
// only the top-level keys; a body that is not a JSON object returns false.
[[nodiscard]] bool IsAmplitudeBody(const std::string& body);

// Parses {"api_key","events":[...],"options"?} into normalized events;
// body_write_key is api_key. Mapping: insert_id is the message id; user_id,
// else device_id, the user; groups[group_type] the account (a string, a
// number, or an array whose first element is used); event_type the name;
// time in milliseconds since the epoch; event_properties the properties.
// $identify becomes identify with user_properties as traits;
// $groupidentify becomes group with group_properties as traits.
//
// Whole-request errors: 400 (malformed_json, invalid_utf8, empty_batch,
// invalid_batch, missing_api_key), 413 request_too_large past
// limits.max_amplitude_request_bytes or too_many_events past
// limits.max_amplitude_batch_events. Per-event rejections as in
// ParseSegment. Thread-safe.
[[nodiscard]] ParsedRequest ParseAmplitude(const std::string& body, int64_t received_ms,
                                           const IngestLimits& limits,
                                           const AmplitudeOptions& options);

// The 200 body Amplitude's SDKs expect: {"code":200,"events_ingested":N,
// "payload_size_bytes":B,"server_upload_time":MS}, plus uptake's
// "duplicates" and "rejected" lists.
std::string EncodeAmplitudeSuccess(size_t events_ingested, size_t payload_size_bytes,
                                   int64_t server_upload_time_ms, size_t duplicates,
                                   std::span<const EventRejection> rejected);

// An error body in Amplitude's shape, {"code":STATUS,"error":"message",...},
// with uptake's "error_code" kept alongside. 413 and 429 bodies are the ones
// the SDK's split and back-off logic reads.
std::string EncodeAmplitudeError(const RequestError& error);

}  // namespace uptake

#endif  // UPTAKE_PROTO_AMPLITUDE_H_
