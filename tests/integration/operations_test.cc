// End-to-end tests of the operations surface: GET /metrics, graceful
// shutdown on SIGTERM, and JSON logs with rate-limited client errors.

#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

constexpr char kConfig[] = R"(
clock: event
write_keys: [test-key]
limits: {max_event_age_days: 10000}
login_events: [Signed In]
features:
  - {id: Reports, events: [Report Viewed]}
rules:
  - {name: inactive, kind: inactivity, days: 7, severity: critical}
log: {format: json, level: info}
)";

const std::vector<std::pair<std::string, std::string>> kAuth = {
    {"Authorization", BasicAuth("test-key")}};

std::string Track(const std::string& id, const std::string& account, const std::string& timestamp) {
  return R"({"type":"track","messageId":")" + id + R"(","userId":"u-)" + account +
         R"(","event":"Report Viewed","timestamp":")" + timestamp + R"(","context":{"groupId":")" +
         account + R"("}})";
}

std::string Batch(const std::vector<std::string>& events) {
  std::string body = R"({"batch":[)";
  for (size_t i = 0; i < events.size(); ++i) body += (i > 0 ? "," : "") + events[i];
  return body + "]}";
}

// One parsed exposition: samples keyed by their series text, for example
// `uptake_alerts{state="firing"}`, and the TYPE of each metric family.
struct Exposition {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
  std::map<std::string, std::string> helps;
  std::vector<std::string> errors;  // lines that do not parse
};

// Parses the text format 0.0.4: "# HELP name text", "# TYPE name type",
// and "series value" lines, where series is a name with an optional
// {label="value",...} set whose values may contain escaped quotes.
Exposition ParseExposition(const std::string& text) {
  Exposition result;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      std::string rest = line.substr(7);
      size_t space = rest.find(' ');
      if (space == std::string::npos) {
        result.errors.push_back(line);
        continue;
      }
      auto& target = line[2] == 'H' ? result.helps : result.types;
      target[rest.substr(0, space)] = rest.substr(space + 1);
      continue;
    }
    // The series ends at the first space outside a quoted label value.
    size_t i = 0;
    bool quoted = false;
    for (; i < line.size(); ++i) {
      if (quoted && line[i] == '\\') {
        ++i;
      } else if (line[i] == '"') {
        quoted = !quoted;
      } else if (!quoted && line[i] == ' ') {
        break;
      }
    }
    if (i == line.size()) {
      result.errors.push_back(line);
      continue;
    }
    std::string value = line.substr(i + 1);
    char* end = nullptr;
    double number = value == "+Inf" ? INFINITY : std::strtod(value.c_str(), &end);
    if (value != "+Inf" && (end == value.c_str() || *end != '\0')) {
      result.errors.push_back(line);
      continue;
    }
    result.samples[line.substr(0, i)] = number;
  }
  return result;
}

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path_ = dir_.path() + "/uptake.yaml";
    data_dir_ = dir_.path() + "/data";
    log_path_ = dir_.path() + "/uptake.log";
    WriteFile(config_path_, kConfig);
    Start();
  }

  void Start() {
    server_ = std::make_unique<ServerProcess>(config_path_, data_dir_, log_path_);
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "server log:\n" << server_->Log();
  }

  // Waits up to 20 s for the log to contain `text`.
  bool AwaitLog(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (server_->Log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }

  TempDir dir_;
  std::string config_path_;
  std::string data_dir_;
  std::string log_path_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(OperationsTest, MetricsCountClampedTimestamps) {
  HttpClient client(server_->port());
  // A timestamp beyond the future tolerance is stored at its receive time
  // and counted; its resend is a duplicate and is not counted again.
  const std::string batch = Batch(
      {Track("f1", "ahead", "2099-01-01T00:00:00Z"), Track("f2", "ahead", "2024-03-01T10:00:00Z")});
  ASSERT_EQ(client.Post("/v1/batch", batch, kAuth).status, 200);
  ASSERT_EQ(client.Post("/v1/batch", batch, kAuth).status, 200);

  Exposition metrics = ParseExposition(client.Get("/metrics").body);
  EXPECT_EQ(metrics.samples["uptake_ingest_timestamps_clamped_total"], 1);
  EXPECT_EQ(metrics.types["uptake_ingest_timestamps_clamped_total"], "counter");
}

TEST_F(OperationsTest, MetricsCountIngestAndAlerts) {
  AlertStreamClient stream(server_->port());
  HttpClient client(server_->port());
  const std::string first = Batch(
      {Track("q1", "quiet", "2024-03-01T10:00:00Z"), Track("b1", "busy", "2024-03-01T10:00:00Z")});
  ASSERT_EQ(client.Post("/v1/batch", first, kAuth).status, 200);
  ASSERT_EQ(client.Post("/v1/batch", first, kAuth).status, 200);  // both duplicates
  ASSERT_EQ(
      client.Post("/v1/batch", Batch({Track("b2", "busy", "2024-03-09T10:00:01Z"), "{}"}), kAuth)
          .status,
      200);
  ASSERT_EQ(client.Post("/v1/batch", "{not json", kAuth).status, 400);
  ASSERT_TRUE(stream.Next(milliseconds(10000)).has_value());  // the inactivity alert
  ASSERT_EQ(client.Get("/v1/accounts/busy").status, 200);
  ASSERT_EQ(client.Get("/v1/accounts/nobody").status, 404);

  HttpReply reply = client.Get("/metrics");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  Exposition metrics = ParseExposition(reply.body);
  EXPECT_TRUE(metrics.errors.empty()) << metrics.errors.front();

  auto& samples = metrics.samples;
  EXPECT_EQ(samples[R"(uptake_ingest_events_total{family="segment",outcome="stored"})"], 3);
  EXPECT_EQ(samples[R"(uptake_ingest_events_total{family="segment",outcome="duplicate"})"], 2);
  EXPECT_EQ(samples[R"(uptake_ingest_events_total{family="segment",outcome="rejected"})"], 1);
  EXPECT_EQ(samples["uptake_dedup_hits_total"], 2);
  EXPECT_EQ(samples[R"(uptake_http_requests_total{route="/v1/batch",status="200"})"], 3);
  EXPECT_EQ(samples[R"(uptake_http_requests_total{route="/v1/batch",status="400"})"], 1);
  // Account paths share one pattern, so the label set stays bounded.
  EXPECT_EQ(samples[R"(uptake_http_requests_total{route="/v1/accounts/{id}",status="200"})"], 1);
  EXPECT_EQ(samples[R"(uptake_http_requests_total{route="/v1/accounts/{id}",status="404"})"], 1);
  EXPECT_EQ(samples[R"(uptake_http_requests_total{route="/v1/alerts/stream",status="101"})"], 1);
  EXPECT_EQ(samples[R"(uptake_http_request_duration_seconds_count{route="/v1/batch"})"], 4);
  EXPECT_EQ(samples[R"(uptake_http_request_duration_seconds_bucket{route="/v1/batch",le="+Inf"})"],
            4);
  EXPECT_EQ(samples[R"(uptake_alerts{state="firing"})"], 1);
  EXPECT_EQ(samples[R"(uptake_alerts{state="pending"})"], 0);
  EXPECT_EQ(samples["uptake_accounts"], 2);
  EXPECT_EQ(samples["uptake_alert_stream_subscribers"], 1);
  EXPECT_EQ(samples["uptake_rocksdb_write_stopped"], 0);
  // The two requests that stored events came one after the other, so each
  // had a commit of its own.
  EXPECT_EQ(samples["uptake_store_commits_total"], 2);
  EXPECT_TRUE(samples.contains("uptake_wal_syncs_total"));
  EXPECT_TRUE(samples.contains(R"(uptake_rocksdb_live_data_bytes{column_family="events"})"));
  EXPECT_TRUE(samples.contains(R"(uptake_rocksdb_sst_files_bytes{column_family="events"})"));

  EXPECT_EQ(metrics.types["uptake_http_requests_total"], "counter");
  EXPECT_EQ(metrics.types["uptake_http_request_duration_seconds"], "histogram");
  EXPECT_EQ(metrics.types["uptake_alerts"], "gauge");
  for (const auto& [name, type] : metrics.types) {
    EXPECT_TRUE(metrics.helps.contains(name)) << name << " has no HELP line";
  }
}

TEST_F(OperationsTest, ShutdownClosesStreamWith1001) {
  AlertStreamClient stream(server_->port());
  IngestStreamClient ingest(server_->port(), BasicAuth("test-key"));
  ingest.Send(R"({"requestId":"r1","batch":[)" + Track("s1", "acme", "2024-03-01T10:00:00Z") +
              "]}");
  ASSERT_NE(ingest.Read().find("\"status\":200"), std::string::npos);
  ASSERT_TRUE(AwaitLog("alert stream subscriber connected"));

  server_->Signal(SIGTERM);
  EXPECT_EQ(stream.ReadCloseCode(), 1001);
  EXPECT_EQ(ingest.ReadCloseCode(), 1001);
  EXPECT_EQ(server_->Stop(), 0);
}

TEST_F(OperationsTest, InFlightRequestAnsweredDuringShutdown) {
  // Expect: 100-continue makes the server confirm it has read the request
  // head before the test sends SIGTERM, so the request is under way.
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
  const std::string body = Batch({Track("f1", "acme", "2024-03-01T10:00:00Z")});
  const std::string head =
      "POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + BasicAuth("test-key") +
      "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  asio::write(socket, asio::buffer(head));
  std::string received;
  asio::read_until(socket, asio::dynamic_buffer(received), "\r\n\r\n");
  ASSERT_TRUE(received.starts_with("HTTP/1.1 100"));
  received.erase(0, received.find("\r\n\r\n") + 4);

  server_->Signal(SIGTERM);
  ASSERT_TRUE(AwaitLog("signal 15 received"));
  asio::write(socket, asio::buffer(body));
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(received), ec);  // to EOF: Connection: close
  EXPECT_TRUE(received.starts_with("HTTP/1.1 200")) << received;
  EXPECT_NE(received.find("\"accepted\":1"), std::string::npos) << received;
  EXPECT_EQ(server_->Stop(), 0);

  // The restarted server serves the event acknowledged during shutdown.
  Start();
  HttpClient client(server_->port());
  // 404 would mean the account has no stored event.
  EXPECT_EQ(client.Get("/v1/accounts/acme").status, 200);
}

TEST_F(OperationsTest, JsonLogLinesParse) {
  HttpClient client(server_->port());
  ASSERT_EQ(client.Post("/v1/batch", "{not json", kAuth).status, 400);
  ASSERT_EQ(server_->Stop(), 0);

  simdjson::dom::parser parser;
  std::istringstream lines(server_->Log());
  std::string line;
  size_t parsed = 0;
  bool saw_client_error = false;
  while (std::getline(lines, line)) {
    simdjson::dom::element record;
    ASSERT_EQ(parser.parse(line).get(record), simdjson::SUCCESS) << line;
    std::string_view level;
    std::string_view message;
    std::string_view time;
    EXPECT_EQ(record["level"].get(level), simdjson::SUCCESS) << line;
    EXPECT_EQ(record["message"].get(message), simdjson::SUCCESS) << line;
    EXPECT_EQ(record["time"].get(time), simdjson::SUCCESS) << line;
    if (message.find("responded 400") != std::string_view::npos) {
      saw_client_error = true;
      int64_t connection = 0;
      std::string_view peer;
      EXPECT_EQ(record["connection"].get(connection), simdjson::SUCCESS) << line;
      EXPECT_EQ(record["peer"].get(peer), simdjson::SUCCESS) << line;
      EXPECT_EQ(peer, "127.0.0.1");
    }
    ++parsed;
  }
  EXPECT_GT(parsed, 3u);
  EXPECT_TRUE(saw_client_error);
}

TEST_F(OperationsTest, RepeatedClientErrorsRateLimited) {
  HttpClient client(server_->port());
  constexpr int kRequests = 40;
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(client.Post("/v1/batch", "{not json", kAuth).status, 400);
  }
  ASSERT_EQ(server_->Stop(), 0);

  std::string log = server_->Log();
  size_t detailed = 0;
  for (size_t at = log.find("responded 400"); at != std::string::npos;
       at = log.find("responded 400", at + 1)) {
    ++detailed;
  }
  // Five lines per minute, then one summary with the rest, written at
  // shutdown at the latest. The loop may cross a minute boundary on a slow
  // machine, so up to two windows are allowed.
  EXPECT_GE(detailed, 5u);
  EXPECT_LE(detailed, 10u);
  EXPECT_NE(log.find("client errors 400 on /v1/batch: "), std::string::npos) << log;
}

}  // namespace
}  // namespace uptake::testing
