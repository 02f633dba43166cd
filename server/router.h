// Maps HTTP requests to handlers. WebSocket upgrades are handed off by the
// session before a request reaches the router.

#ifndef UPTAKE_SERVER_ROUTER_H_
#define UPTAKE_SERVER_ROUTER_H_

#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "metrics/aggregator.h"
#include "server/access_control.h"
#include "server/alert_recorder.h"
#include "server/clock.h"
#include "server/cors.h"
#include "server/http_answer.h"
#include "server/ingest_service.h"
#include "server/rule_reloader.h"
#include "server/server_metrics.h"
#include "server/silence_registry.h"
#include "storage/store.h"

namespace uptake {

// How often the server retries writes after a storage failure, in seconds;
// also the Retry-After of a not-ready answer.
inline constexpr int kStorageRecoverySeconds = 1;

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

// The long-lived services the router dispatches to.
struct RouterServices {
  IngestService& ingest;
  Store& store;
  Aggregator& aggregator;
  ServerClock& clock;
  AlertRecorder& recorder;
  RuleReloader& reloader;
  SilenceRegistry& silences;
  const AccessPolicy& access;
  const ServerMetrics& metrics;
};

// Thread-safe; holds references to the long-lived services only.
class Router {
 public:
  Router(const RouterServices& services, CorsPolicy cors)
      : ingest_(services.ingest),
        store_(services.store),
        aggregator_(services.aggregator),
        clock_(services.clock),
        recorder_(services.recorder),
        reloader_(services.reloader),
        silences_(services.silences),
        access_(services.access),
        metrics_(services.metrics),
        cors_(std::move(cors)) {}

  // Returns the response for `request`, received at `received_ms` (wall
  // clock). Consumes the request body. Read and admin routes check the
  // request's credentials first; /healthz and /readyz are always open.
  // A HEAD request gets the GET response with its body, and the caller
  // leaves the body out.
  HttpAnswer Handle(HttpRequest& request, int64_t received_ms);

  // Handles `request` like Handle and passes the response to `done`. For a
  // POST to an ingest route that happens after its shared commit (see
  // IngestService::HandleAsync), possibly on another thread. `request` is
  // read before this returns.
  void HandleAsync(HttpRequest& request, int64_t received_ms, std::function<void(HttpAnswer)> done);

 private:
  // GET /readyz: 200 while storage accepts writes, else 503 with the
  // reason and Retry-After. Liveness stays with /healthz.
  HttpAnswer Readiness();
  HttpAnswer ListAlerts(std::string_view query);
  HttpAnswer GetAccount(std::string_view encoded_id);
  HttpAnswer Acknowledge(std::string_view id_text, const std::string& body);

  // Silence handlers, in router_silences.cc.
  HttpAnswer HandleSilences(HttpRequest& request, std::string_view path);
  HttpAnswer CreateSilence(const std::string& body);
  HttpAnswer ListSilences();
  HttpAnswer EndSilence(std::string_view id_text);

  IngestService& ingest_;
  Store& store_;
  Aggregator& aggregator_;
  ServerClock& clock_;
  AlertRecorder& recorder_;
  RuleReloader& reloader_;
  SilenceRegistry& silences_;
  const AccessPolicy& access_;
  const ServerMetrics& metrics_;
  const CorsPolicy cors_;
};

// The SDK family of an ingest route, or nullopt when `path` is not one.
std::optional<IngestFamily> IngestFamilyFor(std::string_view path);

// Returns true for GET and HEAD. Every GET route serves HEAD too, because a
// response to HEAD is the GET response without its body (RFC 9110, section
// 9.3.2). HttpSession leaves the body out.
bool IsGetOrHead(boost::beast::http::verb method);

// Replaces the lines of field `name` with one line holding their values
// joined by ", ", in the order received, when there is more than one. HTTP
// treats repeated lines of a list-valued field as that one line (RFC 9110,
// section 5.3), but `fields[name]` returns only the first (Boost 1.81).
// Empty values are dropped.
void JoinFieldLines(boost::beast::http::fields& fields, boost::beast::http::field name);

// Returns true when an Accept value lists text/event-stream (in any case,
// with any parameters) without q=0. A browser's EventSource sends it alone;
// other clients may list more types beside it.
bool AcceptsEventStream(std::string_view accept);

// Splits a request target into path and query (without the '?').
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target);

// Returns the decoded value of `name` in a query string, or nullopt.
std::optional<std::string> QueryParameter(std::string_view query, std::string_view name);

// Decodes %XX escapes and '+' (as a space, in queries only). Returns nullopt
// on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// The message of the 400 a read route returns when its query has a
// malformed % escape. QueryParameter cannot tell such a value from a
// missing one, so these routes check the whole query first: a filter must
// not be dropped and match everything.
inline constexpr const char* kMalformedQueryEscape = "The query string has a malformed % escape.";

}  // namespace uptake

#endif  // UPTAKE_SERVER_ROUTER_H_
