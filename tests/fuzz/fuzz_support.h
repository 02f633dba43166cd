// Helpers shared by the libFuzzer targets in this folder.

#ifndef UPTAKE_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define UPTAKE_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <simdjson.h>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <string>

#include "proto/limits.h"
#include "proto/parse_result.h"

namespace uptake::fuzz {

// The arrival time every target passes to the parsers: 2015-02-23T00:00:00Z,
// just after the GH Archive hours the seed corpus is made from, so seed
// events fall inside the accepted age window and reach the deeper checks.
constexpr int64_t kReceivedMs = 1'424'649'600'000;

// A fuzz input split into its first byte, which chooses the route, coding
// or limits a target uses, and the body that follows it.
struct SelectedInput {
  uint8_t selector = 0;
  std::string body;
};

// Splits `data` into a selector and a body. Returns false for an empty
// input. With `pad`, the body gets spare capacity so that the parsers read
// it in place rather than copying it, as they do for request bodies that
// Beast gives them.
inline bool SplitSelector(const uint8_t* data, size_t size, bool pad, SelectedInput* input) {
  if (size == 0) return false;
  input->selector = data[0];
  if (pad) input->body.reserve(size - 1 + simdjson::SIMDJSON_PADDING);
  input->body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  return true;
}

// Returns the built-in limits, or with `tight` limits small enough for short
// inputs to cross each one: event size, request size, batch length, nesting
// depth and the timestamp window.
inline IngestLimits FuzzLimits(bool tight) {
  IngestLimits limits;
  if (!tight) return limits;
  limits.max_event_bytes = 256;
  limits.max_request_bytes = 2048;
  limits.max_batch_events = 4;
  limits.max_posthog_request_bytes = 2048;
  limits.max_amplitude_request_bytes = 2048;
  limits.max_amplitude_batch_events = 4;
  limits.max_depth = 3;
  limits.max_event_age_ms = 3600LL * 1000;
  limits.future_tolerance_ms = 1000;
  return limits;
}

// Aborts, so libFuzzer records the input, when `condition` is false.
inline void Check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

// Checks what every wire-format parser promises about its result: a whole
// request error leaves no events, each event has its batch index, and
// indices and rejections are in batch order.
inline void CheckParsedRequest(const ParsedRequest& parsed) {
  if (parsed.error) {
    Check(parsed.events.empty() && parsed.indices.empty() && parsed.rejected.empty(),
          "a request error comes with events or rejections");
    Check(parsed.error->http_status == 400 || parsed.error->http_status == 413 ||
              parsed.error->http_status == 415,
          "a request error has a status other than 400, 413 or 415");
    Check(!parsed.error->code.empty(), "a request error has no code");
    return;
  }
  Check(parsed.events.size() == parsed.indices.size(), "events and indices differ in length");
  for (size_t i = 1; i < parsed.indices.size(); ++i) {
    Check(parsed.indices[i - 1] < parsed.indices[i], "event indices are not increasing");
  }
  for (size_t i = 1; i < parsed.rejected.size(); ++i) {
    Check(parsed.rejected[i - 1].index < parsed.rejected[i].index,
          "rejection indices are not increasing");
  }
  for (const EventRejection& rejection : parsed.rejected) {
    Check(!rejection.code.empty(), "a rejection has no code");
  }
}

}  // namespace uptake::fuzz

#endif  // UPTAKE_TESTS_FUZZ_FUZZ_SUPPORT_H_
