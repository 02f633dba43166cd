// Strict RFC 8259 checks over simdjson On-Demand values. On-Demand skips
// bytes it is not asked for, so ingest parsers visit every value through
// these helpers to reject what a full validating parser would reject.

#ifndef UPTAKE_PROTO_DETAIL_STRICT_JSON_H_
#define UPTAKE_PROTO_DETAIL_STRICT_JSON_H_

#include <simdjson.h>

#include <cstdint>
#include <string_view>
#include <utility>

namespace uptake::detail {

// The worst problem found in a JSON value. kMalformed breaks the whole
// request; the others only reject the event that contains the value.
enum class JsonFault : uint8_t {
  kNone,
  kMalformed,
  kTooDeep,    // nesting beyond the configured maximum depth
  kBadEscape,  // a well-formed \u escape that is an unpaired surrogate
};

// Combines the faults of two values: the first per-event fault is kept, but
// kMalformed outranks every other.
JsonFault MergeFaults(JsonFault first, JsonFault next);

// Removes the JSON whitespace that simdjson leaves at the end of a token.
std::string_view TrimTrailingWhitespace(std::string_view token);

// Returns true when `token` (already trimmed) matches the RFC 8259 number
// grammar, which simdjson does not check for skipped or raw-read numbers.
bool IsJsonNumber(std::string_view token);

// Classifies a string that simdjson failed to unescape. `after_quote` points
// just past the opening quote; the string is known to be closed because
// simdjson's first stage rejects unclosed strings. Returns kBadEscape when
// every escape is well-formed, since simdjson then failed on a surrogate,
// else kMalformed.
JsonFault ClassifyStringError(const char* after_quote);

// An unescaped string, valid until the parser's next document, or the
// fault that kept it from being read.
struct StringRead {
  JsonFault fault = JsonFault::kNone;
  std::string_view text;
};

// Unescapes a string value.
StringRead ReadString(simdjson::ondemand::value& value);

// Unescapes a field's key.
StringRead ReadKey(simdjson::ondemand::field& field);

// Validates the JSON text of one object or array without recursion, for
// values nested too deep to walk. Expects text whose UTF-8 and control
// characters simdjson has already checked.
JsonFault ValidateText(std::string_view text);

// Visits every value inside `value`. `depth` is the nesting level `value`
// has when it is an object or array; containers deeper than `max_depth`
// are validated as text and yield kTooDeep. Returns the first per-event
// fault, after visiting the rest, or kMalformed as soon as one is found.
JsonFault WalkValue(simdjson::ondemand::value value, int depth, int max_depth);

// Checks a scalar (string, number, true, false, null) without entering it.
JsonFault CheckScalar(simdjson::ondemand::value& value, simdjson::ondemand::json_type type);

// Calls read(key, value) for each field of `object`, where `key` is the
// StringRead of the field's key, and merges the key's fault and the returned
// fault as WalkValue does. Stops at the first kMalformed.
template <typename Read>
JsonFault WalkFields(simdjson::ondemand::object object, Read read) {
  JsonFault worst = JsonFault::kNone;
  for (auto field_result : object) {
    simdjson::ondemand::field field;
    if (std::move(field_result).get(field)) return JsonFault::kMalformed;
    const StringRead key = ReadKey(field);
    worst = MergeFaults(worst, key.fault);
    worst = MergeFaults(worst, read(key, field.value()));
    if (worst == JsonFault::kMalformed) return worst;
  }
  return worst;
}

}  // namespace uptake::detail

#endif  // UPTAKE_PROTO_DETAIL_STRICT_JSON_H_
