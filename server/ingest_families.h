// What differs between the SDK families on the ingest path: accepted media
// types, payload wrappings, the parser, and the shape of each response.

#ifndef UPTAKE_SERVER_INGEST_FAMILIES_H_
#define UPTAKE_SERVER_INGEST_FAMILIES_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "proto/limits.h"
#include "proto/parse_result.h"
#include "server/http_answer.h"
#include "server/ingest_service.h"

namespace uptake {

struct FamilyOptions {
  std::string group_type;  // PostHog $groups and Amplitude groups key
  std::string mixpanel_account_property;
};

struct FamilyParse {
  IngestFamily family = IngestFamily::kSegment;  // never kPostHogOrAmplitude
  ParsedRequest parsed;
  size_t decoded_bytes = 0;  // size of the JSON text after every decoding
};

// Checks the media type, undoes Content-Encoding and the family's own
// wrappings, then parses. A request error is returned in `parsed.error`
// with the status the family's SDK expects. Consumes `request.body`.
FamilyParse DecodeAndParse(IngestRequest& request, const IngestLimits& limits,
                           const FamilyOptions& options);

// The error response in the family's shape.
HttpAnswer FamilyErrorAnswer(IngestFamily family, const RequestError& error);

// Room a raw body may take beyond the decoded-size limit, for the headers
// and checksums of compressed data.
constexpr size_t kCompressionAllowanceBytes = 16 * 1024;

// The largest raw body worth reading on a route of `family`, or nullopt
// when the server-wide raw limit applies. Segment and Amplitude bodies are
// JSON, possibly compressed, so anything past the decoded limit plus
// kCompressionAllowanceBytes is over that limit too. PostHog and Mixpanel
// also accept base64 and percent-encoded forms, which are larger than the
// JSON inside them.
std::optional<size_t> MaxRawBodyBytes(IngestFamily family, const IngestLimits& limits);

// The response to a raw body over `limit` bytes, with the status the
// family's SDK expects: 413 for PostHog and Amplitude, 400 otherwise.
HttpAnswer RawBodyTooLargeAnswer(IngestFamily family, size_t limit);

// The success response in the family's shape. `query` decides PostHog's
// beacon response and Mixpanel's strict mode.
HttpAnswer FamilySuccessAnswer(IngestFamily family, std::string_view query,
                               const IngestOutcome& outcome, size_t decoded_bytes,
                               int64_t received_ms);

}  // namespace uptake

#endif  // UPTAKE_SERVER_INGEST_FAMILIES_H_
