#include "server/server_metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace uptake {
namespace {

// Route patterns in RouteIndexOf order; the last one collects every path
// no route serves.
constexpr std::array<std::string_view, 27> kRouteNames = {
    "/v1/batch",
    "/v1/import",
    "/v1/track",
    "/v1/identify",
    "/v1/group",
    "/v1/page",
    "/v1/screen",
    "/v1/alias",
    "/batch",
    "/capture",
    "/e",
    "/i/v0/e",
    "/2/httpapi",
    "/import",
    "/v1/ingest",
    "/v1/alerts/stream",
    "/v1/alerts",
    "/v1/alerts/{id}/ack",
    "/v1/accounts",
    "/v1/accounts/{id}",
    "/v1/silences",
    "/v1/silences/{id}",
    "/v1/admin/reload",
    "/healthz",
    "/readyz",
    "/metrics",
    "other",
};
constexpr size_t kOtherRoute = kRouteNames.size() - 1;
static_assert(kRouteNames.size() == ServerMetrics::kRouteCount);
// Ingest paths, which the router also serves with a trailing slash.
constexpr size_t kIngestRouteCount = 14;

constexpr std::array<std::string_view, 4> kFamilyNames = {"segment", "posthog", "amplitude",
                                                          "mixpanel"};
constexpr std::array<std::string_view, 3> kOutcomeNames = {"stored", "duplicate", "rejected"};

size_t IndexOfRoute(std::string_view name) {
  return static_cast<size_t>(std::find(kRouteNames.begin(), kRouteNames.end(), name) -
                             kRouteNames.begin());
}

void AppendNumber(std::string* out, double value) {
  if (std::isinf(value)) {
    out->append(value > 0 ? "+Inf" : "-Inf");
    return;
  }
  char buffer[32];
  auto [end, error] =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  out->append(buffer, error == std::errc() ? end : buffer);
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void PrometheusWriter::Family(std::string_view name, std::string_view type, std::string_view help) {
  // HELP text escapes only backslash and line feed.
  text_.append("# HELP ").append(name).push_back(' ');
  for (char c : help) {
    if (c == '\\') {
      text_.append("\\\\");
    } else if (c == '\n') {
      text_.append("\\n");
    } else {
      text_.push_back(c);
    }
  }
  text_.append("\n# TYPE ").append(name).push_back(' ');
  text_.append(type).push_back('\n');
}

void PrometheusWriter::AppendLabels(std::initializer_list<std::string_view> labels) {
  if (labels.size() == 0) return;
  text_.push_back('{');
  bool first = true;
  for (auto it = labels.begin(); it != labels.end() && it + 1 != labels.end(); it += 2) {
    if (!first) text_.push_back(',');
    first = false;
    text_.append(*it).append("=\"").append(EscapeLabelValue(*(it + 1))).push_back('"');
  }
  text_.push_back('}');
}

void PrometheusWriter::Sample(std::string_view name, std::initializer_list<std::string_view> labels,
                              double value) {
  text_.append(name);
  AppendLabels(labels);
  text_.push_back(' ');
  AppendNumber(&text_, value);
  text_.push_back('\n');
}

void PrometheusWriter::Sample(std::string_view name, std::initializer_list<std::string_view> labels,
                              uint64_t value) {
  text_.append(name);
  AppendLabels(labels);
  text_.push_back(' ');
  text_.append(std::to_string(value));
  text_.push_back('\n');
}

size_t RouteIndexOf(std::string_view path) {
  std::string_view trimmed = path;
  if (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
  for (size_t i = 0; i < kIngestRouteCount; ++i) {
    if (kRouteNames[i] == trimmed) return i;
  }
  for (size_t i = kIngestRouteCount; i < kOtherRoute; ++i) {
    if (kRouteNames[i] == path) return i;
  }

  constexpr std::string_view kAlertsPrefix = "/v1/alerts/";
  constexpr std::string_view kAccountsPrefix = "/v1/accounts/";
  constexpr std::string_view kSilencesPrefix = "/v1/silences/";
  if (path.starts_with(kAlertsPrefix) && path.ends_with("/ack")) {
    return IndexOfRoute("/v1/alerts/{id}/ack");
  }
  if (path.starts_with(kAccountsPrefix) && path.size() > kAccountsPrefix.size()) {
    return IndexOfRoute("/v1/accounts/{id}");
  }
  if (path.starts_with(kSilencesPrefix) && path.size() > kSilencesPrefix.size()) {
    return IndexOfRoute("/v1/silences/{id}");
  }
  return kOtherRoute;
}

std::string_view RouteName(size_t route_index) {
  return kRouteNames[std::min(route_index, kOtherRoute)];
}

void ServerMetrics::RecordRequest(size_t route_index, int status,
                                  std::chrono::nanoseconds latency) {
  RouteCells& cells = routes_[std::min(route_index, kOtherRoute)];
  size_t status_index = kStatuses.size() - 1;
  for (size_t i = 0; i + 1 < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) {
      status_index = i;
      break;
    }
  }
  cells.responses[status_index].fetch_add(1, std::memory_order_relaxed);

  const double seconds = std::chrono::duration<double>(latency).count();
  size_t bucket = 0;
  while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) ++bucket;
  cells.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  cells.latency_sum_ns.fetch_add(static_cast<uint64_t>(std::max<int64_t>(0, latency.count())),
                                 std::memory_order_relaxed);
}

void ServerMetrics::RecordEvents(EventFamily family, uint64_t stored, uint64_t duplicates,
                                 uint64_t rejected) {
  FamilyCells& cells = families_[static_cast<size_t>(family)];
  if (stored != 0) cells.events[0].fetch_add(stored, std::memory_order_relaxed);
  if (duplicates != 0) {
    cells.events[1].fetch_add(duplicates, std::memory_order_relaxed);
    dedup_hits_.fetch_add(duplicates, std::memory_order_relaxed);
  }
  if (rejected != 0) cells.events[2].fetch_add(rejected, std::memory_order_relaxed);
}

void ServerMetrics::WriteCounters(PrometheusWriter& writer) const {
  writer.Family("uptake_http_requests_total", "counter",
                "HTTP responses sent, by route pattern and status code (101 for WebSocket "
                "upgrades and event streams; status \"other\" for codes not listed).");
  for (size_t route = 0; route < kRouteCount; ++route) {
    for (size_t i = 0; i < kStatuses.size(); ++i) {
      uint64_t count = routes_[route].responses[i].load(std::memory_order_relaxed);
      if (count == 0) continue;
      std::string status = kStatuses[i] == 0 ? "other" : std::to_string(kStatuses[i]);
      writer.Sample("uptake_http_requests_total", {"route", kRouteNames[route], "status", status},
                    count);
    }
  }

  writer.Family("uptake_http_request_duration_seconds", "histogram",
                "Time from a request head's arrival to its response being handed to the "
                "socket, by route pattern.");
  for (size_t route = 0; route < kRouteCount; ++route) {
    const RouteCells& cells = routes_[route];
    uint64_t cumulative = 0;
    std::array<uint64_t, kLatencyBuckets.size() + 1> counts{};
    for (size_t i = 0; i < counts.size(); ++i) {
      counts[i] = cells.buckets[i].load(std::memory_order_relaxed);
    }
    uint64_t total = 0;
    for (uint64_t count : counts) total += count;
    if (total == 0) continue;
    for (size_t i = 0; i < counts.size(); ++i) {
      cumulative += counts[i];
      std::string bound;
      if (i < kLatencyBuckets.size()) {
        AppendNumber(&bound, kLatencyBuckets[i]);
      } else {
        bound = "+Inf";
      }
      writer.Sample("uptake_http_request_duration_seconds_bucket",
                    {"route", kRouteNames[route], "le", bound}, cumulative);
    }
    writer.Sample("uptake_http_request_duration_seconds_sum", {"route", kRouteNames[route]},
                  static_cast<double>(cells.latency_sum_ns.load(std::memory_order_relaxed)) / 1e9);
    writer.Sample("uptake_http_request_duration_seconds_count", {"route", kRouteNames[route]},
                  cumulative);
  }

  writer.Family("uptake_ingest_events_total", "counter",
                "Ingested events by SDK family and outcome: stored (new), duplicate (already "
                "stored, answered as accepted) or rejected (invalid, not stored).");
  for (size_t family = 0; family < families_.size(); ++family) {
    for (size_t outcome = 0; outcome < kOutcomeCount; ++outcome) {
      writer.Sample("uptake_ingest_events_total",
                    {"family", kFamilyNames[family], "outcome", kOutcomeNames[outcome]},
                    families_[family].events[outcome].load(std::memory_order_relaxed));
    }
  }

  writer.Family("uptake_dedup_hits_total", "counter",
                "Events whose (write key, message id) was already stored, over every family.");
  writer.Sample("uptake_dedup_hits_total", {}, dedup_hits_.load(std::memory_order_relaxed));

  writer.Family("uptake_ingest_timestamps_clamped_total", "counter",
                "Stored events whose timestamp was later than the receive time by more than "
                "limits.future_tolerance_seconds and was set to the receive time.");
  writer.Sample("uptake_ingest_timestamps_clamped_total", {},
                clamped_timestamps_.load(std::memory_order_relaxed));
}

std::string ServerMetrics::Render() const {
  PrometheusWriter writer;
  WriteCounters(writer);
  if (write_gauges_) write_gauges_(writer);
  return writer.Release();
}

}  // namespace uptake
