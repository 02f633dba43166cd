// Base64 decoding for PostHog's `compression=base64` and form payloads.

#ifndef UPTAKE_PROTO_DETAIL_BASE64_H_
#define UPTAKE_PROTO_DETAIL_BASE64_H_

#include <string>

namespace uptake::detail {

// Decodes `text` in place from the standard base64 alphabet (RFC 4648,
// section 4). Trailing '=' padding is optional, because PostHog's own server
// accepts unpadded data. Returns false, leaving `text` unspecified, on a
// character outside the alphabet, padding before the end, or a length that
// no encoding produces. The decoded text is never longer than the input, so
// no memory is allocated.
[[nodiscard]] bool DecodeBase64InPlace(std::string& text);

}  // namespace uptake::detail

#endif  // UPTAKE_PROTO_DETAIL_BASE64_H_
