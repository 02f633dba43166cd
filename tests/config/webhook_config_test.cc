#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace uptake {
namespace {

constexpr char kRules[] = R"(rules:
  - {name: quiet, kind: inactivity, days: 1}
)";

class WebhookConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "webhook_config_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Loads kRules followed by `webhooks` into `config`.
  std::optional<ConfigError> Load(const std::string& webhooks, Config* config) {
    const std::string path = (dir_ / "uptake.yaml").string();
    std::ofstream(path, std::ios::binary) << kRules << "webhooks:\n" << webhooks;
    return LoadConfigFile(path, config);
  }

  // Loads and returns the error as text; a load that succeeds fails the test.
  std::string Error(const std::string& webhooks) {
    Config config;
    std::optional<ConfigError> error = Load(webhooks, &config);
    if (!error) {
      ADD_FAILURE() << "loaded without error:\n" << webhooks;
      return "";
    }
    return error->ToString();
  }

  std::filesystem::path dir_;
};

TEST_F(WebhookConfigTest, DefaultsApply) {
  Config config;
  std::optional<ConfigError> error =
      Load("  - {name: ops, url: \"http://example.com/in\", secret: k}\n", &config);
  ASSERT_FALSE(error) << error->ToString();
  ASSERT_EQ(config.webhooks.size(), 1u);
  const WebhookConfig& webhook = config.webhooks[0];
  EXPECT_EQ(webhook.host, "example.com");
  EXPECT_EQ(webhook.port, 80);
  EXPECT_EQ(webhook.target, "/in");
  EXPECT_EQ(webhook.secret, "k");
  EXPECT_EQ(webhook.body_template, WebhookTemplate::kJson);
  EXPECT_EQ(webhook.notify,
            (std::vector<std::string>{"fired", "escalated", "acknowledged", "resolved"}));
  EXPECT_TRUE(webhook.match_rule.empty());
  EXPECT_TRUE(webhook.match_severity.empty());
}

TEST_F(WebhookConfigTest, EveryKeySet) {
  setenv("UPTAKE_TEST_WEBHOOK_SECRET", "from-env", /*overwrite=*/1);
  Config config;
  std::optional<ConfigError> error = Load(R"(  - name: slack
    url: "http://127.0.0.1:9000"
    secret_env: UPTAKE_TEST_WEBHOOK_SECRET
    template: slack
    notify: [fired, resolved]
    match: {rule: quiet, severity: critical}
)",
                                          &config);
  ASSERT_FALSE(error) << error->ToString();
  const WebhookConfig& webhook = config.webhooks.at(0);
  EXPECT_EQ(webhook.port, 9000);
  EXPECT_EQ(webhook.target, "/");
  EXPECT_EQ(webhook.secret, "from-env");
  EXPECT_EQ(webhook.body_template, WebhookTemplate::kSlack);
  EXPECT_EQ(webhook.notify, (std::vector<std::string>{"fired", "resolved"}));
  EXPECT_EQ(webhook.match_rule, "quiet");
  EXPECT_EQ(webhook.match_severity, "critical");
}

TEST_F(WebhookConfigTest, InvalidValuesRejected) {
  const struct {
    std::string webhooks;
    std::string expected;
  } cases[] = {
      {"  - {url: \"http://h/\", secret: k}\n", "webhooks[0].name: missing"},
      {"  - {name: a, url: \"https://h/\", secret: k}\n", "webhooks[0].url: invalid URL"},
      {"  - {name: a, url: \"http://h:0/\", secret: k}\n", "webhooks[0].url: invalid URL"},
      {"  - {name: a, url: \"http://:80/\", secret: k}\n", "webhooks[0].url: invalid URL"},
      {"  - {name: a, url: \"http://h/\"}\n", "set exactly one of secret and secret_env"},
      {"  - {name: a, url: \"http://h/\", secret: k, secret_env: X}\n",
       "set exactly one of secret and secret_env"},
      {"  - {name: a, url: \"http://h/\", secret_env: UPTAKE_TEST_UNSET_VARIABLE}\n",
       "UPTAKE_TEST_UNSET_VARIABLE is not set"},
      {"  - {name: a, url: \"http://h/\", secret: k, template: xml}\n", "webhooks[0].template"},
      {"  - {name: a, url: \"http://h/\", secret: k, notify: [paged]}\n",
       "unknown change \"paged\""},
      {"  - {name: a, url: \"http://h/\", secret: k, match: {rule: loud}}\n",
       "no rule is named \"loud\""},
      {"  - {name: a, url: \"http://h/\", secret: k, match: {severity: urgent}}\n",
       "webhooks[0].match.severity"},
      {"  - {name: a, url: \"http://h/\", secret: k, retries: 3}\n", "webhooks[0].retries"},
      {"  - {name: a, url: \"http://h/\", secret: k}\n  - {name: a, url: \"http://g/\", secret: "
       "k}\n",
       "duplicate webhook name \"a\""},
  };
  for (const auto& c : cases) {
    EXPECT_NE(Error(c.webhooks).find(c.expected), std::string::npos)
        << "input:\n"
        << c.webhooks << "error: " << Error(c.webhooks);
  }
}

TEST_F(WebhookConfigTest, SecretNotInErrors) {
  const std::string error = Error("  - {name: a, url: \"https://h/\", secret: hunter2}\n");
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
}

}  // namespace
}  // namespace uptake
