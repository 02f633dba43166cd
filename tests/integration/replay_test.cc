// Replays one real GH Archive hour through uptake-replay into the real
// server and checks every account's figures against a recomputation from the
// same file, and that the alerts listed are the alerts streamed.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "tests/integration/clients.h"
#include "tests/integration/gharchive.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

constexpr char kHourFile[] =
    UPTAKE_SHARED_DIR "/data/usage-events/gharchive-minimized/2015-02-22-21.ndjson";

struct ExpectedAccount {
  int64_t events = 0;
  std::set<std::string> users;
  std::map<std::string, int64_t> counts;
};

std::map<std::string, ExpectedAccount> Recompute(const std::string& path) {
  std::map<std::string, ExpectedAccount> accounts;
  simdjson::padded_string text = simdjson::padded_string::load(path).value();
  simdjson::dom::parser parser;
  simdjson::dom::document_stream lines = parser.parse_many(text).value();
  for (simdjson::dom::element line : lines) {
    std::string repo{std::string_view(line["repo"])};
    std::string type{std::string_view(line["type"])};
    std::string actor{std::string_view(line["actor"])};
    ExpectedAccount& account = accounts[repo.substr(0, repo.find('/'))];
    ++account.events;
    account.users.insert(actor);
    ++account.counts[GhTypeNames().at(type)];
  }
  return accounts;
}

std::string EscapePath(const std::string& id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

TEST(ReplayTest, RealHourFiguresMatchData) {
  TempDir dir;
  std::string config = dir.path() + "/gharchive.yaml";
  // The shipped example, so the test also proves it loads.
  ASSERT_EQ(
      std::system(("cp " UPTAKE_SOURCE_DIR "/config/examples/gharchive.yaml " + config).c_str()),
      0);
  ServerProcess server(config, dir.path() + "/data", dir.path() + "/uptake.log");
  ASSERT_NE(server.port(), 0);
  AlertStreamClient stream(server.port());

  std::string replay = std::string(UPTAKE_REPLAY_BINARY) +
                       " --url http://127.0.0.1:" + std::to_string(server.port()) +
                       " --write-key demo --time-scale 720 --timeout-seconds 120 " + kHourFile +
                       " > " + dir.path() + "/replay.log 2>&1";
  ASSERT_EQ(std::system(replay.c_str()), 0) << server.Log();

  std::map<std::string, ExpectedAccount> expected = Recompute(kHourFile);
  ASSERT_GT(expected.size(), 1000u);

  HttpClient client(server.port());
  simdjson::dom::parser parser;
  size_t checked = 0;
  for (const auto& [id, account] : expected) {
    SCOPED_TRACE(id);
    HttpReply reply = client.Get("/v1/accounts/" + EscapePath(id));
    ASSERT_EQ(reply.status, 200) << reply.body;
    simdjson::dom::element view = parser.parse(reply.body).value();
    EXPECT_EQ(int64_t(view["event_count"]), account.events);
    EXPECT_EQ(int64_t(view["user_count"]), static_cast<int64_t>(account.users.size()));
    simdjson::dom::object counts = view["counts"];
    EXPECT_EQ(counts.size(), account.counts.size());
    for (const auto& [name, count] : account.counts) {
      EXPECT_EQ(int64_t(counts[name]), count) << name;
    }
    // Every type is its own feature, so the features used are the types seen.
    simdjson::dom::array features = view["features_used"];
    EXPECT_EQ(features.size(), account.counts.size());
    ++checked;
  }
  EXPECT_EQ(checked, expected.size());

  // Every alert listed was pushed on the stream while the replay ran.
  std::set<int64_t> streamed;
  while (auto message = stream.Next(std::chrono::milliseconds(1000))) {
    simdjson::dom::element alert = parser.parse(*message).value();
    streamed.insert(int64_t(alert["id"]));
  }
  simdjson::dom::element listed = parser.parse(client.Get("/v1/alerts?limit=1000").body).value();
  ASSERT_FALSE(bool(listed["more"]));
  std::set<int64_t> stored;
  for (simdjson::dom::element alert : simdjson::dom::array(listed["alerts"])) {
    stored.insert(int64_t(alert["id"]));
  }
  EXPECT_FALSE(stored.empty());
  EXPECT_EQ(streamed, stored);
}

// Under the event clock, time advances event by event, so the alerts do not
// depend on how the client splits the history into requests.
TEST(ReplayTest, AlertsIndependentOfBatchSize) {
  TempDir dir;
  std::string config = dir.path() + "/gharchive.yaml";
  ASSERT_EQ(
      std::system(("cp " UPTAKE_SOURCE_DIR "/config/examples/gharchive.yaml " + config).c_str()),
      0);

  std::vector<std::multiset<std::string>> histories;
  for (int batch : {50, 2500}) {
    SCOPED_TRACE(batch);
    std::string name = "batch-" + std::to_string(batch);
    ServerProcess server(config, dir.path() + "/" + name, dir.path() + "/" + name + ".log");
    ASSERT_NE(server.port(), 0);
    std::string replay = std::string(UPTAKE_REPLAY_BINARY) +
                         " --url http://127.0.0.1:" + std::to_string(server.port()) +
                         " --write-key demo --time-scale 720 --batch " + std::to_string(batch) +
                         " " + kHourFile + " > " + dir.path() + "/" + name + ".out 2>&1";
    ASSERT_EQ(std::system(replay.c_str()), 0);

    // Everything but the id, which depends on the order shards report in.
    HttpClient client(server.port());
    simdjson::dom::parser parser;
    simdjson::dom::element listed = parser.parse(client.Get("/v1/alerts?limit=1000").body).value();
    std::multiset<std::string> history;
    for (simdjson::dom::element alert : simdjson::dom::array(listed["alerts"])) {
      history.insert(std::string(std::string_view(alert["rule"])) + " " +
                     std::string(std::string_view(alert["account_id"])) + " " +
                     std::string(std::string_view(alert["state"])) + " " +
                     std::string(std::string_view(alert["fired_at"])));
    }
    histories.push_back(std::move(history));
  }
  EXPECT_FALSE(histories[0].empty());
  EXPECT_EQ(histories[0], histories[1]);
}

}  // namespace
}  // namespace uptake::testing
