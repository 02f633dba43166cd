// WebSocket ingest: one real GH Archive hour streamed over one connection,
// compared with the same hour posted over HTTP by uptake-replay.

#include <gtest/gtest.h>
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

class IngestStreamTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServerProcess> StartServer(const std::string& name) {
    std::string config = dir_.path() + "/" + name + ".yaml";
    WriteFile(config, kConfig);
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
