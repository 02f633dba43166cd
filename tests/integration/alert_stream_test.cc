// Resumable alert streams over WebSocket and Server-Sent Events: a
// subscriber that disconnects and resumes from its cursor gets every change
// it missed, in seq order, once, then the live ones.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

using std::chrono::milliseconds;

constexpr char kConfig[] = R"(
clock: event
write_keys: [k]
limits: {max_event_age_days: 10000}
rules:
  - {name: quiet, kind: inactivity, days: 1}
)";

const std::vector<std::pair<std::string, std::string>> kAuth = {{"Authorization", BasicAuth("k")}};

class AlertStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.path() + "/uptake.yaml", config_);
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/uptake.yaml", dir_.path() + "/data",
                                              dir_.path() + "/uptake.log");
    ASSERT_NE(server_->port(), 0);
  }

  // Sends one event for each of `accounts` at `day` (days after 2020-01-01),
  // then one event of a new account a day and a half later, which moves the
  // event clock on so every earlier quiet account fires.
  void QuietAccounts(const std::vector<std::string>& accounts, int day) {
    HttpClient client(server_->port());
    std::string batch = R"({"batch":[)";
    for (const std::string& account : accounts) {
      batch += Event(account, day, 0) + ",";
    }
    batch += Event("clock-" + std::to_string(day), day, 36) + "]}";
    HttpReply reply = client.Post("/v1/batch", batch, kAuth);
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  std::string Event(const std::string& account, int day, int hours) {
    char timestamp[32];
    std::snprintf(timestamp, sizeof(timestamp), "2020-01-%02dT%02d:00:00Z", 1 + day + hours / 24,
                  hours % 24);
    return R"({"type":"track","userId":"u","event":"E","messageId":")" + account + "-" +
           std::to_string(++sent_) + R"(","timestamp":")" + timestamp +
           R"(","context":{"groupId":")" + account + R"("}})";
  }

  static int64_t Seq(simdjson::dom::parser& parser, const std::string& message) {
    return int64_t(parser.parse(message).value()["seq"]);
  }

  std::string config_ = kConfig;
  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  int sent_ = 0;
};

TEST_F(AlertStreamTest, WebSocketResumesWithoutGap) {
  simdjson::dom::parser parser;
  int64_t last_seen = 0;
  {
    AlertStreamClient live(server_->port());
    QuietAccounts({"a1", "a2"}, 0);
    for (int i = 0; i < 2; ++i) {
      std::optional<std::string> message = live.Next(milliseconds(5000));
      ASSERT_TRUE(message.has_value());
      int64_t seq = Seq(parser, *message);
      EXPECT_EQ(seq, last_seen + 1);
      last_seen = seq;
    }
  }

  // Changes while no subscriber is connected.
  QuietAccounts({"b1", "b2", "b3"}, 10);

  AlertStreamClient resumed(server_->port(),
                            "/v1/alerts/stream?after=" + std::to_string(last_seen));
  std::vector<int64_t> seqs;
  while (auto message = resumed.Next(milliseconds(1000))) {
    seqs.push_back(Seq(parser, *message));
    if (seqs.size() == 4) break;  // the 3 quiet b accounts and the clock account of day 0
  }
  ASSERT_EQ(seqs.size(), 4u);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], last_seen + 1 + int64_t(i));

  // And then live.
  QuietAccounts({"c1"}, 20);
  std::optional<std::string> live = resumed.Next(milliseconds(5000));
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(Seq(parser, *live), seqs.back() + 1);
}

TEST_F(AlertStreamTest, SseResumesFromLastEventId) {
  QuietAccounts({"a1", "a2"}, 0);
  simdjson::dom::parser parser;

  SseClient all(server_->port(), "/v1/alerts/stream?after=0", "");
  std::vector<SseEvent> first = all.Read(2, milliseconds(5000));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, "1");
  EXPECT_EQ(first[1].id, "2");
  EXPECT_EQ(first[0].event, "alert");
  EXPECT_EQ(Seq(parser, first[1].data), 2);

  QuietAccounts({"b1"}, 10);
  SseClient resumed(server_->port(), "/v1/alerts/stream", "2");
  std::vector<SseEvent> missed = resumed.Read(2, milliseconds(5000));
  ASSERT_EQ(missed.size(), 2u);
  EXPECT_EQ(missed[0].id, "3");
  EXPECT_EQ(missed[1].id, "4");
}

TEST_F(AlertStreamTest, FilterByAccount) {
  QuietAccounts({"a1", "a2", "a3"}, 0);
  simdjson::dom::parser parser;
  AlertStreamClient filtered(server_->port(), "/v1/alerts/stream?after=0&account=a2");
  std::optional<std::string> message = filtered.Next(milliseconds(5000));
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(std::string_view(parser.parse(*message).value()["account_id"]), "a2");
  EXPECT_FALSE(filtered.Next(milliseconds(500)).has_value());
}

TEST_F(AlertStreamTest, OldCursorGetsResync) {
  server_->Stop();
  config_ += "alerts: {retained_changes: 1}\n";
  SetUp();
  QuietAccounts({"a1", "a2", "a3"}, 0);

  simdjson::dom::parser parser;
  AlertStreamClient stale(server_->port(), "/v1/alerts/stream?after=0");
  std::optional<std::string> message = stale.Next(milliseconds(5000));
  ASSERT_TRUE(message.has_value());
  simdjson::dom::element resync = parser.parse(*message).value();
  EXPECT_EQ(std::string_view(resync["type"]), "resync");
  EXPECT_EQ(int64_t(resync["seq"]), 3);
  EXPECT_EQ(simdjson::dom::array(resync["open_alerts"]).size(), 3u);
}

// A cursor past the newest change, as after the data folder was replaced,
// gets a resync that names the newest seq. The live changes follow it.
TEST_F(AlertStreamTest, WebSocketFutureCursorGetsResync) {
  QuietAccounts({"a1", "a2"}, 0);
  simdjson::dom::parser parser;
  AlertStreamClient ahead(server_->port(), "/v1/alerts/stream?after=1000");
  std::optional<std::string> message = ahead.Next(milliseconds(5000));
  ASSERT_TRUE(message.has_value());
  simdjson::dom::element resync = parser.parse(*message).value();
  EXPECT_EQ(std::string_view(resync["type"]), "resync");
  EXPECT_EQ(int64_t(resync["seq"]), 2);
  EXPECT_EQ(simdjson::dom::array(resync["open_alerts"]).size(), 2u);

  QuietAccounts({"b1"}, 10);
  std::optional<std::string> live = ahead.Next(milliseconds(5000));
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(Seq(parser, *live), 3);
}

TEST_F(AlertStreamTest, SseFutureCursorGetsResync) {
  QuietAccounts({"a1", "a2"}, 0);
  simdjson::dom::parser parser;
  SseClient ahead(server_->port(), "/v1/alerts/stream", "1000");
  std::vector<SseEvent> resync = ahead.Read(1, milliseconds(5000));
  ASSERT_EQ(resync.size(), 1u);
  EXPECT_EQ(resync[0].event, "resync");
  EXPECT_EQ(resync[0].id, "2");
  EXPECT_EQ(Seq(parser, resync[0].data), 2);

  QuietAccounts({"b1"}, 10);
  std::vector<SseEvent> live = ahead.Read(1, milliseconds(5000));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].event, "alert");
  EXPECT_EQ(live[0].id, "3");
}

// On an empty change log, as on a new data folder, any cursor but 0 is in
// the future.
TEST_F(AlertStreamTest, FutureCursorOnEmptyLog) {
  simdjson::dom::parser parser;
  AlertStreamClient ahead(server_->port(), "/v1/alerts/stream?after=12");
  std::optional<std::string> message = ahead.Next(milliseconds(5000));
  ASSERT_TRUE(message.has_value());
  simdjson::dom::element resync = parser.parse(*message).value();
  EXPECT_EQ(std::string_view(resync["type"]), "resync");
  EXPECT_EQ(int64_t(resync["seq"]), 0);
  EXPECT_EQ(simdjson::dom::array(resync["open_alerts"]).size(), 0u);

  QuietAccounts({"a1"}, 0);
  std::optional<std::string> live = ahead.Next(milliseconds(5000));
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(Seq(parser, *live), 1);
}

TEST_F(AlertStreamTest, AcknowledgeIsStreamedAndKept) {
  AlertStreamClient stream(server_->port());
  QuietAccounts({"a1"}, 0);
  simdjson::dom::parser parser;
  std::optional<std::string> fired = stream.Next(milliseconds(5000));
  ASSERT_TRUE(fired.has_value());
  const int64_t alert_id = int64_t(parser.parse(*fired).value()["id"]);
  const std::string ack_path = "/v1/alerts/" + std::to_string(alert_id) + "/ack";

  HttpClient client(server_->port());
  // Who acknowledges and the comment are bounded: both travel with every
  // later change of the alert.
  EXPECT_EQ(client.Post(ack_path, R"({"by":")" + std::string(257, 'b') + R"("})").status, 400);
  EXPECT_EQ(client.Post(ack_path, R"({"by":"alice","comment":")" + std::string(4097, 'c') + R"("})")
                .status,
            400);
  HttpReply ack = client.Post(ack_path, R"({"by":"alice","comment":"calling them"})",
                              {{"Content-Type", "application/json"}});
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(std::string_view(parser.parse(ack.body).value()["acknowledged_by"]), "alice");

  std::optional<std::string> change = stream.Next(milliseconds(5000));
  ASSERT_TRUE(change.has_value());
  simdjson::dom::element acknowledged = parser.parse(*change).value();
  EXPECT_EQ(std::string_view(acknowledged["change"]), "acknowledged");
  EXPECT_EQ(int64_t(acknowledged["seq"]), 2);
  EXPECT_EQ(std::string_view(acknowledged["acknowledgement_comment"]), "calling them");

  // A second acknowledgement changes nothing.
  EXPECT_EQ(client.Post(ack_path, R"({"by":"bob"})").status, 200);

  // The account comes back: the resolve keeps who acknowledged it.
  HttpReply back = client.Post("/v1/batch", R"({"batch":[)" + Event("a1", 3, 0) + "]}", kAuth);
  ASSERT_EQ(back.status, 200) << back.body;
  // Moving the clock to day 3 also fires the day-0 clock account first.
  std::optional<simdjson::dom::element> resolved;
  for (int i = 0; i < 3 && !resolved; ++i) {
    std::optional<std::string> message = stream.Next(milliseconds(5000));
    ASSERT_TRUE(message.has_value());
    simdjson::dom::element json = parser.parse(*message).value();
    if (std::string_view(json["account_id"]) == "a1") resolved = json;
  }
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(std::string_view((*resolved)["change"]), "resolved");
  EXPECT_EQ(std::string_view((*resolved)["acknowledged_by"]), "alice");

  EXPECT_EQ(client.Post(ack_path, R"({"by":"alice"})").status, 409);
  EXPECT_EQ(client.Post("/v1/alerts/999/ack", R"({"by":"alice"})").status, 404);
  EXPECT_EQ(client.Post(ack_path, R"({"comment":"no author"})").status, 400);
}

TEST_F(AlertStreamTest, ResumesAcrossRestart) {
  QuietAccounts({"a1", "a2"}, 0);
  server_->Kill();
  SetUp();
  QuietAccounts({"b1"}, 10);

  // Numbering continues after the restart, and the log kept every change.
  simdjson::dom::parser parser;
  AlertStreamClient replay(server_->port(), "/v1/alerts/stream?after=0");
  std::vector<int64_t> seqs;
  while (auto message = replay.Next(milliseconds(1000))) {
    seqs.push_back(int64_t(parser.parse(*message).value()["seq"]));
    if (seqs.size() == 4) break;
  }
  EXPECT_EQ(seqs, (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST_F(AlertStreamTest, InvalidCursorIs400) {
  HttpClient client(server_->port());
  HttpReply reply = client.Get("/v1/alerts/stream?after=abc", {{"Accept", "text/event-stream"}});
  EXPECT_EQ(reply.status, 400);
}

}  // namespace
}  // namespace uptake::testing
