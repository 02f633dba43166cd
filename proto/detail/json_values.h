// Typed reads of JSON values shared by the ingest parsers. Each read visits
// the whole value, so strict validation is kept for values of the wrong
// type too.

#ifndef UPTAKE_PROTO_DETAIL_JSON_VALUES_H_
#define UPTAKE_PROTO_DETAIL_JSON_VALUES_H_

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/detail/strict_json.h"

namespace uptake::detail {

// A string or number read where an id is expected. Numbers keep their text.
struct IdRead {
  JsonFault fault = JsonFault::kNone;
  bool wrong_type = false;
  std::string_view text;  // empty when absent or null
};

// A timestamp field: absent, null, or an ISO 8601 string.
struct TimeRead {
  JsonFault fault = JsonFault::kNone;
  bool invalid = false;
  std::optional<int64_t> ms;
};

// A created_at trait: ISO 8601, Unix seconds, or Unix milliseconds.
struct CreatedAtRead {
  JsonFault fault = JsonFault::kNone;
  std::optional<int64_t> ms;
};

// Reads a string or number id. Objects, arrays and booleans set wrong_type.
IdRead ReadId(simdjson::ondemand::value value, int max_depth);

// Reads an ISO 8601 string. Any other type, or an unparsable string, sets
// invalid; null is absent.
TimeRead ReadTime(simdjson::ondemand::value value, int max_depth);

// Reads a created_at trait found at nesting level 2 (inside traits). An
// unreadable date is absent, not an error.
CreatedAtRead ReadCreatedAt(simdjson::ondemand::value value, int max_depth);

// Returns `name` in single quotes, for error messages that name a field.
std::string Quoted(std::string_view name);

// Returns a view of `body` that simdjson may read SIMDJSON_PADDING bytes
// past the end of. The string's spare capacity serves when it is large
// enough; otherwise the body is copied once into a thread-local buffer that
// stays valid until the thread's next call.
simdjson::padded_string_view PadJson(const std::string& body);

}  // namespace uptake::detail

#endif  // UPTAKE_PROTO_DETAIL_JSON_VALUES_H_
