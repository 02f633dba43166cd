// WebSocket ingest: one real GH Archive hour streamed over one connection,
// compared with the same hour posted over HTTP by uptake-replay; messages
// sent at once sharing commits, with their responses in order.

#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/gharchive.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {

constexpr char kHourFile[] =
    UPTAKE_SHARED_DIR "/data/usage-events/gharchive-minimized/2015-02-22-21.ndjson";

constexpr char kConfig[] = R"(
clock: event
write_keys: [demo]
limits: {max_event_age_days: 10000}
)";

// Builds WebSocket messages of up to `batch_size` Segment track events each,
// with the same message ids, users, accounts and times as uptake-replay.
std::vector<std::string> BuildMessages(size_t batch_size, std::set<std::string>* accounts) {
  simdjson::padded_string text = simdjson::padded_string::load(kHourFile).value();
  simdjson::dom::parser parser;
  std::vector<std::string> messages;
  std::string items;
  size_t count = 0;
  auto flush = [&] {
    messages.push_back(R"({"requestId":"r)" + std::to_string(messages.size()) + R"(","batch":[)" +
                       items + "]}");
    items.clear();
    count = 0;
  };
  simdjson::dom::document_stream lines = parser.parse_many(text).value();
  for (simdjson::dom::element line : lines) {
    std::string repo{std::string_view(line["repo"])};
    std::string account = repo.substr(0, repo.find('/'));
    accounts->insert(account);
    if (!items.empty()) items += ",";
    // GH logins and repo names need no JSON escaping.
    items += R"({"type":"track","messageId":"gh-)" + std::string(std::string_view(line["id"])) +
             R"(","userId":")" + std::string(std::string_view(line["actor"])) + R"(","event":")" +
             GhTypeNames().at(std::string(std::string_view(line["type"]))) + R"(","timestamp":")" +
             std::string(std::string_view(line["dt"])) + R"(","context":{"groupId":")" + account +
             R"("}})";
    if (++count == batch_size) flush();
  }
  if (count > 0) flush();
  return messages;
}

// A single Segment track event for account acme as one message.
std::string TrackMessage(const std::string& request_id, const std::string& message_id) {
  return R"({"requestId":")" + request_id +
         R"(","type":"track","userId":"u","event":"E","messageId":")" + message_id +
         R"(","timestamp":"2015-02-22T21:00:00Z","context":{"groupId":"acme"}})";
}

// Track messages r0..r{count-1} with message ids m0..m{count-1}.
std::vector<std::string> TrackMessages(int count) {
  std::vector<std::string> messages;
  for (int i = 0; i < count; ++i) {
    messages.push_back(
        TrackMessage(std::string("r") + std::to_string(i), std::string("m") + std::to_string(i)));
  }
  return messages;
}

// Checks the requestId and status of one response.
void ExpectResponse(const std::string& answer, const std::string& request_id, int64_t status) {
  simdjson::dom::parser parser;
  simdjson::dom::element json = parser.parse(answer).value();
  EXPECT_EQ(std::string_view(json["requestId"]), request_id) << answer;
  EXPECT_EQ(int64_t(json["status"]), status) << answer;
}

// Returns uptake_store_commits_total from /metrics, or -1 when it is missing.
int64_t StoreCommits(HttpClient& client) {
  HttpReply reply = client.Get("/metrics");
  constexpr std::string_view kName = "uptake_store_commits_total ";
  size_t at = reply.body.find("\n" + std::string(kName));
  if (at == std::string::npos) return -1;
  return std::stoll(reply.body.substr(at + 1 + kName.size()));
}

// Returns the event_count of an account, or 0 when it has no stored event.
int64_t EventCount(HttpClient& client, const std::string& account) {
  HttpReply reply = client.Get("/v1/accounts/" + account);
  if (reply.status != 200) return 0;
  simdjson::dom::parser parser;
  return int64_t(parser.parse(reply.body).value()["event_count"]);
}

class IngestStreamTest : public ::testing::Test {
 protected:
  // Starts a server with kConfig followed by `extra_config`.
  std::unique_ptr<ServerProcess> StartServer(const std::string& name,
                                             const std::string& extra_config = "") {
    std::string config = dir_.path() + "/" + name + ".yaml";
    WriteFile(config, kConfig + extra_config);
    return std::make_unique<ServerProcess>(config, dir_.path() + "/" + name,
                                           dir_.path() + "/" + name + ".log");
  }

  TempDir dir_;
};

TEST_F(IngestStreamTest, RealHourMatchesHttpReplay) {
  std::set<std::string> accounts;
  std::vector<std::string> messages = BuildMessages(500, &accounts);
  ASSERT_GT(messages.size(), 10u);

  std::unique_ptr<ServerProcess> streamed = StartServer("streamed");
  ASSERT_NE(streamed->port(), 0);
  IngestStreamClient stream(streamed->port(), BasicAuth("demo"));

  // Eight messages in flight at a time, well under the server's bound.
  constexpr size_t kWindow = 8;
  std::map<std::string, int> answers;
  int64_t accepted = 0;
  simdjson::dom::parser parser;
  size_t sent = 0;
  size_t received = 0;
  while (received < messages.size()) {
    while (sent < messages.size() && sent - received < kWindow) stream.Send(messages[sent++]);
    std::string answer = stream.Read();
    ++received;
    simdjson::dom::element json = parser.parse(answer).value();
    ASSERT_EQ(int64_t(json["status"]), 200) << answer;
    ++answers[std::string(std::string_view(json["requestId"]))];
    accepted += int64_t(json["accepted"]);
    EXPECT_EQ(int64_t(json["duplicates"]), 0);
  }
  EXPECT_EQ(answers.size(), messages.size());
  for (const auto& [id, count] : answers) EXPECT_EQ(count, 1) << id;

  std::unique_ptr<ServerProcess> posted = StartServer("posted");
  ASSERT_NE(posted->port(), 0);
  std::string replay = std::string(UPTAKE_REPLAY_BINARY) +
                       " --url http://127.0.0.1:" + std::to_string(posted->port()) +
                       " --write-key demo " + kHourFile + " > " + dir_.path() + "/replay.log 2>&1";
  ASSERT_EQ(std::system(replay.c_str()), 0);

  HttpClient streamed_client(streamed->port());
  HttpClient posted_client(posted->port());
  int64_t counted = 0;
  for (const std::string& account : accounts) {
    SCOPED_TRACE(account);
    HttpReply from_stream = streamed_client.Get("/v1/accounts/" + account);
    HttpReply from_http = posted_client.Get("/v1/accounts/" + account);
    ASSERT_EQ(from_stream.status, 200);
    EXPECT_EQ(from_stream.body, from_http.body);
    counted += int64_t(parser.parse(from_stream.body).value()["event_count"]);
  }
  EXPECT_EQ(counted, accepted);
}

TEST_F(IngestStreamTest, ResendIsDuplicate) {
  std::unique_ptr<ServerProcess> server = StartServer("resend");
  ASSERT_NE(server->port(), 0);
  IngestStreamClient stream(server->port(), BasicAuth("demo"));
  const std::string message =
      R"({"requestId":"a","type":"track","userId":"u","event":"E","messageId":"m1",)"
      R"("timestamp":"2015-02-22T21:00:00Z","context":{"groupId":"acme"}})";
  stream.Send(message);
  stream.Send(message);
  simdjson::dom::parser parser;
  std::string first = stream.Read();
  EXPECT_EQ(int64_t(parser.parse(first).value()["duplicates"]), 0) << first;
  std::string second = stream.Read();
  EXPECT_EQ(int64_t(parser.parse(second).value()["duplicates"]), 1) << second;
}

TEST_F(IngestStreamTest, InvalidMessageAnswered) {
  std::unique_ptr<ServerProcess> server = StartServer("invalid");
  ASSERT_NE(server->port(), 0);
  IngestStreamClient stream(server->port(), BasicAuth("demo"));
  stream.Send(R"({"requestId":"bad","batch":[)");
  simdjson::dom::parser parser;
  std::string answer = stream.Read();
  simdjson::dom::element json = parser.parse(answer).value();
  EXPECT_EQ(std::string_view(json["requestId"]), "bad");
  EXPECT_EQ(int64_t(json["status"]), 400);
  EXPECT_EQ(std::string_view(json["error"]), "malformed_json");
}

TEST_F(IngestStreamTest, MessagesSentTogetherShareCommits) {
  std::unique_ptr<ServerProcess> server = StartServer("together");
  ASSERT_NE(server->port(), 0);
  HttpClient client(server->port());
  const int64_t commits_before = StoreCommits(client);
  ASSERT_GE(commits_before, 0);

  // Eight messages of about 150 bytes with their frame headers fit in one
  // read of the server's WebSocket buffer (1536 bytes in Beast 1.81).
  constexpr int kMessages = 8;
  IngestStreamClient stream(server->port(), BasicAuth("demo"));
  stream.SendTogether(TrackMessages(kMessages));

  for (int i = 0; i < kMessages; ++i) {
    std::string answer = stream.Read();
    ExpectResponse(answer, std::string("r") + std::to_string(i), 200);
    EXPECT_NE(answer.find("\"accepted\":1,"), std::string::npos) << answer;
  }
  const int64_t commits = StoreCommits(client) - commits_before;
  EXPECT_GE(commits, 1);
  EXPECT_LT(commits, kMessages);
  EXPECT_EQ(EventCount(client, "acme"), kMessages);
}

TEST_F(IngestStreamTest, BadMessageKeepsOrder) {
  std::unique_ptr<ServerProcess> server = StartServer("order");
  ASSERT_NE(server->port(), 0);
  IngestStreamClient stream(server->port(), BasicAuth("demo"));
  // The bad message gets its error response at once, while the first one
  // still waits for its commit.
  stream.SendTogether(
      {TrackMessage("first", "m1"), R"({"requestId":"bad","batch":[)", TrackMessage("last", "m2")});

  ExpectResponse(stream.Read(), "first", 200);
  ExpectResponse(stream.Read(), "bad", 400);
  ExpectResponse(stream.Read(), "last", 200);
}

TEST_F(IngestStreamTest, InFlightBoundCountsWaitingCommits) {
  std::unique_ptr<ServerProcess> server =
      StartServer("bound", "ingest: {max_unacknowledged_messages: 2}\n");
  ASSERT_NE(server->port(), 0);
  IngestStreamClient stream(server->port(), BasicAuth("demo"));
  // The server reads all four before the first two are committed, so those
  // two are in flight when the last two arrive.
  stream.SendTogether(TrackMessages(4));

  ExpectResponse(stream.Read(), "r0", 200);
  ExpectResponse(stream.Read(), "r1", 200);
  ExpectResponse(stream.Read(), "r2", 429);
  ExpectResponse(stream.Read(), "r3", 429);
  HttpClient client(server->port());
  EXPECT_EQ(EventCount(client, "acme"), 2);
}

TEST_F(IngestStreamTest, GroupLinksLaterMessage) {
  std::unique_ptr<ServerProcess> server = StartServer("link");
  ASSERT_NE(server->port(), 0);
  IngestStreamClient stream(server->port(), BasicAuth("demo"));
  // The track event without a groupId is attributed through the group call
  // before it, as if each were sent alone, whether or not the two share a
  // commit.
  stream.SendTogether({R"({"requestId":"g","type":"group","userId":"linked-user",)"
                       R"("groupId":"globex","messageId":"g1",)"
                       R"("timestamp":"2015-02-22T21:00:00Z"})",
                       R"({"requestId":"t","type":"track","userId":"linked-user","event":"E",)"
                       R"("messageId":"t1","timestamp":"2015-02-22T21:00:01Z"})"});
  EXPECT_NE(stream.Read().find("\"status\":200"), std::string::npos);
  EXPECT_NE(stream.Read().find("\"status\":200"), std::string::npos);

  HttpClient client(server->port());
  EXPECT_EQ(EventCount(client, "globex"), 2);
}

TEST_F(IngestStreamTest, GroupLinksEveryLaterMessage) {
  std::unique_ptr<ServerProcess> server = StartServer("links");
  ASSERT_NE(server->port(), 0);
  IngestStreamClient stream(server->port(), BasicAuth("demo"));
  // Many messages sent at once are spread over flushes that two worker
  // threads may run in either order. Each track event must still see the
  // group call sent just before it.
  constexpr int kPairs = 30;
  std::vector<std::string> messages;
  for (int i = 0; i < kPairs; ++i) {
    const std::string n = std::to_string(i);
    messages.push_back(R"({"requestId":"g)" + n + R"(","type":"group","userId":"user-)" + n +
                       R"(","groupId":"globex","messageId":"g)" + n +
                       R"(","timestamp":"2015-02-22T21:00:00Z"})");
    messages.push_back(R"({"requestId":"t)" + n + R"(","type":"track","userId":"user-)" + n +
                       R"(","event":"E","messageId":"t)" + n +
                       R"(","timestamp":"2015-02-22T21:00:01Z"})");
  }
  stream.SendTogether(messages);
  for (int i = 0; i < 2 * kPairs; ++i) {
    EXPECT_NE(stream.Read().find("\"status\":200"), std::string::npos);
  }

  HttpClient client(server->port());
  EXPECT_EQ(EventCount(client, "globex"), 2 * kPairs);
}

TEST_F(IngestStreamTest, ShutdownAnswersMessagesRead) {
  std::unique_ptr<ServerProcess> server = StartServer("shutdown");
  ASSERT_NE(server->port(), 0);
  IngestStreamClient stream(server->port(), BasicAuth("demo"));
  constexpr int kMessages = 8;
  stream.SendTogether(TrackMessages(kMessages));
  server->Signal(SIGTERM);

  // The messages the server read before the signal get their responses in
  // order before the close frame. The others get none and are not stored.
  int answered = 0;
  while (answered < kMessages) {
    std::string answer;
    try {
      answer = stream.Read();
    } catch (const beast::system_error&) {
      break;  // the close frame came first
    }
    ExpectResponse(answer, std::string("r") + std::to_string(answered), 200);
    ++answered;
  }
  EXPECT_EQ(stream.ReadCloseCode(), 1001);
  EXPECT_EQ(server->Stop(), 0);

  std::unique_ptr<ServerProcess> restarted = StartServer("shutdown");
  ASSERT_NE(restarted->port(), 0);
  HttpClient client(restarted->port());
  EXPECT_EQ(EventCount(client, "acme"), answered);
}

TEST_F(IngestStreamTest, BinaryFrameClosed1003) {
  std::unique_ptr<ServerProcess> server = StartServer("binary");
  ASSERT_NE(server->port(), 0);
  IngestStreamClient stream(server->port(), BasicAuth("demo"));
  stream.SendBinary("\x01\x02");
  EXPECT_EQ(stream.ReadCloseCode(), 1003);
}

TEST_F(IngestStreamTest, UnknownKeyRejected) {
  std::unique_ptr<ServerProcess> server = StartServer("unknown");
  ASSERT_NE(server->port(), 0);
  EXPECT_THROW(IngestStreamClient(server->port(), BasicAuth("nope")), beast::system_error);
}

}  // namespace
}  // namespace uptake::testing
