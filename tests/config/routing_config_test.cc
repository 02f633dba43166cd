// The `routing` list: tiers in match order, each naming configured
// webhooks, with errors that name the file, line and key.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace uptake {
namespace {

constexpr char kWebhooks[] = R"(webhooks:
  - {name: nudge, url: "http://127.0.0.1:9001/nudge", secret: a}
  - {name: csm-pool, url: "http://127.0.0.1:9002/pool", secret: b}
  - {name: csm-direct, url: "http://127.0.0.1:9003/csm", secret: c}
  - {name: audit, url: "http://127.0.0.1:9004/all", secret: d}
)";

class RoutingConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "routing_config_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "uptake.yaml").string();
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Loads kWebhooks followed by `routing` into `config`.
  std::optional<ConfigError> Load(const std::string& routing, Config* config) {
    std::ofstream(path_, std::ios::binary) << kWebhooks << "routing:\n" << routing;
    return LoadConfigFile(path_, config);
  }

  // Loads and returns the error as text; a load that succeeds fails the test.
  std::string Error(const std::string& routing) {
    Config config;
    std::optional<ConfigError> error = Load(routing, &config);
    if (!error) {
      ADD_FAILURE() << "loaded without error:\n" << routing;
      return "";
    }
    return error->ToString();
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(RoutingConfigTest, ThreeTiers) {
  Config config;
  std::optional<ConfigError> error = Load(R"(  - tier: high-touch
    match: {arr_at_least: 100000}
    action: owner
    webhooks: [csm-direct]
  - tier: growth
    match: {arr_at_least: 10000}
    action: nudge
    webhooks: [nudge]
    escalate: {after: 7d, webhooks: [csm-pool]}
  - tier: long-tail
    action: nudge
    webhooks: [nudge]
)",
                                          &config);
  ASSERT_FALSE(error) << error->ToString();
  ASSERT_EQ(config.routing.size(), 3u);
  EXPECT_EQ(config.routing[0].name, "high-touch");
  EXPECT_EQ(config.routing[0].action, RouteAction::kOwner);
  EXPECT_EQ(config.routing[0].match.arr_at_least, 100000);
  EXPECT_FALSE(config.routing[0].escalation);
  ASSERT_TRUE(config.routing[1].escalation);
  EXPECT_EQ(config.routing[1].escalation->after_ms, 7 * 86'400'000LL);
  EXPECT_EQ(config.routing[1].escalation->webhooks, std::vector<std::string>{"csm-pool"});
  EXPECT_FALSE(config.routing[2].match.plan);
  EXPECT_FALSE(config.routing[2].match.arr_at_least);

  // Webhooks named by a tier are routed; the audit hook still gets everything.
  for (const WebhookConfig& webhook : config.webhooks) {
    EXPECT_EQ(webhook.routed, webhook.name != "audit") << webhook.name;
  }
}

TEST_F(RoutingConfigTest, Errors) {
  EXPECT_EQ(Error("  - {tier: t, action: nudge, webhooks: [email]}\n"),
            path_ + ":7: routing[0].webhooks: no webhook is named \"email\"");
  EXPECT_EQ(
      Error("  - {tier: t, action: call, webhooks: [nudge]}\n"),
      path_ + ":7: routing[0].action: invalid value \"call\"; expected one of nudge, owner, pool");
  EXPECT_EQ(Error("  - {tier: t, webhooks: [nudge]}\n"),
            path_ + ":7: routing[0].action: missing; it says who hears of an alert first");
  EXPECT_EQ(Error("  - {tier: all, action: nudge, webhooks: [nudge]}\n"
                  "  - {tier: big, match: {plan: enterprise}, action: owner, webhooks: [nudge]}\n"),
            path_ +
                ":8: routing[1]: no account can reach this tier: tier \"all\" before it has no "
                "match, so it takes every account");
  EXPECT_EQ(Error("  - {tier: a, match: {plan: x}, action: nudge, webhooks: [nudge]}\n"
                  "  - {tier: a, action: nudge, webhooks: [nudge]}\n"),
            path_ + ":8: routing[1]: duplicate tier name \"a\"; it is already used by routing[0]");
  EXPECT_EQ(Error("  - {tier: t, action: nudge, webhooks: [nudge], escalate: {after: 0s, webhooks: "
                  "[csm-pool]}}\n"),
            path_ + ":7: routing[0].escalate.after: must be at least 1s, got 0s");
  EXPECT_EQ(Error("  - {tier: t, action: nudge, webhooks: [nudge], escalate: {webhooks: "
                  "[csm-pool]}}\n"),
            path_ + ":7: routing[0].escalate.after: missing; it is how long usage has to recover");
  EXPECT_EQ(Error("  - {tier: t, match: {}, action: nudge, webhooks: [nudge]}\n"),
            path_ + ":7: routing[0].match: must set plan, arr_at_least or both");
  EXPECT_EQ(Error("  - {tier: t, action: nudge, webhooks: []}\n"),
            path_ + ":7: routing[0].webhooks: must name at least one webhook");
}

}  // namespace
}  // namespace uptake
