// Transport-level decoding of ingest request bodies: media type checks and
// Content-Encoding.

#ifndef UPTAKE_PROTO_BODY_H_
#define UPTAKE_PROTO_BODY_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "proto/parse_result.h"

namespace uptake {

// Spare capacity that lets the JSON parsers read a body in place: simdjson
// may read this many bytes past the end. A body with less is copied once
// before parsing, so transports reserve it when they know the length.
inline constexpr size_t kBodyPaddingBytes = 64;

// Returns true for media types parsed as JSON: application/json (any case,
// any parameters), text/plain, and an empty Content-Type.
[[nodiscard]] bool IsJsonMediaType(std::string_view content_type);

// Decodes `body` according to `content_encoding` (identity, gzip, deflate,
// zlib-wrapped or raw; several codings applied in the order listed; names
// case-insensitive). A body that starts with the gzip magic bytes 1f 8b is
// inflated even when the header names no coding.
//
// The limit applies to the decoded size and is enforced while inflating, so
// a compressed bomb never allocates more than `max_decoded_bytes` plus one
// chunk. Errors: 415 unsupported_encoding; 400 invalid_gzip or
// invalid_deflate for corrupt or truncated data; 400 request_too_large past
// the limit (callers on routes that respond 413 rewrite the status).
// On success `body` holds the decoded bytes and nullopt is returned.
[[nodiscard]] std::optional<RequestError> DecodeBody(std::string_view content_encoding,
                                                     std::string& body, size_t max_decoded_bytes);

}  // namespace uptake

#endif  // UPTAKE_PROTO_BODY_H_
