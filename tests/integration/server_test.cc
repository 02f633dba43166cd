// End-to-end tests: the real uptake binary on a loopback ephemeral port, a
// real RocksDB in a temporary folder, real HTTP and WebSocket clients.

#include <gtest/gtest.h>

#include <simdjson.h>
#include <zlib.h>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/integration/clients.h"
#include "tests/integration/raw_connection.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

using std::chrono::milliseconds;

constexpr char kConfig[] = R"(
clock: event
write_keys: [test-key]
limits: {max_event_age_days: 10000}
login_events: [Signed In]
features:
  - {id: Reports, events: [Report Viewed]}
  - {id: Exports, events: [Export Created]}
  - {id: Sharing, events: [Dashboard Shared]}
rules:
  - {name: inactive, kind: inactivity, days: 7, severity: critical}
  - {name: low-adoption, kind: feature_adoption, min_features: 2, days: 30}
)";

// Returns a track event for the batch body.
std::string Track(const std::string& id, const std::string& user, const std::string& account,
                  const std::string& event, const std::string& timestamp) {
  std::string context = account.empty() ? "{}" : R"({"groupId":")" + account + R"("})";
  return R"({"type":"track","messageId":")" + id + R"(","userId":")" + user + R"(","event":")" +
         event + R"(","timestamp":")" + timestamp + R"(","context":)" + context +
         R"(,"properties":{"plan":"pro"}})";
}

// zlib's window_bits for each coding. 15 + 16 writes a gzip wrapper, and 15
// writes the zlib wrapper that HTTP's "deflate" names.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kDeflateWindowBits = 15;

std::string Compress(const std::string& text, int window_bits) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, text.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string Batch(const std::vector<std::string>& events) {
  std::string body = R"({"batch":[)";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) body += ",";
    body += events[i];
  }
  return body + "]}";
}

const std::vector<std::pair<std::string, std::string>> kAuth = {
    {"Authorization", BasicAuth("test-key")}};

class ServerTest : public ::testing::Test {
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

  // Parses `text` with a parser of its own, so elements from earlier calls
  // stay valid.
  simdjson::dom::element ParseOwned(const std::string& text) {
    parsers_.emplace_back(std::make_unique<simdjson::dom::parser>());
    return parsers_.back()->parse(text).value();
  }

  TempDir dir_;
  std::string config_path_;
  std::string data_dir_;
  std::string log_path_;
  std::unique_ptr<ServerProcess> server_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers_;
};

TEST_F(ServerTest, BatchStoredAndCounted) {
  HttpClient client(server_->port());
  HttpReply reply =
      client.Post("/v1/batch",
                  Batch({Track("m1", "ann", "acme", "Report Viewed", "2024-03-01T10:00:00Z"),
                         Track("m2", "bob", "acme", "Export Created", "2024-03-02T10:00:00Z"),
                         Track("m3", "ann", "acme", "Report Viewed", "2024-03-03T10:00:00Z")}),
                  kAuth);
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto answer = ParseOwned(reply.body);
  EXPECT_EQ(int64_t(answer["accepted"]), 3);
  EXPECT_EQ(int64_t(answer["duplicates"]), 0);

  HttpReply account = client.Get("/v1/accounts/acme");
  ASSERT_EQ(account.status, 200) << account.body;
  auto view = ParseOwned(account.body);
  EXPECT_EQ(std::string_view(view["account_id"]), "acme");
  EXPECT_EQ(int64_t(view["event_count"]), 3);
  EXPECT_EQ(int64_t(view["user_count"]), 2);
  EXPECT_EQ(std::string_view(view["first_seen"]), "2024-03-01T10:00:00.000Z");
  EXPECT_EQ(std::string_view(view["last_seen"]), "2024-03-03T10:00:00.000Z");
  EXPECT_EQ(int64_t(view["counts"]["Report Viewed"]), 2);
  EXPECT_EQ(int64_t(view["counts"]["Export Created"]), 1);
  auto features = simdjson::dom::array(view["features_used"]);
  ASSERT_EQ(features.size(), 2u);
  EXPECT_EQ(std::string_view(features.at(0)), "Exports");
  EXPECT_EQ(std::string_view(features.at(1)), "Reports");
}

TEST_F(ServerTest, UnknownAccountIs404) {
  HttpClient client(server_->port());
  EXPECT_EQ(client.Get("/v1/accounts/nobody").status, 404);
}

TEST_F(ServerTest, UnknownWriteKeyStoresNothing) {
  HttpClient client(server_->port());
  HttpReply reply = client.Post(
      "/v1/batch", Batch({Track("m1", "ann", "acme", "Report Viewed", "2024-03-01T10:00:00Z")}),
      {{"Authorization", BasicAuth("wrong-key")}});
  EXPECT_EQ(reply.status, 401) << reply.body;
  EXPECT_EQ(client.Get("/v1/accounts/acme").status, 404);

  HttpReply no_key = client.Post(
      "/v1/batch", Batch({Track("m1", "ann", "acme", "Report Viewed", "2024-03-01T10:00:00Z")}));
  EXPECT_EQ(no_key.status, 401) << no_key.body;
}

TEST_F(ServerTest, BodyWriteKeyAccepted) {
  HttpClient client(server_->port());
  std::string body = R"({"writeKey":"test-key","batch":[)" +
                     Track("m1", "ann", "acme", "Report Viewed", "2024-03-01T10:00:00Z") + "]}";
  HttpReply reply = client.Post("/v1/batch", body);
  EXPECT_EQ(reply.status, 200) << reply.body;
}

TEST_F(ServerTest, RepeatedMessageIdCountedOnce) {
  HttpClient client(server_->port());
  std::string body =
      Batch({Track("dup-1", "ann", "acme", "Report Viewed", "2024-03-01T10:00:00Z"),
             Track("dup-1", "ann", "acme", "Report Viewed", "2024-03-01T10:00:00Z")});
  HttpReply first = client.Post("/v1/batch", body, kAuth);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(int64_t(ParseOwned(first.body)["duplicates"]), 1);

  HttpReply second = client.Post("/v1/batch", body, kAuth);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(int64_t(ParseOwned(second.body)["duplicates"]), 2);

  auto view = ParseOwned(client.Get("/v1/accounts/acme").body);
  EXPECT_EQ(int64_t(view["event_count"]), 1);
}

TEST_F(ServerTest, InvalidEventsListedValidStored) {
  HttpClient client(server_->port());
  std::string body = Batch({Track("ok-1", "ann", "acme", "Report Viewed", "2024-03-01T10:00:00Z"),
                            R"({"type":"track","messageId":"bad-1","event":"Report Viewed"})",
                            R"({"type":"launch","messageId":"bad-2","userId":"ann"})"});
  HttpReply reply = client.Post("/v1/batch", body, kAuth);
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto answer = ParseOwned(reply.body);
  EXPECT_EQ(int64_t(answer["accepted"]), 1);
  auto rejected = simdjson::dom::array(answer["rejected"]);
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(int64_t(rejected.at(0)["index"]), 1);
  EXPECT_EQ(std::string_view(rejected.at(0)["error"]), "missing_user");
  EXPECT_EQ(int64_t(rejected.at(1)["index"]), 2);
  EXPECT_EQ(int64_t(ParseOwned(client.Get("/v1/accounts/acme").body)["event_count"]), 1);
}

TEST_F(ServerTest, MalformedBodyIs400) {
  HttpClient client(server_->port());
  HttpReply reply = client.Post("/v1/batch", R"({"batch":[)", kAuth);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(std::string_view(ParseOwned(reply.body)["error"]), "malformed_json");

  HttpReply empty = client.Post("/v1/batch", R"({"batch":[]})", kAuth);
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(std::string_view(ParseOwned(empty.body)["error"]), "empty_batch");

  HttpReply media = client.Post("/v1/batch", "{}", {kAuth[0], {"Content-Type", "image/png"}});
  EXPECT_EQ(media.status, 415);
}

TEST_F(ServerTest, GroupLinkAttributesLaterTrack) {
  HttpClient client(server_->port());
  HttpReply group = client.Post(
      "/v1/group",
      R"({"messageId":"g1","userId":"carol","groupId":"globex","timestamp":"2024-03-01T09:00:00Z","traits":{"name":"Globex"}})",
      kAuth);
  ASSERT_EQ(group.status, 200) << group.body;

  HttpReply track = client.Post(
      "/v1/track",
      R"({"messageId":"t1","userId":"carol","event":"Report Viewed","timestamp":"2024-03-01T10:00:00Z"})",
      kAuth);
  ASSERT_EQ(track.status, 200) << track.body;

  auto view = ParseOwned(client.Get("/v1/accounts/globex").body);
  EXPECT_EQ(int64_t(view["event_count"]), 2);
  EXPECT_EQ(int64_t(view["counts"]["Report Viewed"]), 1);

  HttpReply orphan = client.Post(
      "/v1/track",
      R"({"messageId":"t2","userId":"dave","event":"Report Viewed","timestamp":"2024-03-01T10:00:00Z"})",
      kAuth);
  ASSERT_EQ(orphan.status, 200) << orphan.body;
  EXPECT_EQ(client.Get("/v1/accounts/%28unattributed%29").status, 200);
}

// Account "quiet" goes silent while events of another account move the
// event clock 8 days on. The inactivity alert for "quiet" arrives on the
// stream although "quiet" sent nothing.
TEST_F(ServerTest, InactivityAlertStreamedWithoutNewEvent) {
  AlertStreamClient stream(server_->port());
  HttpClient client(server_->port());
  ASSERT_EQ(client
                .Post("/v1/batch",
                      Batch({Track("q1", "ann", "quiet", "Report Viewed", "2024-03-01T10:00:00Z"),
                             Track("b1", "bob", "busy", "Report Viewed", "2024-03-01T10:00:00Z")}),
                      kAuth)
                .status,
            200);
  ASSERT_EQ(client
                .Post("/v1/batch",
                      Batch({Track("b2", "bob", "busy", "Report Viewed", "2024-03-05T10:00:00Z"),
                             Track("b3", "bob", "busy", "Report Viewed", "2024-03-09T10:00:01Z")}),
                      kAuth)
                .status,
            200);

  std::optional<std::string> message = stream.Next(milliseconds(5000));
  ASSERT_TRUE(message.has_value());
  auto alert = ParseOwned(*message);
  EXPECT_EQ(std::string_view(alert["rule"]), "inactive");
  EXPECT_EQ(std::string_view(alert["account_id"]), "quiet");
  EXPECT_EQ(std::string_view(alert["state"]), "firing");
  EXPECT_EQ(std::string_view(alert["severity"]), "critical");
  EXPECT_FALSE(std::string_view(alert["summary"]).empty());

  // A new event for "quiet" resolves it.
  ASSERT_EQ(client
                .Post("/v1/batch",
                      Batch({Track("q2", "ann", "quiet", "Report Viewed", "2024-03-09T11:00:00Z")}),
                      kAuth)
                .status,
            200);
  message = stream.Next(milliseconds(5000));
  ASSERT_TRUE(message.has_value());
  auto resolved = ParseOwned(*message);
  EXPECT_EQ(std::string_view(resolved["state"]), "resolved");
  EXPECT_EQ(int64_t(resolved["id"]), int64_t(alert["id"]));
}

TEST_F(ServerTest, FeatureAdoptionAlertNamesUnusedFeatures) {
  AlertStreamClient stream(server_->port());
  HttpClient client(server_->port());
  ASSERT_EQ(client
                .Post("/v1/batch",
                      Batch({Track("a1", "ann", "slow", "Report Viewed", "2024-01-01T00:00:00Z"),
                             Track("a2", "ann", "slow", "Report Viewed", "2024-01-06T00:00:00Z"),
                             Track("a3", "ann", "slow", "Report Viewed", "2024-01-11T00:00:00Z"),
                             Track("a4", "ann", "slow", "Report Viewed", "2024-01-16T00:00:00Z"),
                             Track("a5", "ann", "slow", "Report Viewed", "2024-01-21T00:00:00Z"),
                             Track("a6", "ann", "slow", "Report Viewed", "2024-01-26T00:00:00Z"),
                             Track("a7", "ann", "slow", "Report Viewed", "2024-01-31T00:00:01Z")}),
                      kAuth)
                .status,
            200);
  std::optional<std::string> message = stream.Next(milliseconds(5000));
  ASSERT_TRUE(message.has_value());
  auto alert = ParseOwned(*message);
  EXPECT_EQ(std::string_view(alert["rule"]), "low-adoption");
  EXPECT_EQ(std::string_view(alert["account_id"]), "slow");
  EXPECT_EQ(double(alert["observed"]), 1.0);
  auto evidence = simdjson::dom::array(alert["evidence"]);
  ASSERT_EQ(evidence.size(), 2u);
  EXPECT_EQ(std::string_view(evidence.at(0)), "Exports");
  EXPECT_EQ(std::string_view(evidence.at(1)), "Sharing");
}

// After a graceful stop and after a kill -9, the counts are the same and the
// firing alert is neither fired again nor resolved.
TEST_F(ServerTest, RestartKeepsCountsAndAlerts) {
  {
    HttpClient client(server_->port());
    ASSERT_EQ(
        client
            .Post("/v1/batch",
                  Batch({Track("r1", "ann", "quiet", "Report Viewed", "2024-03-01T10:00:00Z"),
                         Track("r2", "bob", "busy", "Export Created", "2024-03-01T10:00:00Z"),
                         Track("r2b", "bob", "busy", "Export Created", "2024-03-05T10:00:00Z"),
                         Track("r3", "bob", "busy", "Report Viewed", "2024-03-09T10:00:01Z")}),
                  kAuth)
            .status,
        200);
  }
  std::string before;
  std::string alerts_before;
  {
    HttpClient client(server_->port());
    before = client.Get("/v1/accounts/busy").body;
    alerts_before = client.Get("/v1/alerts").body;
  }
  auto listed = ParseOwned(alerts_before);
  ASSERT_EQ(simdjson::dom::array(listed["alerts"]).size(), 1u);

  for (bool crash : {false, true}) {
    SCOPED_TRACE(crash ? "after kill -9" : "after SIGTERM");
    if (crash) {
      server_->Kill();
    } else {
      ASSERT_EQ(server_->Stop(), 0);
    }
    Start();
    AlertStreamClient stream(server_->port());
    HttpClient client(server_->port());
    EXPECT_EQ(client.Get("/v1/accounts/busy").body, before);
    EXPECT_EQ(client.Get("/v1/alerts").body, alerts_before);

    // Re-sending a stored event is a duplicate after the restart too.
    HttpReply again = client.Post(
        "/v1/batch", Batch({Track("r3", "bob", "busy", "Report Viewed", "2024-03-09T10:00:01Z")}),
        kAuth);
    EXPECT_EQ(int64_t(ParseOwned(again.body)["duplicates"]), 1);
    EXPECT_FALSE(stream.Next(milliseconds(300)).has_value());
  }
}

// An account past accounts.max_event_names_per_account stores and counts
// every event, lists only its first names, and gives the number of events not
// listed, the same after a restart from the snapshot and by replay of the log.
TEST_F(ServerTest, EventNameLimitKeepsEveryEvent) {
  ASSERT_EQ(server_->Stop(), 0);
  WriteFile(config_path_, std::string(kConfig) + "accounts: {max_event_names_per_account: 2}\n");
  Start();
  {
    HttpClient client(server_->port());
    const std::vector<std::string> events = {
        Track("n1", "ann", "acme", "Report Viewed", "2024-03-01T10:00:01Z"),
        Track("n2", "ann", "acme", "Page /a", "2024-03-01T10:00:02Z"),
        Track("n3", "ann", "acme", "Page /b", "2024-03-01T10:00:03Z"),
        Track("n4", "ann", "acme", "Page /c", "2024-03-01T10:00:04Z"),
        Track("n5", "ann", "acme", "Report Viewed", "2024-03-01T10:00:05Z")};
    HttpReply reply = client.Post("/v1/batch", Batch(events), kAuth);
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(int64_t(ParseOwned(reply.body)["accepted"]), 5);
  }

  std::string before;
  const char* const kRounds[] = {"live", "from the snapshot", "by replay"};
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(kRounds[round]);
    if (round == 1) {
      ASSERT_EQ(server_->Stop(), 0);
      Start();
    } else if (round == 2) {
      server_->Kill();
      std::filesystem::remove_all(data_dir_ + "/snapshots");
      Start();
    }
    HttpClient client(server_->port());
    HttpReply account = client.Get("/v1/accounts/acme");
    ASSERT_EQ(account.status, 200) << account.body;
    auto view = ParseOwned(account.body);
    EXPECT_EQ(int64_t(view["event_count"]), 5);
    EXPECT_EQ(simdjson::dom::object(view["counts"]).size(), 2u);
    EXPECT_EQ(int64_t(view["counts"]["Report Viewed"]), 2);
    EXPECT_EQ(int64_t(view["counts"]["Page /a"]), 1);
    EXPECT_EQ(int64_t(view["uncounted_name_events"]), 2);
    EXPECT_EQ(std::string_view(simdjson::dom::array(view["features_used"]).at(0)), "Reports");
    if (round == 0) {
      before = account.body;
      EXPECT_NE(client.Get("/metrics").body.find("\nuptake_events_uncounted_by_name_total 2\n"),
                std::string::npos);
    } else {
      EXPECT_EQ(account.body, before);
    }
  }
}

// Four connections send the same batch at the same instant: each event is
// stored and counted once, and every copy gets a success response.
TEST_F(ServerTest, ConcurrentCopiesStoredOnce) {
  std::vector<std::string> events;
  for (int i = 0; i < 200; ++i) {
    events.push_back(
        Track("same-" + std::to_string(i), "ann", "acme", "Report Viewed", "2024-03-01T10:00:00Z"));
  }
  std::string body = Batch(events);
  constexpr int kSenders = 4;
  std::vector<HttpReply> replies(kSenders);
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < kSenders; ++i) {
    clients.push_back(std::make_unique<HttpClient>(server_->port()));
  }
  std::vector<std::thread> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.emplace_back([&, i] { replies[i] = clients[i]->Post("/v1/batch", body, kAuth); });
  }
  for (std::thread& sender : senders) sender.join();

  int64_t duplicates = 0;
  for (const HttpReply& reply : replies) {
    ASSERT_EQ(reply.status, 200) << reply.body;
    duplicates += int64_t(ParseOwned(reply.body)["duplicates"]);
  }
  EXPECT_EQ(duplicates, 200 * (kSenders - 1));
  HttpClient client(server_->port());
  EXPECT_EQ(int64_t(ParseOwned(client.Get("/v1/accounts/acme").body)["event_count"]), 200);
}

TEST_F(ServerTest, GzipBodyAccepted) {
  HttpClient client(server_->port());
  std::string body = Batch({Track("z1", "ann", "zipco", "Report Viewed", "2024-03-01T10:00:00Z")});
  std::string compressed = Compress(body, kGzipWindowBits);
  HttpReply reply = client.Post("/v1/batch", compressed, {kAuth[0], {"Content-Encoding", "gzip"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(int64_t(ParseOwned(client.Get("/v1/accounts/zipco").body)["event_count"]), 1);
}

// HTTP treats repeated Content-Encoding lines as one comma-joined line, so
// the codings of both lines are undone, the last one first.
TEST_F(ServerTest, SplitContentEncodingAccepted) {
  std::string body =
      Batch({Track("z2", "ann", "splitco", "Report Viewed", "2024-03-01T10:00:00Z")});
  std::string compressed = Compress(Compress(body, kGzipWindowBits), kDeflateWindowBits);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Write(
      "POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + kAuth[0].second +
      "\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
      "Content-Encoding: deflate\r\nContent-Length: " +
      std::to_string(compressed.size()) + "\r\n\r\n" + compressed));
  std::optional<RawResponse> reply = connection.ReadResponse();
  ASSERT_TRUE(reply.has_value());
  ASSERT_EQ(reply->status, 200) << reply->body;

  HttpClient client(server_->port());
  EXPECT_EQ(int64_t(ParseOwned(client.Get("/v1/accounts/splitco").body)["event_count"]), 1);
}

TEST_F(ServerTest, UnknownRouteIs404) {
  HttpClient client(server_->port());
  EXPECT_EQ(client.Get("/v1/nothing").status, 404);
  EXPECT_EQ(client.Get("/v1/batch").status, 405);
}

}  // namespace
}  // namespace uptake::testing
