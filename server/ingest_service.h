// The ingest path shared by every transport: authenticate, decode, parse,
// attribute, commit, aggregate, alert.

#ifndef UPTAKE_SERVER_INGEST_SERVICE_H_
#define UPTAKE_SERVER_INGEST_SERVICE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "metrics/aggregator.h"
#include "proto/segment.h"
#include "server/alert_recorder.h"
#include "server/clock.h"
#include "server/http_answer.h"
#include "storage/store.h"

namespace uptake {

struct SegmentRequest {
  SegmentCall call = SegmentCall::kBatch;
  std::string_view authorization;  // the Authorization header, maybe empty
  std::string_view content_type;
  std::string_view content_encoding;
  std::string body;         // raw request body; consumed
  int64_t received_ms = 0;  // wall time when the request arrived
};

// Thread-safe: one instance serves all connections. Holds no lock of its
// own; the store stripes its dedup locks and the aggregator its shards.
class IngestService {
 public:
  IngestService(const Config& config, Store& store, Aggregator& aggregator, ServerClock& clock,
                AlertRecorder& recorder);

  // Handles one Segment request and returns the response to send. The 2xx is
  // returned only after the accepted events are committed. Statuses: 200,
  // 400 (bad body or too large, never retried by Segment's SDK), 401
  // (unknown or missing write key, nothing stored), 415 (media type or
  // coding), 503 with Retry-After (storage unavailable, nothing accepted).
  HttpAnswer HandleSegment(SegmentRequest request);

 private:
  bool IsWriteKey(std::string_view key) const;
  // Sets account_id and feature on each event. Fails only on storage errors.
  StorageStatus Attribute(std::vector<Event>& events);
  void Aggregate(std::vector<Event>& events, const std::vector<CommitOutcome>& outcomes);

  const IngestLimits limits_;
  const std::unordered_set<std::string> write_keys_;
  Store& store_;
  Aggregator& aggregator_;
  ServerClock& clock_;
  AlertRecorder& recorder_;
};

struct HeaderCredentials {
  std::string key;  // empty when the header carries no usable credentials
  bool bearer = false;
};

// Extracts the write key from an Authorization header: the user name of
// Basic credentials (the colon may be missing) or a Bearer token.
HeaderCredentials CredentialsFromAuthorization(std::string_view authorization);

}  // namespace uptake

#endif  // UPTAKE_SERVER_INGEST_SERVICE_H_
