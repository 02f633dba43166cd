#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"
#include "tests/integration/test_certificates.h"

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
      {"  - {name: a, url: \"ftp://h/\", secret: k}\n",
       "webhooks[0].url: unsupported URL \"ftp://h/\" with scheme \"ftp\""},
      {"  - {name: a, url: \"h/in\", secret: k}\n",
       "webhooks[0].url: unsupported URL \"h/in\" with no scheme"},
      {"  - {name: a, url: \"http://h:0/\", secret: k}\n", "webhooks[0].url: invalid URL"},
      {"  - {name: a, url: \"https://h:65536/\", secret: k}\n", "webhooks[0].url: invalid URL"},
      {"  - {name: a, url: \"https://\", secret: k}\n", "webhooks[0].url: invalid URL"},
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

TEST_F(WebhookConfigTest, HttpsDefaultsApply) {
  Config config;
  std::optional<ConfigError> error = Load(
      "  - {name: slack, url: \"HTTPS://hooks.example.com/services/T0\", secret: k}\n", &config);
  ASSERT_FALSE(error) << error->ToString();
  const WebhookConfig& webhook = config.webhooks.at(0);
  EXPECT_TRUE(webhook.tls);
  EXPECT_EQ(webhook.host, "hooks.example.com");
  EXPECT_EQ(webhook.port, 443);
  EXPECT_EQ(webhook.target, "/services/T0");
  EXPECT_TRUE(webhook.ca_file.empty());
}

TEST_F(WebhookConfigTest, HttpsWithCaFileLoads) {
  const std::string ca_file = (dir_ / "ca.pem").string();
  std::ofstream(ca_file, std::ios::binary) << testing::TestCertificates().ca_pem();
  Config config;
  std::optional<ConfigError> error = Load(
      "  - {name: own, url: \"https://[::1]:8443\", secret: k, ca_file: \"" + ca_file + "\"}\n",
      &config);
  ASSERT_FALSE(error) << error->ToString();
  const WebhookConfig& webhook = config.webhooks.at(0);
  EXPECT_TRUE(webhook.tls);
  EXPECT_EQ(webhook.host, "::1");
  EXPECT_EQ(webhook.port, 8443);
  EXPECT_EQ(webhook.target, "/");
  EXPECT_EQ(webhook.ca_file, ca_file);
}

TEST_F(WebhookConfigTest, InvalidCaFileRejected) {
  const std::string empty_file = (dir_ / "empty.pem").string();
  std::ofstream(empty_file) << "no certificate here\n";
  const std::string broken_file = (dir_ / "broken.pem").string();
  std::ofstream(broken_file) << "-----BEGIN CERTIFICATE-----\nnot base64!\n"
                                "-----END CERTIFICATE-----\n";
  const std::string missing_file = (dir_ / "missing.pem").string();
  const std::string folder = dir_.string();

  const struct {
    std::string url;
    std::string ca_file;
    std::string expected;
  } cases[] = {
      {"https://h/", missing_file, "CA file \"" + missing_file + "\" not found"},
      {"https://h/", folder, "is a folder; expected a PEM file"},
      {"https://h/", empty_file, "contains no PEM certificate"},
      {"https://h/", broken_file, "has an invalid certificate after 0 valid ones"},
      {"http://h/", missing_file, "applies only to https URLs"},
  };
  for (const auto& c : cases) {
    const std::string webhooks = "  - name: a\n    url: \"" + c.url +
                                 "\"\n    secret: k\n    ca_file: \"" + c.ca_file + "\"\n";
    const std::string error = Error(webhooks);
    // kRules takes two lines and "webhooks:" the third, so ca_file is on line 7.
    EXPECT_NE(error.find("uptake.yaml:7: webhooks[0].ca_file: "), std::string::npos) << error;
    EXPECT_NE(error.find(c.expected), std::string::npos) << error;
  }
}

TEST_F(WebhookConfigTest, SecretNotInErrors) {
  const std::string error = Error("  - {name: a, url: \"ftp://h/\", secret: hunter2}\n");
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
}

}  // namespace
}  // namespace uptake
