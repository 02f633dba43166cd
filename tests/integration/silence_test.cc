// Silences: the API, and their effect on webhooks and the alert stream. A
// silenced change is stored and streamed with silenced_by but sent to no
// webhook, except its resolve.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"
#include "tests/integration/webhook_receiver.h"

namespace uptake::testing {
namespace {

using std::chrono::milliseconds;

const std::vector<std::pair<std::string, std::string>> kAuth = {{"Authorization", BasicAuth("k")}};

// Silences account a1 for January 2020, the event time QuietAccounts uses.
constexpr char kSilenceA1[] =
    R"({"matchers":{"account":"a1"},"starts_at":"2020-01-01T00:00:00Z",)"
    R"("ends_at":"2020-02-01T00:00:00Z","author":"alice","comment":"onboarding call"})";

class SilenceTest : public ::testing::Test {
 protected:
  // Starts the server with one quiet-account rule and a JSON webhook to
  // `webhook_port`, or none when 0. Keeps the data folder across calls.
  void StartServer(uint16_t webhook_port = 0) {
    std::string config = R"(
clock: event
write_keys: [k]
limits: {max_event_age_days: 10000}
rules:
  - {name: quiet, kind: inactivity, days: 1, severity: critical}
)";
    if (webhook_port != 0) {
      config +=
          "webhooks:\n  - {name: hook, url: \"http://127.0.0.1:" + std::to_string(webhook_port) +
          "/alerts\", secret: " + kSecret + "}\n";
    }
    WriteFile(dir_.path() + "/uptake.yaml", config);
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/uptake.yaml", dir_.path() + "/data",
                                              dir_.path() + "/uptake.log");
    ASSERT_NE(server_->port(), 0);
  }

  // Sends one event for each of `accounts` at `day` (days after
  // 2020-01-01), then one of a new account a day and a half later, which
  // moves the event clock on so every earlier quiet account fires.
  void QuietAccounts(const std::vector<std::string>& accounts, int day) {
    HttpClient client(server_->port());
    std::string batch = R"({"batch":[)";
    for (const std::string& account : accounts) batch += Event(account, day, 0) + ",";
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

  HttpReply CreateSilence(const std::string& body) {
    HttpClient client(server_->port());
    return client.Post("/v1/silences", body);
  }

  // Reads stream messages until one of `account` arrives, up to `max`.
  static std::optional<std::string> NextOf(AlertStreamClient& stream, const std::string& account,
                                           int max) {
    simdjson::dom::parser parser;
    for (int i = 0; i < max; ++i) {
      std::optional<std::string> message = stream.Next(milliseconds(5000));
      if (!message) return std::nullopt;
      if (std::string_view(parser.parse(*message).value()["account_id"]) == account) {
        return message;
      }
    }
    return std::nullopt;
  }

  static std::string AccountOf(const std::string& json) {
    simdjson::dom::parser parser;
    return std::string(std::string_view(parser.parse(json).value()["account_id"]));
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  int sent_ = 0;
};

TEST_F(SilenceTest, CreateListAndEnd) {
  StartServer();
  // No event has been seen, so the event clock's now is the Unix epoch and
  // starts_at defaults to it.
  HttpReply created = CreateSilence(
      R"({"matchers":{"rule":"quiet","severity":"critical"},"ends_at":"2030-01-01T00:00:00Z",)"
      R"("author":"bob"})");
  ASSERT_EQ(created.status, 201) << created.body;
  simdjson::dom::parser parser;
  simdjson::dom::element silence = parser.parse(created.body).value();
  EXPECT_EQ(int64_t(silence["id"]), 1);
  EXPECT_EQ(std::string_view(silence["matchers"]["rule"]), "quiet");
  EXPECT_EQ(std::string_view(silence["matchers"]["severity"]), "critical");
  EXPECT_EQ(std::string_view(silence["starts_at"]), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(std::string_view(silence["ends_at"]), "2030-01-01T00:00:00.000Z");
  EXPECT_EQ(std::string_view(silence["author"]), "bob");
  EXPECT_TRUE(silence["comment"].is_null());
  EXPECT_TRUE(bool(silence["active"]));

  HttpReply second = CreateSilence(kSilenceA1);
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(int64_t(parser.parse(second.body).value()["id"]), 2);

  HttpClient client(server_->port());
  HttpReply ended = client.Delete("/v1/silences/1");
  ASSERT_EQ(ended.status, 200) << ended.body;
  EXPECT_EQ(std::string_view(parser.parse(ended.body).value()["ends_at"]),
            "1970-01-01T00:00:00.000Z");

  HttpReply list = client.Get("/v1/silences");
  ASSERT_EQ(list.status, 200) << list.body;
  simdjson::dom::array silences = parser.parse(list.body).value()["silences"].get_array().value();
  ASSERT_EQ(silences.size(), 2u);
  EXPECT_EQ(int64_t(silences.at(0)["id"]), 1);
  EXPECT_FALSE(bool(silences.at(0)["active"]));
  EXPECT_EQ(int64_t(silences.at(1)["id"]), 2);
  EXPECT_EQ(std::string_view(silences.at(1)["comment"]), "onboarding call");
  // January 2020 is still ahead of the epoch.
  EXPECT_FALSE(bool(silences.at(1)["active"]));

  EXPECT_EQ(client.Delete("/v1/silences/99").status, 404);
  EXPECT_EQ(client.Delete("/v1/silences/abc").status, 400);
  EXPECT_EQ(client.Get("/v1/silences/1").status, 405);
}

TEST_F(SilenceTest, InvalidBodyNamesField) {
  StartServer();
  struct Case {
    std::string body;
    std::string field;
  };
  const std::string kEnd = R"("ends_at":"2030-01-01T00:00:00Z")";
  const std::vector<Case> cases = {
      {"not json", "body"},
      {"{}", "matchers"},
      {R"({"matchers":{},)" + kEnd + R"(,"author":"a"})", "matchers"},
      {R"({"matchers":{"acount":"a1"},)" + kEnd + R"(,"author":"a"})", "matchers.acount"},
      {R"({"matchers":{"account":""},)" + kEnd + R"(,"author":"a"})", "matchers.account"},
      {R"({"matchers":{"severity":"loud"},)" + kEnd + R"(,"author":"a"})", "matchers.severity"},
      {R"({"matchers":{"account":"a1"},"author":"a"})", "ends_at"},
      {R"({"matchers":{"account":"a1"},"ends_at":"tomorrow","author":"a"})", "ends_at"},
      {R"({"matchers":{"account":"a1"},"starts_at":"2031-01-01T00:00:00Z",)" + kEnd +
           R"(,"author":"a"})",
       "ends_at"},
      {R"({"matchers":{"account":"a1"},"starts_at":5,)" + kEnd + R"(,"author":"a"})", "starts_at"},
      {R"({"matchers":{"account":"a1"},)" + kEnd + "}", "author"},
      {R"({"matchers":{"account":"a1"},)" + kEnd + R"(,"author":"a","comment":5})", "comment"},
      {R"({"matchers":{"account":"a1"},)" + kEnd + R"(,"author":"a","until":"x"})", "until"},
      {R"({"matchers":{"account":"a1"},)" + kEnd + R"(,"author":")" + std::string(257, 'a') +
           R"("})",
       "author"},
      {R"({"matchers":{"account":"a1"},)" + kEnd + R"(,"author":"a","comment":")" +
           std::string(4097, 'c') + R"("})",
       "comment"},
  };
  simdjson::dom::parser parser;
  for (const Case& test : cases) {
    HttpReply reply = CreateSilence(test.body);
    ASSERT_EQ(reply.status, 400) << test.body;
    simdjson::dom::element error = parser.parse(reply.body).value();
    EXPECT_EQ(std::string_view(error["error"]), "invalid_body") << test.body;
    EXPECT_EQ(std::string_view(error["field"]), test.field) << test.body;
    EXPECT_FALSE(std::string_view(error["message"]).empty()) << test.body;
  }

  HttpClient client(server_->port());
  HttpReply list = client.Get("/v1/silences");
  EXPECT_EQ(list.body, R"({"silences":[]})");
}

TEST_F(SilenceTest, SilencedFireSkipsWebhook) {
  WebhookReceiver receiver;
  StartServer(receiver.port());
  ASSERT_EQ(CreateSilence(kSilenceA1).status, 201);
  AlertStreamClient stream(server_->port());
  simdjson::dom::parser parser;

  QuietAccounts({"a1", "a2"}, 0);
  std::optional<std::string> a1_fired = NextOf(stream, "a1", 2);
  ASSERT_TRUE(a1_fired.has_value());
  simdjson::dom::element fired = parser.parse(*a1_fired).value();
  EXPECT_EQ(std::string_view(fired["change"]), "fired");
  EXPECT_EQ(int64_t(fired["silenced_by"]), 1);

  // Only a2's firing reaches the webhook.
  std::vector<ReceivedPost> posts = receiver.WaitForKeys(2, milliseconds(3000));
  ASSERT_EQ(posts.size(), 1u) << server_->Log();
  EXPECT_EQ(AccountOf(posts[0].body), "a2");
  EXPECT_EQ(parser.parse(posts[0].body).value()["silenced_by"].error(), simdjson::NO_SUCH_FIELD);

  // a1 comes back: its resolve is silenced too, but still sent, because the
  // webhook's notify list (the default) includes resolved.
  HttpClient client(server_->port());
  HttpReply back = client.Post("/v1/batch", R"({"batch":[)" + Event("a1", 3, 0) + "]}", kAuth);
  ASSERT_EQ(back.status, 200) << back.body;
  std::optional<std::string> a1_resolved = NextOf(stream, "a1", 3);
  ASSERT_TRUE(a1_resolved.has_value());
  simdjson::dom::element resolved = parser.parse(*a1_resolved).value();
  EXPECT_EQ(std::string_view(resolved["change"]), "resolved");
  EXPECT_EQ(int64_t(resolved["silenced_by"]), 1);

  posts = receiver.WaitFor(
      [](const std::vector<ReceivedPost>& received) {
        for (const ReceivedPost& post : received) {
          if (AccountOf(post.body) == "a1") return true;
        }
        return false;
      },
      milliseconds(10000));
  std::vector<std::string> a1_changes;
  for (const ReceivedPost& post : posts) {
    simdjson::dom::element change = parser.parse(post.body).value();
    if (std::string_view(change["account_id"]) != "a1") continue;
    a1_changes.emplace_back(std::string_view(change["change"]));
    EXPECT_EQ(int64_t(change["silenced_by"]), 1);
  }
  EXPECT_EQ(a1_changes, std::vector<std::string>{"resolved"}) << server_->Log();
}

TEST_F(SilenceTest, SurvivesRestart) {
  StartServer();
  ASSERT_EQ(CreateSilence(kSilenceA1).status, 201);
  ASSERT_EQ(server_->Stop(), 0);
  StartServer();

  HttpClient client(server_->port());
  HttpReply list = client.Get("/v1/silences");
  ASSERT_EQ(list.status, 200) << list.body;
  simdjson::dom::parser parser;
  simdjson::dom::array silences = parser.parse(list.body).value()["silences"].get_array().value();
  ASSERT_EQ(silences.size(), 1u);
  EXPECT_EQ(std::string_view(silences.at(0)["author"]), "alice");
  EXPECT_EQ(std::string_view(silences.at(0)["ends_at"]), "2020-02-01T00:00:00.000Z");

  // Ids continue after the stored ones.
  HttpReply next = CreateSilence(kSilenceA1);
  ASSERT_EQ(next.status, 201) << next.body;
  EXPECT_EQ(int64_t(parser.parse(next.body).value()["id"]), 2);

  AlertStreamClient stream(server_->port());
  QuietAccounts({"a1"}, 0);
  std::optional<std::string> fired = NextOf(stream, "a1", 2);
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(int64_t(parser.parse(*fired).value()["silenced_by"]), 1);
}

TEST_F(SilenceTest, ExpiredSilenceDoesNotSilence) {
  WebhookReceiver receiver;
  StartServer(receiver.port());
  // a1 fires at 2020-01-02T12:00, after this silence ended.
  HttpReply created =
      CreateSilence(R"({"matchers":{"account":"a1"},"starts_at":"2020-01-01T00:00:00Z",)"
                    R"("ends_at":"2020-01-02T00:00:00Z","author":"alice"})");
  ASSERT_EQ(created.status, 201) << created.body;
  AlertStreamClient stream(server_->port());

  QuietAccounts({"a1"}, 0);
  std::optional<std::string> fired = NextOf(stream, "a1", 2);
  ASSERT_TRUE(fired.has_value());
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(*fired).value()["silenced_by"].error(), simdjson::NO_SUCH_FIELD);

  std::vector<ReceivedPost> posts = receiver.WaitForKeys(1, milliseconds(10000));
  ASSERT_EQ(posts.size(), 1u) << server_->Log();
  EXPECT_EQ(AccountOf(posts[0].body), "a1");

  HttpClient client(server_->port());
  HttpReply list = client.Get("/v1/silences");
  EXPECT_FALSE(bool(parser.parse(list.body).value()["silences"].at(0)["active"]));
}

}  // namespace
}  // namespace uptake::testing
