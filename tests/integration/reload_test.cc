// Reloading rules while the server runs: open alerts keep their ids, a bad
// file keeps the running rules, a removed rule closes its alerts.

#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

using std::chrono::milliseconds;

std::string Config(const std::string& rules) {
  return "clock: event\nwrite_keys: [k]\nlimits: {max_event_age_days: 10000}\nrules:\n" + rules;
}

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/uptake.yaml";
    WriteFile(path_, Config("  - {name: quiet, kind: inactivity, days: 1}\n"));
    server_ =
        std::make_unique<ServerProcess>(path_, dir_.path() + "/data", dir_.path() + "/uptake.log");
    ASSERT_NE(server_->port(), 0);

    // "a1" goes quiet on day 0; another account moves the clock to day 10.
    HttpClient client(server_->port());
    HttpReply reply =
        client.Post("/v1/batch",
                    R"({"batch":[{"type":"track","userId":"u","event":"E","messageId":"m1",)"
                    R"("timestamp":"2020-01-01T00:00:00Z","context":{"groupId":"a1"}},)"
                    R"({"type":"track","userId":"u","event":"E","messageId":"m2",)"
                    R"("timestamp":"2020-01-11T00:00:00Z","context":{"groupId":"z"}}]})",
                    {{"Authorization", BasicAuth("k")}});
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  simdjson::dom::element Reload() {
    HttpClient client(server_->port());
    last_reply_ = client.Post("/v1/admin/reload", "");
    return parser_.parse(last_reply_.body).value();
  }

  std::string Alerts(const std::string& query) {
    HttpClient client(server_->port());
    return client.Get("/v1/alerts?" + query).body;
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<ServerProcess> server_;
  simdjson::dom::parser parser_;
  HttpReply last_reply_;
};

TEST_F(ReloadTest, ChangedThresholdKeepsAlert) {
  const std::string firing = Alerts("state=firing");
  ASSERT_NE(firing.find("\"id\":1"), std::string::npos) << firing;

  WriteFile(path_, Config("  - {name: quiet, kind: inactivity, days: 5}\n"));
  simdjson::dom::element result = Reload();
  EXPECT_EQ(last_reply_.status, 200) << last_reply_.body;
  EXPECT_TRUE(bool(result["reloaded"]));
  EXPECT_EQ(int64_t(result["alert_changes"]), 0);
  EXPECT_EQ(Alerts("state=firing"), firing);

  // Ten days idle is within a 30-day rule, so the same alert resolves.
  WriteFile(path_, Config("  - {name: quiet, kind: inactivity, days: 30}\n"));
  Reload();
  EXPECT_EQ(last_reply_.status, 200) << last_reply_.body;
  const std::string resolved = Alerts("state=resolved");
  EXPECT_NE(resolved.find("\"id\":1"), std::string::npos) << resolved;
}

TEST_F(ReloadTest, BadFileKeepsRunningRules) {
  const std::string before = Alerts("");
  WriteFile(path_, Config("  - {name: quiet, kind: inactivity, days: soon}\n"));
  simdjson::dom::element result = Reload();
  EXPECT_EQ(last_reply_.status, 422);
  EXPECT_FALSE(bool(result["reloaded"]));
  EXPECT_NE(std::string_view(result["message"]).find("rules[0].days"), std::string_view::npos);
  EXPECT_EQ(Alerts(""), before);
}

TEST_F(ReloadTest, RemovedRuleClosesAlerts) {
  AlertStreamClient stream(server_->port(), "/v1/alerts/stream?after=1");
  WriteFile(path_, Config("  - {name: other, kind: inactivity, days: 100}\n"));
  Reload();
  EXPECT_EQ(last_reply_.status, 200) << last_reply_.body;

  std::optional<std::string> message = stream.Next(milliseconds(5000));
  ASSERT_TRUE(message.has_value());
  simdjson::dom::element closed = parser_.parse(*message).value();
  EXPECT_EQ(std::string_view(closed["change"]), "resolved");
  EXPECT_EQ(std::string_view(closed["rule"]), "quiet");
}

TEST_F(ReloadTest, SighupReloads) {
  AlertStreamClient stream(server_->port(), "/v1/alerts/stream?after=1");
  WriteFile(path_, Config("  - {name: quiet, kind: inactivity, days: 30}\n"));
  server_->Signal(SIGHUP);
  std::optional<std::string> message = stream.Next(milliseconds(5000));
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(std::string_view(parser_.parse(*message).value()["change"]), "resolved");
}

// Without --config there is no file to reload, and one log line states that.
TEST(ReloadWithoutConfigTest, SighupLogsNoFile) {
  TempDir dir;
  ServerProcess server("", dir.path() + "/data", dir.path() + "/uptake.log");
  ASSERT_NE(server.port(), 0);
  server.Signal(SIGHUP);

  const std::string expected = "SIGHUP received, but the server runs on built-in defaults";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (server.Log().find(expected) == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  const std::string log = server.Log();
  EXPECT_NE(log.find(expected + " (no --config), so there is no file to reload"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("reloading rules"), std::string::npos) << log;
}

}  // namespace
}  // namespace uptake::testing
