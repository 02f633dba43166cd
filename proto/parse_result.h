// What a wire-format parser returns for one request.

#ifndef UPTAKE_PROTO_PARSE_RESULT_H_
#define UPTAKE_PROTO_PARSE_RESULT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "proto/event.h"

namespace uptake {

// A failure that makes the whole request unusable.
struct RequestError {
  int http_status = 400;  // 400, 413 or 415
  std::string code;       // machine-readable, for example "malformed_json"
  std::string message;    // one sentence naming the value and the fix
};

// One event of a batch that was not accepted.
struct EventRejection {
  size_t index = 0;     // position in the request's batch, from 0
  std::string code;     // for example "missing_user", "too_deep"
  std::string message;  // one sentence naming the field
};

struct ParsedRequest {
  // Set when the request as a whole is rejected; the other fields are then
  // empty.
  std::optional<RequestError> error;

  // writeKey or write_key found in the body; empty when absent.
  std::string body_write_key;

  // The valid events in batch order, not yet attributed to accounts.
  std::vector<Event> events;

  // For each entry of `events`, its index in the request's batch.
  std::vector<size_t> indices;

  // The invalid events, in batch order.
  std::vector<EventRejection> rejected;

  // Set when the request carried one event rather than a batch: a Segment
  // call other than batch and import, or a PostHog body that is one event
  // object. Its one rejection is then the request's error.
  bool single_event = false;
};

}  // namespace uptake

#endif  // UPTAKE_PROTO_PARSE_RESULT_H_
