// Unit tests of the metrics exposition helpers, the log rate limiter and
// the JSON log line format.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "server/log_format.h"
#include "server/log_rate_limiter.h"
#include "server/server_metrics.h"

namespace uptake {
namespace {

TEST(PrometheusWriter, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue(R"(a"b\c)"
                             "\n"),
            R"(a\"b\\c\n)");
  PrometheusWriter writer;
  writer.Family("uptake_x", "gauge", "A test.\nSecond line.");
  writer.Sample("uptake_x", {"webhook", "say \"hi\""}, uint64_t{3});
  EXPECT_EQ(writer.Release(),
            "# HELP uptake_x A test.\\nSecond line.\n# TYPE uptake_x gauge\n"
            "uptake_x{webhook=\"say \\\"hi\\\"\"} 3\n");
}

TEST(RouteIndexOf, MapsPathsToPatterns) {
  EXPECT_EQ(RouteName(RouteIndexOf("/v1/batch/")), "/v1/batch");
  EXPECT_EQ(RouteName(RouteIndexOf("/v1/accounts/acme")), "/v1/accounts/{id}");
  EXPECT_EQ(RouteName(RouteIndexOf("/v1/alerts/12/ack")), "/v1/alerts/{id}/ack");
  EXPECT_EQ(RouteName(RouteIndexOf("/v1/silences/3")), "/v1/silences/{id}");
  EXPECT_EQ(RouteName(RouteIndexOf("/wp-admin/x")), "other");
  EXPECT_EQ(RouteName(RouteIndexOf("/metrics")), "/metrics");
}

TEST(ServerMetrics, HistogramBucketsAreCumulative) {
  ServerMetrics metrics;
  size_t route = RouteIndexOf("/healthz");
  metrics.RecordRequest(route, 200, std::chrono::microseconds(100));
  metrics.RecordRequest(route, 200, std::chrono::milliseconds(20));
  metrics.RecordRequest(route, 599, std::chrono::seconds(30));
  std::string text = metrics.Render();
  EXPECT_NE(text.find("uptake_http_request_duration_seconds_bucket{route=\"/healthz\",le="
                      "\"0.0005\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("le=\"0.025\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("le=\"10\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("{route=\"/healthz\",status=\"other\"} 1\n"), std::string::npos) << text;
}

TEST(LogRateLimiter, AllowsFirstLinesPerWindow) {
  LogRateLimiter limiter(3, 60000, 100);
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += limiter.Allow("peer-a", 1000 + i) ? 1 : 0;
  EXPECT_EQ(allowed, 3);
  EXPECT_TRUE(limiter.Allow("peer-b", 1000));
  EXPECT_EQ(limiter.ReportSuppressed(30000, /*all=*/false), 0u);  // window still open
  EXPECT_EQ(limiter.ReportSuppressed(61000, /*all=*/false), 1u);  // peer-a's 7
  EXPECT_TRUE(limiter.Allow("peer-a", 61001));
}

TEST(LogRateLimiter, KeyCountIsBounded) {
  LogRateLimiter limiter(1, 60000, 2);
  EXPECT_TRUE(limiter.Allow("a", 0));
  EXPECT_TRUE(limiter.Allow("b", 0));
  EXPECT_TRUE(limiter.Allow("c", 0));   // first line of the overflow key
  EXPECT_FALSE(limiter.Allow("d", 0));  // shares the overflow key
  EXPECT_EQ(limiter.ReportSuppressed(0, /*all=*/true), 1u);
}

TEST(JsonLogLine, TagsBecomeFields) {
  std::string line = FormatJsonLogLine("2026-01-01T00:00:00.000Z", "error",
                                       "[alert 12] [account acme \"co\"] failed to store: io");
  simdjson::dom::parser parser;
  simdjson::dom::element record = parser.parse(line);
  EXPECT_EQ(int64_t(record["alert"]), 12);
  EXPECT_EQ(std::string_view(record["account"]), "acme \"co\"");
  EXPECT_EQ(std::string_view(record["message"]), "failed to store: io");
  EXPECT_EQ(std::string_view(record["level"]), "error");

  line = FormatJsonLogLine("t", "info", "[startup] [conn 3] listening");
  record = parser.parse(line);
  EXPECT_EQ(std::string_view(record["component"]), "startup");
  EXPECT_EQ(int64_t(record["connection"]), 3);
}

}  // namespace
}  // namespace uptake
