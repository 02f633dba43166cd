// Routing by tier through the real server. High-touch accounts reach their
// CSM and the long tail gets a nudge. A growth account that stays quiet
// after its nudge escalates to the CSM pool. Each step shows on the alert,
// on the stream, in GET /v1/alerts and at the right webhook.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"
#include "tests/integration/webhook_receiver.h"

namespace uptake::testing {
namespace {

using std::chrono::milliseconds;

const std::vector<std::pair<std::string, std::string>> kAuth = {{"Authorization", BasicAuth("k")}};

// Each change a receiver got, as "CHANGE ACCOUNT".
std::multiset<std::string> Changes(const std::vector<ReceivedPost>& posts) {
  simdjson::dom::parser parser;
  std::multiset<std::string> changes;
  for (const ReceivedPost& post : posts) {
    simdjson::dom::element change = parser.parse(post.body).value();
    changes.insert(std::string(std::string_view(change["change"])) + " " +
                   std::string(std::string_view(change["account_id"])));
  }
  return changes;
}

class RoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto hook = [](const std::string& name, const WebhookReceiver& receiver) {
      return "  - {name: " + name + ", url: \"http://127.0.0.1:" + std::to_string(receiver.port()) +
             "/" + name + "\", secret: " + kSecret + "}\n";
    };
    const std::string config = R"(
clock: event
write_keys: [k]
limits: {max_event_age_days: 10000}
rules:
  - {name: quiet, kind: inactivity, days: 1, severity: warning}
webhooks:
)" + hook("nudge", nudge_) + hook("csm-pool", pool_) +
                               hook("csm-direct", direct_) + hook("audit", audit_) + R"(
routing:
  - tier: high-touch
    match: {arr_at_least: 100000}
    action: owner
    webhooks: [csm-direct]
  - tier: growth
    match: {arr_at_least: 10000}
    action: nudge
    webhooks: [nudge]
    escalate: {after: 2d, webhooks: [csm-pool]}
  - tier: long-tail
    action: nudge
    webhooks: [nudge]
)";
    WriteFile(dir_.path() + "/uptake.yaml", config);
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/uptake.yaml", dir_.path() + "/data",
                                              dir_.path() + "/uptake.log");
    ASSERT_NE(server_->port(), 0);
  }

  // Posts `events` as one Segment batch.
  void Send(const std::vector<std::string>& events) {
    std::string batch = R"({"batch":[)";
    for (size_t i = 0; i < events.size(); ++i) batch += (i ? "," : "") + events[i];
    batch += "]}";
    HttpClient client(server_->port());
    HttpReply reply = client.Post("/v1/batch", batch, kAuth);
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  std::string Timestamp(int hours) {
    char text[32];
    std::snprintf(text, sizeof(text), "2020-01-%02dT%02d:00:00Z", 1 + hours / 24, hours % 24);
    return text;
  }

  std::string Track(const std::string& account, int hours) {
    return R"({"type":"track","userId":"u","event":"E","messageId":"m)" + std::to_string(++sent_) +
           R"(","timestamp":")" + Timestamp(hours) + R"(","context":{"groupId":")" + account +
           R"("}})";
  }

  std::string Group(const std::string& account, int hours, const std::string& traits) {
    return R"({"type":"group","userId":"u","groupId":")" + account + R"(","messageId":"m)" +
           std::to_string(++sent_) + R"(","timestamp":")" + Timestamp(hours) + R"(","traits":)" +
           traits + "}";
  }

  simdjson::dom::array Alerts(const std::string& query) {
    HttpClient client(server_->port());
    HttpReply reply = client.Get("/v1/alerts" + query);
    EXPECT_EQ(reply.status, 200) << reply.body;
    bodies_.push_back(reply.body);
    return parser_.parse(bodies_.back()).value()["alerts"].get_array().value();
  }

  WebhookReceiver nudge_;
  WebhookReceiver pool_;
  WebhookReceiver direct_;
  WebhookReceiver audit_;
  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  int sent_ = 0;
  simdjson::dom::parser parser_;
  std::vector<std::string> bodies_;
};

TEST_F(RoutingTest, TiersRouteAndEscalate) {
  // Hour 0: three accounts, one per tier, each with one event.
  Send({Group("bigco", 0, R"({"arr":250000,"csm":"dana@vendor.example"})"),
        Group("midco", 0, R"({"arr":20000})"), Group("tinyco", 0, R"({"arr":900})"),
        Track("bigco", 0), Track("midco", 0), Track("tinyco", 0)});
  // Hour 36: another account's event moves the event clock past the
  // one-day limit, so all three fire.
  Send({Track("clock", 36)});

  std::vector<ReceivedPost> direct = direct_.WaitForKeys(1, milliseconds(15000));
  std::vector<ReceivedPost> nudged = nudge_.WaitForKeys(2, milliseconds(15000));
  ASSERT_EQ(Changes(direct), std::multiset<std::string>{"fired bigco"}) << server_->Log();
  EXPECT_EQ(Changes(nudged), (std::multiset<std::string>{"fired midco", "fired tinyco"}));
  simdjson::dom::element big = parser_.parse(direct[0].body).value();
  EXPECT_EQ(std::string_view(big["tier"]), "high-touch");
  EXPECT_EQ(std::string_view(big["route"].at(0)["step"]), "owner");
  EXPECT_EQ(std::string_view(big["route"].at(0)["owner"]), "dana@vendor.example");

  // The stream, filtered by tier, from the start of the log.
  AlertStreamClient growth(server_->port(), "/v1/alerts/stream?after=0&tier=growth");
  std::optional<std::string> first = growth.Next(milliseconds(10000));
  ASSERT_TRUE(first);
  simdjson::dom::parser stream_parser;
  EXPECT_EQ(std::string_view(stream_parser.parse(*first).value()["account_id"]), "midco");

  // Hour 86: two days after the alerts fired at hour 36. By then "clock"
  // has been quiet for 50 hours, so it fires too, in the long tail.
  Send({Track("clock2", 86)});
  std::vector<ReceivedPost> pooled = pool_.WaitForKeys(1, milliseconds(15000));
  ASSERT_EQ(Changes(pooled), std::multiset<std::string>{"escalated midco"}) << server_->Log();
  simdjson::dom::element escalated = parser_.parse(pooled[0].body).value();
  EXPECT_EQ(std::string_view(escalated["route"].at(0)["step"]), "nudge");
  EXPECT_EQ(std::string_view(escalated["route"].at(1)["step"]), "escalated");
  EXPECT_EQ(std::string_view(escalated["escalated_at"]), "2020-01-04T14:00:00.000Z");

  std::optional<std::string> second = growth.Next(milliseconds(10000));
  ASSERT_TRUE(second);
  EXPECT_EQ(std::string_view(stream_parser.parse(*second).value()["change"]), "escalated");

  // Usage is back: the resolve reaches both receivers that heard of it.
  Send({Track("midco", 87)});
  pooled = pool_.WaitForKeys(2, milliseconds(15000));
  EXPECT_EQ(Changes(pooled), (std::multiset<std::string>{"escalated midco", "resolved midco"}));
  nudged = nudge_.WaitFor(
      [](const std::vector<ReceivedPost>& posts) {
        return Changes(posts).count("resolved midco") == 1;
      },
      milliseconds(15000));
  EXPECT_EQ(Changes(nudged).count("resolved midco"), 1u);
  EXPECT_EQ(Changes(nudged).count("escalated midco"), 0u);
  EXPECT_EQ(Changes(direct_.WaitForKeys(1, milliseconds(100))).size(), 1u);

  // A webhook no tier names gets every change.
  std::vector<ReceivedPost> audit = audit_.WaitFor(
      [](const std::vector<ReceivedPost>& posts) {
        return Changes(posts).count("resolved midco") == 1;
      },
      milliseconds(15000));
  EXPECT_EQ(Changes(audit).count("escalated midco"), 1u);
  EXPECT_EQ(Changes(audit).count("fired bigco"), 1u);

  // GET /v1/alerts filters by tier and owner and shows the steps.
  simdjson::dom::array high = Alerts("?tier=high-touch");
  ASSERT_EQ(high.size(), 1u);
  EXPECT_EQ(std::string_view(high.at(0)["account_id"]), "bigco");
  EXPECT_EQ(Alerts("?owner=dana@vendor.example").size(), 1u);
  simdjson::dom::array mid = Alerts("?tier=growth&state=resolved");
  ASSERT_EQ(mid.size(), 1u);
  EXPECT_EQ(mid.at(0)["route"].get_array().size(), 2u);
}

TEST_F(RoutingTest, ListShowsSilencedBy) {
  Send({Track("tinyco", 0), Track("openco", 0)});
  HttpClient client(server_->port());
  HttpReply silence = client.Post(
      "/v1/silences", R"({"matchers":{"account":"tinyco"},"ends_at":"2030-01-01T00:00:00Z",)"
                      R"("author":"alice","comment":"renewal call booked"})");
  ASSERT_EQ(silence.status, 201) << silence.body;
  const int64_t silence_id = int64_t(parser_.parse(silence.body).value()["id"]);
  Send({Track("clock", 36)});

  // Wait until both alerts are listed.
  for (int i = 0; i < 200 && Alerts("?state=firing").size() < 2; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  simdjson::dom::array silenced = Alerts("?account=tinyco");
  ASSERT_EQ(silenced.size(), 1u);
  EXPECT_EQ(int64_t(silenced.at(0)["silenced_by"]), silence_id);
  simdjson::dom::array open = Alerts("?account=openco");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_TRUE(open.at(0)["silenced_by"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_F(RoutingTest, MalformedEscapeInFilterIsRejected) {
  Send({Track("tinyco", 0), Track("clock", 36)});
  for (int i = 0; i < 200 && Alerts("?state=firing").size() == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_EQ(Alerts("?account=nosuch").size(), 0u);

  // A filter whose value cannot be decoded must not fall away and list
  // every account's alerts.
  HttpClient client(server_->port());
  for (const char* query : {"?account=%ZZ", "?owner=%", "?rule=quiet%2", "?state=%ZZ",
                            "?acc%ZZ=tinyco", "?limit=5&tier=%G0"}) {
    HttpReply list = client.Get(std::string("/v1/alerts") + query);
    EXPECT_EQ(list.status, 400) << query << ": " << list.body;
    EXPECT_NE(list.body.find("malformed % escape"), std::string::npos) << list.body;
  }
  EXPECT_EQ(client.Get("/v1/accounts?at_risk=true&after=%Z").status, 400);
  // The stream's error response closes the connection.
  HttpClient stream_client(server_->port());
  HttpReply stream =
      stream_client.Get("/v1/alerts/stream?after=0&account=%ZZ", {{"Accept", "text/event-stream"}});
  EXPECT_EQ(stream.status, 400) << stream.body;
  EXPECT_NE(stream.body.find("malformed % escape"), std::string::npos) << stream.body;
}

}  // namespace
}  // namespace uptake::testing
