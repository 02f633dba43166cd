// Parser and response encoder for Mixpanel's /import API.

#ifndef UPTAKE_PROTO_MIXPANEL_H_
#define UPTAKE_PROTO_MIXPANEL_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proto/limits.h"
#include "proto/parse_result.h"

namespace uptake {

struct MixpanelOptions {
  // The event property whose value names the account. Default: "company".
  std::string account_property = "company";
};

// Parses a JSON array of events, or NDJSON (one event per line, chosen when
// `content_type` is application/x-ndjson or the body does not start with
// '['). Each event is {"event","properties":{"time","distinct_id",
// "$insert_id","token",...}}; time is Unix seconds, or milliseconds when
// above 1e11. body_write_key is the first event's properties.token.
// Mapping: $insert_id is the message id, distinct_id the user,
// properties[account_property] the account, event the name.
// Errors and limits as in ParseSegment (400 for too large). Thread-safe.
[[nodiscard]] ParsedRequest ParseMixpanel(const std::string& body, std::string_view content_type,
                                          int64_t received_ms, const IngestLimits& limits,
                                          const MixpanelOptions& options);

// Encodes Mixpanel's response: {"code":200,"num_records_imported":N,"status":"OK"}, or
// with `strict` and rejected events {"code":400,"num_records_imported":N,
// "status":"Bad Request","failed_records":[{"index","$insert_id","field",
// "message"}]}. The caller sends the status in "code".
std::string EncodeMixpanelAnswer(bool strict, size_t imported,
                                 std::span<const EventRejection> rejected);

}  // namespace uptake

#endif  // UPTAKE_PROTO_MIXPANEL_H_
