#include "server/router.h"

#include <simdjson.h>

#include <charconv>
#include <optional>
#include <utility>

#include "proto/answers.h"
#include "proto/json_writer.h"
#include "server/silence.h"

namespace uptake {
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

// Default and maximum page size of GET /v1/alerts.
constexpr size_t kDefaultAlertPage = 100;
constexpr size_t kMaxAlertPage = 1000;

// Default and maximum page size of GET /v1/accounts?at_risk=true.
constexpr size_t kDefaultAccountPage = 100;
constexpr size_t kMaxAccountPage = 1000;

struct IngestRoute {
  std::string_view path;  // without a trailing slash
  IngestFamily family;
  SegmentCall segment_call;
};

constexpr IngestRoute kIngestRoutes[] = {
    {"/v1/batch", IngestFamily::kSegment, SegmentCall::kBatch},
    {"/v1/import", IngestFamily::kSegment, SegmentCall::kBatch},
    {"/v1/track", IngestFamily::kSegment, SegmentCall::kTrack},
    {"/v1/identify", IngestFamily::kSegment, SegmentCall::kIdentify},
    {"/v1/group", IngestFamily::kSegment, SegmentCall::kGroup},
    {"/v1/page", IngestFamily::kSegment, SegmentCall::kPage},
    {"/v1/screen", IngestFamily::kSegment, SegmentCall::kScreen},
    {"/v1/alias", IngestFamily::kSegment, SegmentCall::kAlias},
    {"/batch", IngestFamily::kPostHogOrAmplitude, SegmentCall::kBatch},
    {"/capture", IngestFamily::kPostHog, SegmentCall::kBatch},
    {"/e", IngestFamily::kPostHog, SegmentCall::kBatch},
    {"/i/v0/e", IngestFamily::kPostHog, SegmentCall::kBatch},
    {"/2/httpapi", IngestFamily::kAmplitude, SegmentCall::kBatch},
    {"/import", IngestFamily::kMixpanel, SegmentCall::kBatch},
};

const IngestRoute* IngestRouteFor(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  for (const IngestRoute& route : kIngestRoutes) {
    if (route.path == path) return &route;
  }
  return nullptr;
}

// Builds the ingest request of a POST to `route`, moving the body out of
// `request`.
IngestRequest MakeIngestRequest(HttpRequest& request, const IngestRoute& route,
                                std::string_view query, int64_t received_ms) {
  IngestRequest ingest;
  ingest.family = route.family;
  ingest.segment_call = route.segment_call;
  ingest.authorization = request[http::field::authorization];
  ingest.content_type = request[http::field::content_type];
  JoinFieldLines(request, http::field::content_encoding);
  ingest.content_encoding = request[http::field::content_encoding];
  ingest.query = query;
  ingest.body = std::move(request.body());
  ingest.received_ms = received_ms;
  return ingest;
}

}  // namespace

std::optional<IngestFamily> IngestFamilyFor(std::string_view path) {
  const IngestRoute* route = IngestRouteFor(path);
  if (route == nullptr) return std::nullopt;
  return route->family;
}

namespace {

HttpAnswer MethodNotAllowed(std::string_view allowed) {
  HttpAnswer answer = JsonAnswer(
      405, EncodeError("method_not_allowed", "Use " + std::string(allowed) + " on this path."));
  answer.headers.emplace_back("Allow", std::string(allowed));
  return answer;
}

std::optional<uint64_t> ParseUnsigned(std::string_view text) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

HttpAnswer InvalidParameter(std::string message) {
  return JsonAnswer(400, EncodeError("invalid_parameter", message));
}

// GET /v1/accounts?at_risk=true&limit=N&after=CURSOR. Only the at-risk
// listing exists, so at_risk=true is required.
HttpAnswer ListAtRiskAccounts(const Aggregator& aggregator, std::string_view query) {
  std::optional<std::string> at_risk = QueryParameter(query, "at_risk");
  if (!at_risk || *at_risk != "true") {
    return InvalidParameter("Send at_risk=true; only accounts with firing alerts can be listed.");
  }

  size_t limit = kDefaultAccountPage;
  if (auto text = QueryParameter(query, "limit")) {
    std::optional<uint64_t> value = ParseUnsigned(*text);
    if (!value || *value == 0 || *value > kMaxAccountPage) {
      return InvalidParameter("limit must be between 1 and 1000.");
    }
    limit = *value;
  }

  std::optional<AtRiskCursor> after;
  if (auto text = QueryParameter(query, "after")) {
    after = DecodeAtRiskCursor(*text);
    if (!after) {
      return InvalidParameter("after must be the next_after value of an earlier page.");
    }
  }
  return JsonAnswer(200, EncodeAtRiskPage(aggregator.ListAtRisk(after, limit)));
}

// The right a read or admin route needs, or nullopt for the open routes
// and paths with no route.
std::optional<Access> RouteAccess(std::string_view path) {
  if (path == "/v1/admin/reload" || path == "/v1/silences" || path.starts_with("/v1/silences/")) {
    return Access::kAdmin;
  }
  if (path == "/v1/alerts" || path.starts_with("/v1/alerts/") || path == "/v1/accounts" ||
      path.starts_with("/v1/accounts/")) {
    return Access::kRead;
  }
  return std::nullopt;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool IsGetOrHead(http::verb method) {
  return method == http::verb::get || method == http::verb::head;
}

void JoinFieldLines(http::fields& fields, http::field name) {
  if (fields.count(name) < 2) return;
  // The field list keeps the order the lines arrived in, which matters for
  // Content-Encoding.
  std::string joined;
  for (const auto& line : fields) {
    if (line.name() != name || line.value().empty()) continue;
    if (!joined.empty()) joined += ", ";
    joined += line.value();
  }
  fields.set(name, joined);
}

bool AcceptsEventStream(std::string_view accept) {
  constexpr auto kSpaces = " \t";
  auto trim = [&](std::string_view text) {
    const size_t first = text.find_first_not_of(kSpaces);
    if (first == std::string_view::npos) return std::string_view();
    return text.substr(first, text.find_last_not_of(kSpaces) - first + 1);
  };
  while (!accept.empty()) {
    const size_t comma = accept.find(',');
    std::string_view element = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);

    const size_t semicolon = element.find(';');
    if (!beast::iequals(trim(element.substr(0, semicolon)), "text/event-stream")) continue;
    // Only q=0 (or 0.0, 0.00...) refuses the type.
    bool refused = false;
    std::string_view parameters =
        semicolon == std::string_view::npos ? std::string_view() : element.substr(semicolon + 1);
    while (!parameters.empty()) {
      const size_t next = parameters.find(';');
      std::string_view parameter = trim(parameters.substr(0, next));
      parameters =
          next == std::string_view::npos ? std::string_view() : parameters.substr(next + 1);
      if (parameter.size() < 2 || !beast::iequals(parameter.substr(0, 2), "q=")) continue;
      std::string_view weight = parameter.substr(2);
      refused = !weight.empty() && weight.find_first_not_of("0.") == std::string_view::npos;
    }
    if (!refused) return true;
  }
  return false;
}

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  size_t mark = target.find('?');
  if (mark == std::string_view::npos) return {target, {}};
  return {target.substr(0, mark), target.substr(mark + 1)};
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = HexValue(text[i + 1]);
      int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> QueryParameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t equals = pair.find('=');
    std::string_view key = pair.substr(0, equals);
    if (key != name) continue;
    std::string_view value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    return PercentDecode(value, /*plus_is_space=*/true);
  }
  return std::nullopt;
}

void Router::HandleAsync(HttpRequest& request, int64_t received_ms,
                         std::function<void(HttpAnswer)> done) {
  auto [path, query] = SplitTarget(request.target());
  const IngestRoute* route = IngestRouteFor(path);
  if (route == nullptr || request.method() != http::verb::post) {
    return done(Handle(request, received_ms));
  }
  ingest_.HandleAsync(MakeIngestRequest(request, *route, query, received_ms),
                      [this, origin = std::string(request[http::field::origin]),
                       done = std::move(done)](HttpAnswer answer) {
                        cors_.AddHeaders(origin, answer);
                        done(std::move(answer));
                      });
}

HttpAnswer Router::Handle(HttpRequest& request, int64_t received_ms) {
  auto [path, query] = SplitTarget(request.target());

  if (const IngestRoute* route = IngestRouteFor(path)) {
    std::string_view origin = request[http::field::origin];
    if (request.method() == http::verb::options) return cors_.Preflight(origin);
    if (request.method() != http::verb::post) return MethodNotAllowed("POST, OPTIONS");

    HttpAnswer answer = ingest_.Handle(MakeIngestRequest(request, *route, query, received_ms));
    cors_.AddHeaders(origin, answer);
    return answer;
  }

  if (path == "/healthz") {
    if (!IsGetOrHead(request.method())) return MethodNotAllowed("GET, HEAD");
    return JsonAnswer(200, R"({"status":"ok"})");
  }
  if (path == "/readyz") {
    if (!IsGetOrHead(request.method())) return MethodNotAllowed("GET, HEAD");
    return Readiness();
  }
  if (path == "/metrics") {
    // Open like /healthz, so a scraper needs no credentials.
    if (!IsGetOrHead(request.method())) return MethodNotAllowed("GET, HEAD");
    HttpAnswer answer = JsonAnswer(200, metrics_.Render());
    answer.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return answer;
  }

  // Credentials are checked before the method, so that an unauthenticated
  // client learns nothing more about a protected route.
  if (std::optional<Access> needed = RouteAccess(path)) {
    const std::string_view authorization = request[http::field::authorization];
    if (auto denied = access_.Check(*needed, authorization, std::nullopt)) return *denied;
    if (!PercentDecode(query, /*plus_is_space=*/true)) {
      return JsonAnswer(400, EncodeError("invalid_parameter", kMalformedQueryEscape));
    }
  }

  if (path == "/v1/admin/reload") {
    if (request.method() != http::verb::post) return MethodNotAllowed("POST");
    ReloadResult result = reloader_.Reload();
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("reloaded");
    writer.Bool(result.ok);
    writer.Key("message");
    writer.String(result.message);
    writer.Key("rules");
    writer.Int(static_cast<int64_t>(result.rules));
    writer.Key("alert_changes");
    writer.Int(static_cast<int64_t>(result.alert_changes));
    writer.EndObject();
    return JsonAnswer(result.ok ? 200 : 422, writer.Release());
  }
  if (path == "/v1/alerts/stream" || path == "/v1/ingest") {
    HttpAnswer answer = JsonAnswer(
        426, EncodeError("upgrade_required",
                         std::string(path) + " is a WebSocket; send a WebSocket upgrade request."));
    answer.headers.emplace_back("Upgrade", "websocket");
    return answer;
  }
  constexpr std::string_view kAlertsPrefix = "/v1/alerts/";
  constexpr std::string_view kAckSuffix = "/ack";
  if (path.starts_with(kAlertsPrefix) && path.ends_with(kAckSuffix) &&
      path.size() > kAlertsPrefix.size() + kAckSuffix.size()) {
    if (request.method() != http::verb::post) return MethodNotAllowed("POST");
    std::string_view id =
        path.substr(kAlertsPrefix.size(), path.size() - kAlertsPrefix.size() - kAckSuffix.size());
    return Acknowledge(id, request.body());
  }
  if (path == "/v1/alerts") {
    if (!IsGetOrHead(request.method())) return MethodNotAllowed("GET, HEAD");
    return ListAlerts(query);
  }
  if (path == "/v1/silences" || path.starts_with("/v1/silences/")) {
    return HandleSilences(request, path);
  }
  if (path == "/v1/accounts") {
    if (!IsGetOrHead(request.method())) return MethodNotAllowed("GET, HEAD");
    return ListAtRiskAccounts(aggregator_, query);
  }
  constexpr std::string_view kAccountsPrefix = "/v1/accounts/";
  if (path.starts_with(kAccountsPrefix) && path.size() > kAccountsPrefix.size()) {
    if (!IsGetOrHead(request.method())) return MethodNotAllowed("GET, HEAD");
    return GetAccount(path.substr(kAccountsPrefix.size()));
  }
  return JsonAnswer(404, EncodeError("not_found", "No route for " + std::string(path) + "."));
}

HttpAnswer Router::ListAlerts(std::string_view query) {
  uint64_t after = 0;
  size_t limit = kDefaultAlertPage;
  if (auto text = QueryParameter(query, "after")) {
    std::optional<uint64_t> value = ParseUnsigned(*text);
    if (!value) {
      return JsonAnswer(
          400, EncodeError("invalid_parameter", "after must be an alert id (a whole number)."));
    }
    after = *value;
  }
  if (auto text = QueryParameter(query, "limit")) {
    std::optional<uint64_t> value = ParseUnsigned(*text);
    if (!value || *value == 0 || *value > kMaxAlertPage) {
      return JsonAnswer(400, EncodeError("invalid_parameter", "limit must be between 1 and 1000."));
    }
    limit = *value;
  }
  std::optional<std::string> state = QueryParameter(query, "state");
  std::optional<std::string> account = QueryParameter(query, "account");
  std::optional<std::string> rule = QueryParameter(query, "rule");
  std::optional<std::string> severity = QueryParameter(query, "severity");
  std::optional<std::string> owner = QueryParameter(query, "owner");
  std::optional<std::string> tier = QueryParameter(query, "tier");
  if (state && *state != "firing" && *state != "resolved" && *state != "pending") {
    return JsonAnswer(
        400, EncodeError("invalid_parameter", "state must be pending, firing or resolved."));
  }
  if (severity && *severity != "info" && *severity != "warning" && *severity != "critical") {
    return JsonAnswer(
        400, EncodeError("invalid_parameter", "severity must be info, warning or critical."));
  }

  // Filters apply while paging through the store, so a page holds up to
  // `limit` matches. `more` is true when the scan stopped before the end of
  // the store; the next page starts after next_after.
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("alerts");
  writer.BeginArray();
  size_t matched = 0;
  uint64_t cursor = after;
  bool more = false;
  bool done = false;
  while (!done) {
    std::vector<std::pair<uint64_t, std::string>> page;
    StorageStatus status = store_.ListAlerts(cursor, kMaxAlertPage, &page);
    if (!status.ok()) {
      HttpAnswer answer = JsonAnswer(
          503, EncodeError("storage_unavailable", "Storage is unavailable; retry later."));
      answer.headers.emplace_back("Retry-After", "5");
      return answer;
    }
    done = page.size() < kMaxAlertPage;
    for (size_t i = 0; i < page.size(); ++i) {
      const auto& [id, json] = page[i];
      cursor = id;
      std::optional<Alert> alert = DecodeAlert(json);
      if (!alert) continue;
      if (state && *state != AlertStateName(alert->state)) continue;
      if (account && *account != alert->account_id) continue;
      if (rule && *rule != alert->rule) continue;
      const char* severity_name = SeverityName(alert->severity);
      if (severity && *severity != severity_name) continue;
      if (owner && *owner != alert->owner) continue;
      if (tier && *tier != alert->tier) continue;
      // An open alert that a silence matches now names that silence, as its
      // changes on the stream do.
      const uint64_t silenced_by =
          alert->state == AlertState::kResolved
              ? 0
              : silences_.Match(alert->rule, alert->account_id, severity_name);
      if (silenced_by == 0) {
        writer.Raw(json);
      } else {
        writer.Raw("{\"silenced_by\":" + std::to_string(silenced_by) + "," + json.substr(1));
      }
      if (++matched == limit) {
        more = i + 1 < page.size() || !done;
        done = true;
        break;
      }
    }
  }
  writer.EndArray();
  writer.Key("next_after");
  writer.Int(static_cast<int64_t>(cursor));
  writer.Key("more");
  writer.Bool(more);
  writer.EndObject();
  return JsonAnswer(200, writer.Release());
}

HttpAnswer Router::Readiness() {
  const StorageStatus health = store_.WriteHealth();
  if (health.ok()) return JsonAnswer(200, R"({"status":"ready"})");
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("status");
  writer.String("not_ready");
  writer.Key("reason");
  writer.String(health.message());
  writer.EndObject();
  HttpAnswer answer = JsonAnswer(503, writer.Release());
  answer.headers.emplace_back("Retry-After", std::to_string(kStorageRecoverySeconds));
  return answer;
}

HttpAnswer Router::GetAccount(std::string_view encoded_id) {
  std::optional<std::string> id = PercentDecode(encoded_id, /*plus_is_space=*/false);
  if (!id) {
    return JsonAnswer(400, EncodeError("invalid_parameter",
                                       "The account id in the path has a malformed % escape."));
  }
  if (!simdjson::validate_utf8(id->data(), id->size())) {
    return JsonAnswer(
        400, EncodeError("invalid_parameter", "The account id in the path is not valid UTF-8."));
  }
  std::optional<AccountView> view = aggregator_.View(*id, clock_.Now());
  if (!view) {
    return JsonAnswer(404, EncodeError("account_not_found",
                                       "No events have been received for account '" + *id + "'."));
  }
  return JsonAnswer(200, EncodeAccountView(*view));
}

HttpAnswer Router::Acknowledge(std::string_view id_text, const std::string& body) {
  std::optional<uint64_t> id = ParseUnsigned(id_text);
  if (!id) {
    return JsonAnswer(400, EncodeError("invalid_parameter", "The alert id must be a number."));
  }

  simdjson::dom::parser parser;
  simdjson::dom::object fields;
  std::string_view by;
  if (parser.parse(body).get(fields) || fields["by"].get(by) || by.empty()) {
    return JsonAnswer(400, EncodeError("invalid_body",
                                       "Send a JSON object with \"by\" (who acknowledges, "
                                       "non-empty) and an optional \"comment\"."));
  }
  std::string_view comment;
  if (fields["comment"].get(comment) == simdjson::INCORRECT_TYPE) {
    return JsonAnswer(400, EncodeError("invalid_body", "\"comment\" must be a string."));
  }
  if (by.size() > kMaxActorBytes || comment.size() > kMaxCommentBytes) {
    return JsonAnswer(
        400, EncodeError("invalid_body", "\"by\" takes at most " + std::to_string(kMaxActorBytes) +
                                             " bytes and \"comment\" at most " +
                                             std::to_string(kMaxCommentBytes) + "."));
  }

  std::optional<std::string> stored;
  if (StorageStatus status = store_.GetAlert(*id, &stored); !status.ok()) {
    HttpAnswer answer =
        JsonAnswer(503, EncodeError("storage_unavailable", "Storage is unavailable; retry later."));
    answer.headers.emplace_back("Retry-After", "5");
    return answer;
  }
  std::optional<Alert> alert = stored ? DecodeAlert(*stored) : std::nullopt;
  if (!alert) {
    return JsonAnswer(
        404, EncodeError("alert_not_found", "No alert " + std::to_string(*id) + " is stored."));
  }
  if (alert->state != AlertState::kFiring) {
    return JsonAnswer(
        409, EncodeError("alert_not_firing", "Alert " + std::to_string(*id) + " is " +
                                                 AlertStateName(alert->state) +
                                                 "; only a firing alert can be acknowledged."));
  }
  // Acknowledging twice changes nothing and records no second change.
  if (!alert->acknowledged_by.empty()) return JsonAnswer(200, *stored);

  alert->acknowledged_by = std::string(by);
  alert->acknowledgement_comment = std::string(comment);
  alert->acknowledged_at_ms = clock_.Now();
  alert->updated_at_ms = alert->acknowledged_at_ms;
  std::string json = EncodeAlert(*alert);
  if (!recorder_.RecordEncoded(*alert, json, "acknowledged")) {
    HttpAnswer answer =
        JsonAnswer(503, EncodeError("storage_unavailable", "Storage is unavailable; retry later."));
    answer.headers.emplace_back("Retry-After", "5");
    return answer;
  }
  return JsonAnswer(200, std::move(json));
}

}  // namespace uptake
