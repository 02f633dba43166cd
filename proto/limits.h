// Limits applied to ingest requests while they are decoded and parsed.

#ifndef UPTAKE_PROTO_LIMITS_H_
#define UPTAKE_PROTO_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace uptake {

struct IngestLimits {
  // Maximum size of one event's JSON text, in bytes. Default: 32 KB.
  size_t max_event_bytes = 32 * 1024;

  // Maximum size of a request body after decompression, in bytes.
  // Default: 500 KB.
  size_t max_request_bytes = 500 * 1024;

  // Maximum number of events in one batch. Default: 2,500.
  size_t max_batch_events = 2500;

  // PostHog routes: maximum decoded body size, in bytes. PostHog's own
  // limit for /batch. Default: 20 MB.
  size_t max_posthog_request_bytes = 20 * 1024 * 1024;

  // Amplitude routes: maximum decoded body size in bytes and events per
  // request, Amplitude's own HTTP V2 limits. Defaults: 1 MB, 2,000 events.
  size_t max_amplitude_request_bytes = 1024 * 1024;
  size_t max_amplitude_batch_events = 2000;

  // Maximum nesting depth inside properties, traits and context.
  // Default: 32.
  int max_depth = 32;

  // Events whose corrected timestamp is older than received time minus
  // this many milliseconds are rejected as timestamp_out_of_range.
  // Default: 730 days.
  int64_t max_event_age_ms = 730LL * 24 * 3600 * 1000;

  // Corrected timestamps later than received time plus this many
  // milliseconds are clamped to the received time. Default: 5 minutes.
  int64_t future_tolerance_ms = 5LL * 60 * 1000;
};

}  // namespace uptake

#endif  // UPTAKE_PROTO_LIMITS_H_
