// Account traits from group calls through the real server: segment
// thresholds, alert priority and owner, and the at-risk account list, also
// after a restart that rebuilds the traits from the event log.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

// Enterprise accounts get 3 days of inactivity before the critical alert,
// everyone else 7.
constexpr char kConfig[] = R"(
clock: event
write_keys: [k]
limits: {max_event_age_days: 10000}
rules:
  - name: inactive
    kind: inactivity
    severity: critical
    days: 7
    labels: {team: cs}
    segments:
      - name: enterprise
        match: {plan: enterprise}
        days: 3
)";

const std::vector<std::pair<std::string, std::string>> kAuth = {{"Authorization", BasicAuth("k")}};

std::string Group(const std::string& id, const std::string& account, const std::string& traits,
                  const std::string& timestamp) {
  return R"({"type":"group","messageId":")" + id + R"(","userId":"u-)" + account +
         R"(","groupId":")" + account + R"(","traits":)" + traits + R"(,"timestamp":")" +
         timestamp + R"("})";
}

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

class AtRiskServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.path() + "/uptake.yaml", kConfig);
    Start();
  }

  void Start() {
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/uptake.yaml", dir_.path() + "/data",
                                              dir_.path() + "/uptake.log");
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "server log:\n" << server_->Log();
  }

  void Post(const std::vector<std::string>& events) {
    HttpClient client(server_->port());
    HttpReply reply = client.Post("/v1/batch", Batch(events), kAuth);
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  simdjson::dom::element GetJson(const std::string& target, int expected_status = 200) {
    HttpClient client(server_->port());
    HttpReply reply = client.Get(target);
    EXPECT_EQ(reply.status, expected_status) << target << ": " << reply.body;
    parsers_.emplace_back(std::make_unique<simdjson::dom::parser>());
    return parsers_.back()->parse(reply.body).value();
  }

  // Firing alerts by account id.
  std::map<std::string, simdjson::dom::element> FiringAlerts() {
    std::map<std::string, simdjson::dom::element> alerts;
    for (simdjson::dom::element alert : GetJson("/v1/alerts?state=firing")["alerts"].get_array()) {
      alerts[std::string(std::string_view(alert["account_id"]))] = alert;
    }
    return alerts;
  }

  std::vector<std::string> AtRiskIds(const std::string& target) {
    std::vector<std::string> ids;
    for (simdjson::dom::element account : GetJson(target)["accounts"].get_array()) {
      ids.emplace_back(std::string_view(account["account_id"]));
    }
    return ids;
  }

  // Sends group calls for acme and globex and a track event for initech on
  // 2024-03-01, then a track event of a fourth account at `clock_time`,
  // which moves the event clock on.
  void SendTraitsThenWait(const std::string& clock_time) {
    Post({Group("g1", "acme", R"({"plan":"enterprise","arr":150000,"csm":"dana@example.com"})",
                "2024-03-01T10:00:00Z"),
          Group("g2", "globex", R"({"plan":"pro","ARR":20000,"owner":"lee@example.com"})",
                "2024-03-01T10:00:00Z"),
          Track("t1", "initech", "2024-03-01T10:00:00Z")});
    Post({Track("t-" + clock_time, "clock", clock_time)});
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers_;
};

TEST_F(AtRiskServerTest, SegmentAlertHasPriorityOwnerAndLabel) {
  SendTraitsThenWait("2024-03-05T00:00:00Z");

  std::map<std::string, simdjson::dom::element> firing = FiringAlerts();
  ASSERT_EQ(firing.size(), 1u);
  ASSERT_TRUE(firing.contains("acme"));
  simdjson::dom::element acme = firing.at("acme");
  EXPECT_EQ(int64_t(acme["priority"]), 9);  // critical (3) times ARR >= 100k (3)
  EXPECT_EQ(std::string_view(acme["owner"]), "dana@example.com");
  EXPECT_EQ(std::string_view(acme["labels"]["segment"]), "enterprise");
  EXPECT_EQ(std::string_view(acme["labels"]["team"]), "cs");
  EXPECT_EQ(double(acme["threshold"]), 3);
}

TEST_F(AtRiskServerTest, AtRiskListOrderedAndPaged) {
  SendTraitsThenWait("2024-03-09T00:00:00Z");

  std::map<std::string, simdjson::dom::element> firing = FiringAlerts();
  ASSERT_EQ(firing.size(), 3u);
  EXPECT_EQ(int64_t(firing.at("globex")["priority"]), 6);
  EXPECT_EQ(std::string_view(firing.at("globex")["owner"]), "lee@example.com");
  EXPECT_TRUE(firing.at("globex")["labels"]["segment"].error());
  EXPECT_EQ(int64_t(firing.at("initech")["priority"]), 3);
  EXPECT_TRUE(firing.at("initech")["owner"].is_null());

  simdjson::dom::element list = GetJson("/v1/accounts?at_risk=true");
  simdjson::dom::array accounts = list["accounts"].get_array();
  ASSERT_EQ(accounts.size(), 3u);
  EXPECT_TRUE(list["next_after"].is_null());
  simdjson::dom::element top = accounts.at(0);
  EXPECT_EQ(std::string_view(top["account_id"]), "acme");
  EXPECT_EQ(int64_t(top["priority"]), 9);
  EXPECT_EQ(std::string_view(top["owner"]), "dana@example.com");
  EXPECT_EQ(std::string_view(top["plan"]), "enterprise");
  EXPECT_EQ(double(top["arr"]), 150000);
  simdjson::dom::array open_alerts = top["open_alerts"].get_array();
  ASSERT_EQ(open_alerts.size(), 1u);
  EXPECT_EQ(std::string_view(open_alerts.at(0)["rule"]), "inactive");
  EXPECT_EQ(std::string_view(open_alerts.at(0)["severity"]), "critical");
  EXPECT_EQ(int64_t(open_alerts.at(0)["id"]), int64_t(firing.at("acme")["id"]));
  EXPECT_EQ(std::string_view(open_alerts.at(0)["fired_at"]),
            std::string_view(firing.at("acme")["fired_at"]));
  EXPECT_EQ(std::string_view(accounts.at(1)["account_id"]), "globex");
  EXPECT_EQ(std::string_view(accounts.at(2)["account_id"]), "initech");
  EXPECT_TRUE(accounts.at(2)["plan"].is_null());
  EXPECT_TRUE(accounts.at(2)["arr"].is_null());

  simdjson::dom::element first = GetJson("/v1/accounts?at_risk=true&limit=2");
  ASSERT_EQ(first["accounts"].get_array().size(), 2u);
  const std::string cursor{std::string_view(first["next_after"])};
  EXPECT_EQ(AtRiskIds("/v1/accounts?at_risk=true&limit=2&after=" + cursor),
            (std::vector<std::string>{"initech"}));
}

TEST_F(AtRiskServerTest, AccountShowsTraits) {
  SendTraitsThenWait("2024-03-02T00:00:00Z");
  // A newer group call changes the owner only; an older one changes nothing.
  Post({Group("g3", "acme", R"({"csm":"sam@example.com"})", "2024-03-01T12:00:00Z"),
        Group("g4", "acme", R"({"plan":"free","arr":10})", "2024-02-01T00:00:00Z")});

  simdjson::dom::element acme = GetJson("/v1/accounts/acme");
  EXPECT_EQ(std::string_view(acme["plan"]), "enterprise");
  EXPECT_EQ(double(acme["arr"]), 150000);
  EXPECT_EQ(std::string_view(acme["owner"]), "sam@example.com");

  simdjson::dom::element initech = GetJson("/v1/accounts/initech");
  EXPECT_TRUE(initech["plan"].is_null());
  EXPECT_TRUE(initech["arr"].is_null());
  EXPECT_TRUE(initech["owner"].is_null());
}

TEST_F(AtRiskServerTest, RestartRebuildsTraits) {
  SendTraitsThenWait("2024-03-09T00:00:00Z");
  ASSERT_EQ(server_->Stop(), 0);
  Start();

  EXPECT_EQ(AtRiskIds("/v1/accounts?at_risk=true"),
            (std::vector<std::string>{"acme", "globex", "initech"}));
  simdjson::dom::element acme = GetJson("/v1/accounts/acme");
  EXPECT_EQ(std::string_view(acme["plan"]), "enterprise");
  EXPECT_EQ(std::string_view(acme["owner"]), "dana@example.com");

  // The enterprise segment still applies after the restart: a new
  // enterprise account fires after 3 days, not 7.
  Post({Group("g5", "hooli", R"({"plan":"enterprise","arr":5000})", "2024-03-09T00:00:00Z")});
  Post({Track("t-late", "clock", "2024-03-12T01:00:00Z")});
  std::map<std::string, simdjson::dom::element> firing = FiringAlerts();
  ASSERT_TRUE(firing.contains("hooli"));
  EXPECT_EQ(int64_t(firing.at("hooli")["priority"]), 3);
  EXPECT_EQ(std::string_view(firing.at("hooli")["labels"]["segment"]), "enterprise");
}

TEST_F(AtRiskServerTest, InvalidListParameters) {
  GetJson("/v1/accounts", 400);
  GetJson("/v1/accounts?at_risk=false", 400);
  GetJson("/v1/accounts?at_risk=true&limit=0", 400);
  GetJson("/v1/accounts?at_risk=true&limit=1001", 400);
  GetJson("/v1/accounts?at_risk=true&after=not-a-cursor", 400);
  HttpClient client(server_->port());
  EXPECT_EQ(client.Post("/v1/accounts?at_risk=true", "{}").status, 405);
}

}  // namespace
}  // namespace uptake::testing
