// The ingest path shared by every wire format and transport: authenticate,
// decode, parse, attribute, commit, aggregate, alert.

#ifndef UPTAKE_SERVER_INGEST_SERVICE_H_
#define UPTAKE_SERVER_INGEST_SERVICE_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "metrics/aggregator.h"
#include "proto/parse_result.h"
#include "proto/segment.h"
#include "server/access_control.h"
#include "server/alert_recorder.h"
#include "server/clock.h"
#include "server/http_answer.h"
#include "server/rate_limiter.h"
#include "server/server_metrics.h"
#include "server/snapshot_gate.h"
#include "storage/pending_links.h"
#include "storage/store.h"

namespace uptake {

// The SDK family a route belongs to. Each responds in its own shape and maps
// "too large" to its own status, because each SDK retries on different codes.
enum class IngestFamily {
  kSegment,
  kPostHog,
  kAmplitude,
  kMixpanel,
  // POST /batch: PostHog's or Amplitude's, distinguished by the decoded body.
  kPostHogOrAmplitude,
};

struct IngestRequest {
  IngestFamily family = IngestFamily::kSegment;
  SegmentCall segment_call = SegmentCall::kBatch;  // kSegment only
  std::string_view authorization;                  // the Authorization header, maybe empty
  std::string_view content_type;
  std::string_view content_encoding;
  std::string_view query;   // the request target after '?', not decoded
  std::string body;         // raw request body; consumed
  int64_t received_ms = 0;  // wall time when the request arrived
};

// Outcome of a request that reached the commit, for transports that respond
// in their own shape (WebSocket ingest).
struct IngestOutcome {
  size_t accepted = 0;  // valid events, duplicates included
  size_t duplicates = 0;
  std::vector<EventRejection> rejected;
};

// The result of committing already parsed events: `error` is set when
// storage failed, and then none of the events was stored.
struct CommitResult {
  std::optional<RequestError> error;
  IngestOutcome outcome;  // meaningful only without `error`
};

struct HeaderCredentials {
  std::string key;  // empty when the header carries no usable credentials
  bool bearer = false;
};

// Thread-safe: one instance serves all connections. Its own mutex guards
// only the queue of requests waiting for their commit. A commit holds
// `snapshot_gate` shared, and the store and the aggregator lock their own
// parts.
class IngestService {
 public:
  using AnswerCallback = std::function<void(HttpAnswer)>;
  using CommitCallback = std::function<void(CommitResult)>;
  using Poster = std::function<void(std::function<void()>)>;

  // Each request holds `snapshot_gate`, when given, shared from its commit
  // until its events are in the aggregator, so a snapshot begun under the
  // exclusive lock matches the log exactly. `metrics`, when not null,
  // counts the events of each request; both must outlive the service.
  IngestService(const Config& config, Store& store, Aggregator& aggregator, ServerClock& clock,
                AlertRecorder& recorder, SnapshotGate* snapshot_gate = nullptr,
                ServerMetrics* metrics = nullptr);

  // Handles one ingest request and returns the response to send. A 2xx is
  // returned only after the accepted events are committed. Statuses: 200
  // (204 for PostHog beacons); 400 for a bad body; 400 (Segment, Mixpanel)
  // or 413 (PostHog, Amplitude) for too large; 401 for an unknown or
  // missing write key, with nothing stored; 415 for an unsupported media
  // type or coding; 429 with Retry-After when the key's rate limit is
  // spent, with nothing stored; 503 with Retry-After when storage fails.
  HttpAnswer Handle(IngestRequest request);

  // Handles one request like Handle, but passes the response to `done`,
  // possibly later and on another thread. After CoalesceCommits, a request
  // that reaches storage joins a queue, and the flush commits every queued
  // request together, with one store commit per write key. Many small
  // requests read at once then cost one log write. A failed commit fails
  // every request in it with 503, and none of their events is stored.
  // Without CoalesceCommits, `done` runs before this returns.
  void HandleAsync(IngestRequest request, AnswerCallback done);

  // Makes HandleAsync queue its commits. `post` must run the flush it is
  // given after the handlers already waiting in the caller's event loop,
  // because by then the requests read together are in the queue. Call it
  // before the first request.
  void CoalesceCommits(Poster post) { post_ = std::move(post); }

  // Commits already parsed Segment events under an authenticated write key,
  // for transports that did their own framing and checks (WebSocket
  // ingest), and passes the result to `done`, possibly later and on another
  // thread. After CoalesceCommits the events join the queue of HandleAsync
  // and share its commits. Their accounts are chosen before this returns,
  // from the store with what `links` noted counted as stored. The group and
  // alias calls among them are noted in `links` under `message`, and
  // `links` is not kept after this returns. A stream passes its one `links`
  // with each message and calls links.Forget(message) after `done` has run.
  // Each message is then attributed as if the ones before it were stored,
  // whichever flushes commit them. Storage failures give
  // 503 storage_unavailable, and then nothing of `parsed` was stored.
  // Without CoalesceCommits, `done` runs before this returns.
  // `family` labels the events in the metrics.
  void CommitParsedAsync(std::string write_key, ParsedRequest parsed, PendingLinks& links,
                         uint64_t message, CommitCallback done,
                         IngestFamily family = IngestFamily::kSegment);

  // Compares in constant time; see SecretSet.
  bool IsWriteKey(std::string_view key) const;

  // Takes the events of `parsed` from the rate limit of `write_key`.
  // Returns nullopt when they may be committed, else a 429 rate_limited
  // error, with `retry_after_seconds` set to the whole seconds to wait (at
  // least 1); nothing is taken then.
  std::optional<RequestError> CheckRateLimit(const std::string& write_key,
                                             const ParsedRequest& parsed,
                                             int64_t* retry_after_seconds);

  const IngestLimits& limits() const { return limits_; }

 private:
  // A request that passed every check before storage.
  struct PreparedCommit {
    std::string write_key;
    IngestFamily family = IngestFamily::kSegment;  // never kPostHogOrAmplitude
    ParsedRequest parsed;
    std::string query;
    size_t decoded_bytes = 0;
    int64_t received_ms = 0;
  };

  // The events of one request within a commit of several, and the result.
  struct CommitItem {
    CommitItem(const std::string& key, ParsedRequest& request, IngestFamily request_family)
        : write_key(&key), parsed(&request), family(request_family) {}

    const std::string* write_key;
    ParsedRequest* parsed;
    IngestFamily family;
    bool ok = false;
    IngestOutcome outcome;
    std::vector<CommitOutcome> outcomes;  // one per event of `parsed`
  };

  // Receives a queued request's result on the thread of its flush.
  using Completion = std::function<void(const PreparedCommit&, CommitItem&)>;

  struct QueuedCommit {
    PreparedCommit prepared;
    Completion complete;
  };

  // Authenticates, decodes, parses, attributes and rate-limits `request`.
  // Returns the response of a request that ends there, else nullopt with
  // `prepared` filled.
  std::optional<HttpAnswer> Prepare(IngestRequest& request, PreparedCommit* prepared);
  // The response to a prepared request after its commit.
  HttpAnswer Answer(const PreparedCommit& prepared, const CommitItem& item) const;

  // Adds `queued` to the queue and posts a flush if none is pending.
  void Enqueue(QueuedCommit queued);
  // Commits the queued requests together and passes each its response.
  void Flush();
  // Commits the attributed events of every item under one shared hold of
  // the gate, one store commit per write key and run of items, then
  // aggregates them in item order and records the alerts. Sets each item's
  // `ok` and `outcome`.
  void CommitAttributed(std::span<CommitItem> items);
  // Stores the events of `members`, which share one write key, in one
  // store commit, and sets their `ok`, `outcome` and `outcomes`.
  void CommitGroup(std::span<CommitItem* const> members);

  // Sets account_id and feature on each event. Fails only on storage errors.
  StorageStatus Attribute(std::vector<Event>& events);
  // Like Attribute, but counts the links and aliases noted in `links` as
  // stored, and notes those of `events` under `message`, so that later
  // events and calls see them before the store contains them.
  StorageStatus Attribute(std::vector<Event>& events, PendingLinks& links, uint64_t message);
  // Adds the stored events to the aggregator and returns the alert changes
  // for the caller to record.
  std::vector<Alert> Aggregate(std::vector<Event>& events,
                               const std::vector<CommitOutcome>& outcomes);
  std::vector<Alert> AggregateUnderEventClock(std::span<const Event> events);

  const IngestLimits limits_;
  const SecretSet write_keys_;
  WriteKeyRateLimiter rate_limiter_;
  const std::string group_type_;
  const std::string mixpanel_account_property_;
  Store& store_;
  Aggregator& aggregator_;
  ServerClock& clock_;
  AlertRecorder& recorder_;
  SnapshotGate* const snapshot_gate_;
  ServerMetrics* const metrics_;

  Poster post_;
  std::mutex queue_mutex_;
  std::vector<QueuedCommit> queue_;  // guarded by queue_mutex_
};

// The metrics label of a family; kPostHogOrAmplitude, which decoding
// resolves, counts as PostHog.
EventFamily EventFamilyOf(IngestFamily family);

// Returns the request error for a single-event request (a Segment track,
// identify, ..., or a PostHog body that is one event object) whose one event
// was rejected. Nothing was stored, so the request gets a 400 like a
// malformed body, not 200 with one rejection listed. Returns nullopt for
// batches and for requests that stored their event.
std::optional<RequestError> SingleEventError(const ParsedRequest& parsed);

// Extracts the write key from an Authorization header: the user name of
// Basic credentials (the colon may be missing) or a Bearer token.
HeaderCredentials CredentialsFromAuthorization(std::string_view authorization);

}  // namespace uptake

#endif  // UPTAKE_SERVER_INGEST_SERVICE_H_
