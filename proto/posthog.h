// Parser for PostHog's capture API, as sent by posthog-js, posthog-node and
// the other PostHog SDKs.

#ifndef UPTAKE_PROTO_POSTHOG_H_
#define UPTAKE_PROTO_POSTHOG_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/limits.h"
#include "proto/parse_result.h"

namespace uptake {

struct PostHogOptions {
  // The key of properties.$groups whose value names the account, and the
  // $group_type whose $groupidentify calls set account traits.
  // Default: "company".
  std::string group_type = "company";
};

// Undoes PostHog's payload wrappings after Content-Encoding is decoded:
// a form body `data=...` (URL-encoded, then base64 or plain JSON), and the
// `compression` query parameter: gzip or gzip-js (gzip), lz64 (LZ-String
// base64), base64. On success `body` contains the JSON text and nullopt is
// returned. Errors: 400 invalid_form, invalid_base64, invalid_lz64,
// invalid_gzip; 413 request_too_large past `max_decoded_bytes`; 415
// unsupported_compression for an unknown compression value.
[[nodiscard]] std::optional<RequestError> DecodePostHogPayload(std::string_view compression,
                                                               std::string_view content_type,
                                                               std::string& body,
                                                               size_t max_decoded_bytes);

// Parses a decoded PostHog body into normalized events. Accepted shapes, on
// every capture route: {"api_key","batch":[...],"sent_at"?}, a single event
// object, or a JSON array of events. The key is api_key or token at the top
// level, else the first event's api_key or properties.token.
//
// Mapping: uuid is the message id; distinct_id (or properties.distinct_id,
// properties.$distinct_id) the user; properties.$groups[group_type] the
// account. $identify becomes identify with properties.$set as traits;
// $groupidentify of the configured type becomes group with $group_key as the
// account and $group_set as traits; $pageview and $screen become page and
// screen; $create_alias becomes alias. Time: timestamp, corrected by
// sent_at, or received time minus `offset` milliseconds.
//
// Errors and limits follow ParseSegment, except that a body over
// limits.max_posthog_request_bytes is 413 request_too_large, as PostHog's
// SDKs halve their batch on 413. Thread-safe.
[[nodiscard]] ParsedRequest ParsePostHog(const std::string& body, int64_t received_ms,
                                         const IngestLimits& limits, const PostHogOptions& options);

}  // namespace uptake

#endif  // UPTAKE_PROTO_POSTHOG_H_
