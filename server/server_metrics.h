// Counters and histograms of the running server, and their Prometheus text
// exposition for GET /metrics.

#ifndef UPTAKE_SERVER_SERVER_METRICS_H_
#define UPTAKE_SERVER_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace uptake {

// Builds a text exposition (format 0.0.4): a HELP and a TYPE line once per
// metric family, then its samples, with label values escaped.
class PrometheusWriter {
 public:
  // Starts a metric family. `type` is counter, gauge or histogram.
  void Family(std::string_view name, std::string_view type, std::string_view help);

  // Appends one sample. `labels` alternate name and value.
  void Sample(std::string_view name, std::initializer_list<std::string_view> labels, double value);
  void Sample(std::string_view name, std::initializer_list<std::string_view> labels,
              uint64_t value);

  std::string Release() { return std::move(text_); }

 private:
  void AppendLabels(std::initializer_list<std::string_view> labels);

  std::string text_;
};

// Escapes a label value: backslash, double quote and line feed.
std::string EscapeLabelValue(std::string_view value);

// The route pattern a request path belongs to, so the `route` label has a
// fixed set of values whatever paths clients send.
size_t RouteIndexOf(std::string_view path);
std::string_view RouteName(size_t route_index);

// The SDK family of ingested events, for the `family` label.
enum class EventFamily : uint8_t { kSegment, kPostHog, kAmplitude, kMixpanel, kCount };

// Thread-safe. Each record is a few relaxed atomic additions on counters of
// their own cache line, with no lock, so the ingest path pays next to nothing.
class ServerMetrics {
 public:
  // Upper bounds, in seconds, of the request latency buckets.
  static constexpr std::array<double, 14> kLatencyBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  // Counts one response with `status` on the route of `route_index`, which
  // took `latency` from the request head's arrival.
  void RecordRequest(size_t route_index, int status, std::chrono::nanoseconds latency);

  // Counts the events of one ingest request.
  void RecordEvents(EventFamily family, uint64_t stored, uint64_t duplicates, uint64_t rejected);

  // Counts stored events whose timestamp lay too far in the future and was
  // clamped to their receive time.
  void RecordClampedTimestamps(uint64_t count) {
    clamped_timestamps_.fetch_add(count, std::memory_order_relaxed);
  }

  // Appends the counters and histograms kept here to `writer`.
  void WriteCounters(PrometheusWriter& writer) const;

  // Sets the function that appends the gauges read at scrape time (storage,
  // accounts, alerts, subscribers, outbox). Call once before serving.
  void SetGaugeWriter(std::function<void(PrometheusWriter&)> write_gauges) {
    write_gauges_ = std::move(write_gauges);
  }

  // Returns the whole exposition: counters, then gauges.
  std::string Render() const;

  // Route patterns RouteIndexOf maps to, "other" included.
  static constexpr size_t kRouteCount = 27;

 private:
  static constexpr std::array<int, 19> kStatuses = {101, 200, 204, 400, 401, 403, 404,
                                                    405, 409, 413, 415, 422, 426, 429,
                                                    431, 500, 502, 503, 0};  // 0: other
  static constexpr size_t kOutcomeCount = 3;  // stored, duplicate, rejected

  // One route's counters on their own cache lines, so requests to
  // different routes never share a line.
  struct alignas(64) RouteCells {
    std::array<std::atomic<uint64_t>, kStatuses.size()> responses{};
    std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> buckets{};  // last: +Inf
    std::atomic<uint64_t> latency_sum_ns{0};
  };
  struct alignas(64) FamilyCells {
    std::array<std::atomic<uint64_t>, kOutcomeCount> events{};
  };

  std::array<RouteCells, kRouteCount> routes_{};
  std::array<FamilyCells, static_cast<size_t>(EventFamily::kCount)> families_{};
  alignas(64) std::atomic<uint64_t> dedup_hits_{0};
  std::atomic<uint64_t> clamped_timestamps_{0};
  std::function<void(PrometheusWriter&)> write_gauges_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_SERVER_METRICS_H_
