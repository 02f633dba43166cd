#include "bench/bench_report.h"

#include <cstdio>

#include "bench/segment_batch.h"

namespace uptake {
namespace {

struct Quantile {
  const char* text_name;  // as printed, "p99.9"
  const char* json_name;  // as a JSON key, "p99_9"
  double q;
};

constexpr Quantile kQuantiles[] = {
    {"p50", "p50", 0.50}, {"p90", "p90", 0.90}, {"p99", "p99", 0.99}, {"p99.9", "p99_9", 0.999}};

std::string Format(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

double PerSecond(int64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0;
}

std::string PercentilesText(const LatencyHistogram& histogram) {
  std::string out;
  for (const Quantile& quantile : kQuantiles) {
    out.append(quantile.text_name).append(" ");
    out.append(Format("%.3f", static_cast<double>(histogram.ValueAtQuantile(quantile.q)) / 1000));
    out.append("  ");
  }
  out.append("max ").append(Format("%.3f", static_cast<double>(histogram.max()) / 1000));
  out.append(" ms");
  return out;
}

std::string PercentilesJson(const LatencyHistogram& histogram) {
  std::string out = R"({"count":)" + std::to_string(histogram.count());
  for (const Quantile& quantile : kQuantiles) {
    out.append(",\"").append(quantile.json_name).append("\":");
    out.append(std::to_string(histogram.ValueAtQuantile(quantile.q)));
  }
  out.append(R"(,"max":)").append(std::to_string(histogram.max())).append("}");
  return out;
}

std::string ErrorsJson(const std::vector<std::string>& errors) {
  std::string out = "[";
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) out += ",";
    AppendJsonString(errors[i], &out);
  }
  return out + "]";
}

}  // namespace

std::string FormatLoadText(const BenchOptions& options, const LoadStats& stats) {
  std::string out;
  auto line = [&out](const std::string& name, const std::string& value) {
    out += name + std::string(name.size() < 18 ? 18 - name.size() : 1, ' ') + value + "\n";
  };
  line("mode",
       std::string(options.rate > 0 ? "open loop at " + Format("%.1f", options.rate) + " requests/s"
                                    : "closed loop") +
           ", " + std::to_string(options.connections) + " connections x " +
           std::to_string(options.in_flight) + " in flight");
  line("requests sent", std::to_string(stats.requests_sent));
  line("requests ok", std::to_string(stats.requests_ok));
  line("events sent", std::to_string(stats.events_sent));
  line("events accepted", std::to_string(stats.events_accepted));
  line("duplicates", std::to_string(stats.duplicates));
  line("rejected", std::to_string(stats.rejected));
  line("network errors", std::to_string(stats.network_errors));
  for (const auto& [status, count] : stats.errors_by_status) {
    line("HTTP " + std::to_string(status), std::to_string(count));
  }
  if (stats.invalid_bodies > 0) line("invalid bodies", std::to_string(stats.invalid_bodies));
  line("measured", std::to_string(stats.measured_requests) + " requests in " +
                       Format("%.3f", stats.measured_seconds) + " s");
  line("throughput",
       Format("%.0f", PerSecond(stats.measured_events, stats.measured_seconds)) + " events/s, " +
           Format("%.0f", PerSecond(stats.measured_requests, stats.measured_seconds)) +
           " requests/s");
  line("latency ms", PercentilesText(stats.latency_us));
  if (stats.source_exhausted) line("note", "the replay input ran out before the bounds");
  for (const std::string& error : stats.first_errors) line("error", error);
  return out;
}

std::string FormatLoadJson(const BenchOptions& options, const LoadStats& stats) {
  std::string errors = "{";
  for (const auto& [status, count] : stats.errors_by_status) {
    if (errors.size() > 1) errors += ",";
    errors.append("\"").append(std::to_string(status)).append("\":");
    errors.append(std::to_string(count));
  }
  errors += "}";

  std::string out = "{";
  out += R"("mode":")" + std::string(options.rate > 0 ? "open" : "closed") + "\"";
  out += R"(,"connections":)" + std::to_string(options.connections);
  out += R"(,"in_flight":)" + std::to_string(options.in_flight);
  out += R"(,"batch":)" + std::to_string(options.batch);
  out += R"(,"totals":{"requests_sent":)" + std::to_string(stats.requests_sent);
  out += R"(,"requests_ok":)" + std::to_string(stats.requests_ok);
  out += R"(,"events_sent":)" + std::to_string(stats.events_sent);
  out += R"(,"events_accepted":)" + std::to_string(stats.events_accepted);
  out += R"(,"duplicates":)" + std::to_string(stats.duplicates);
  out += R"(,"rejected":)" + std::to_string(stats.rejected);
  out += R"(,"network_errors":)" + std::to_string(stats.network_errors);
  out += R"(,"invalid_bodies":)" + std::to_string(stats.invalid_bodies);
  out += R"(,"errors_by_status":)" + errors + "}";
  out += R"(,"measured":{"requests":)" + std::to_string(stats.measured_requests);
  out += R"(,"events":)" + std::to_string(stats.measured_events);
  out += R"(,"seconds":)" + Format("%.6f", stats.measured_seconds);
  out += R"(,"events_per_second":)" +
         Format("%.1f", PerSecond(stats.measured_events, stats.measured_seconds));
  out += R"(,"requests_per_second":)" +
         Format("%.1f", PerSecond(stats.measured_requests, stats.measured_seconds));
  out += R"(,"latency_us":)" + PercentilesJson(stats.latency_us) + "}";
  out += R"(,"source_exhausted":)" + std::string(stats.source_exhausted ? "true" : "false");
  out += R"(,"first_errors":)" + ErrorsJson(stats.first_errors) + "}\n";
  return out;
}

std::string FormatAlertText(const AlertProbeStats& stats) {
  std::string out = "alerts            " + std::to_string(stats.alerts) + " of " +
                    std::to_string(stats.probes) + " probes\n";
  out += "send-to-alert ms  " + PercentilesText(stats.latency_us) + "\n";
  if (!stats.error.empty()) out += "error             " + stats.error + "\n";
  return out;
}

std::string FormatAlertJson(const AlertProbeStats& stats) {
  std::string out = R"({"mode":"alert_latency","probes":)" + std::to_string(stats.probes);
  out += R"(,"alerts":)" + std::to_string(stats.alerts);
  out += R"(,"latency_us":)" + PercentilesJson(stats.latency_us);
  out += R"(,"error":)";
  if (stats.error.empty()) {
    out += "null";
  } else {
    AppendJsonString(stats.error, &out);
  }
  return out + "}\n";
}

}  // namespace uptake
