// The auth, tls and rate-limit keys: sources of secrets, their checks, and
// errors that never show a secret.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace uptake {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class AuthConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "auth_config_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `content` to `name` in the test's folder and returns its path.
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::optional<ConfigError> Load(const std::string& content, Config* config) {
    return LoadConfigFile(Write("uptake.yaml", content), config);
  }

  // Loads and returns the error as text; a load that succeeds fails the test.
  std::string Error(const std::string& content) {
    Config config;
    std::optional<ConfigError> error = Load(content, &config);
    if (!error) {
      ADD_FAILURE() << "loaded without error:\n" << content;
      return "";
    }
    return error->ToString();
  }

  std::filesystem::path dir_;
};

TEST_F(AuthConfigTest, DefaultsHaveNoTokensAndNoLimits) {
  Config config;
  ASSERT_FALSE(Load("", &config));
  EXPECT_TRUE(config.auth.read_tokens.empty());
  EXPECT_TRUE(config.auth.admin_token.empty());
  EXPECT_FALSE(config.write_key_rate_limit.enabled());
  EXPECT_TRUE(config.tls.cert_file.empty());
  EXPECT_THAT(config.write_keys, ElementsAre("dev"));
}

TEST_F(AuthConfigTest, InlineTokensAndLimits) {
  Config config;
  std::optional<ConfigError> error = Load(R"(write_keys:
  - plain-key
  - {key: import-key, limits: {rate_per_second: 0.5, burst: 100}}
  - {key: slow-key, limits: {rate_per_second: 3}}
limits: {rate_per_second: 200, burst: 1000}
auth:
  read_tokens: [reader-1, reader-2]
  admin_token: admin-1
)",
                                          &config);
  ASSERT_FALSE(error) << error->ToString();
  EXPECT_THAT(config.write_keys, ElementsAre("plain-key", "import-key", "slow-key"));
  EXPECT_EQ(config.write_key_limits.at("import-key").rate_per_second, 0.5);
  EXPECT_EQ(config.write_key_limits.at("import-key").burst, 100);
  // Without burst, the bucket holds one second of events.
  EXPECT_EQ(config.write_key_limits.at("slow-key").burst, 3);
  EXPECT_EQ(config.write_key_limits.count("plain-key"), 0u);
  EXPECT_EQ(config.write_key_rate_limit.rate_per_second, 200);
  EXPECT_EQ(config.write_key_rate_limit.burst, 1000);
  EXPECT_THAT(config.auth.read_tokens, ElementsAre("reader-1", "reader-2"));
  EXPECT_EQ(config.auth.admin_token, "admin-1");
}

TEST_F(AuthConfigTest, TokensFromFilesAndEnvironment) {
  const std::string readers = Write("readers", "# CSM dashboards\nr-file-1\n\n  r-file-2\t\n");
  const std::string keys = Write("keys", "k-file-1\n# old: k-file-0\n");
  const std::string admin = Write("admin", "# rotated monthly\na-file\n");
  ASSERT_EQ(setenv("AUTH_TEST_READERS", "r-env-1,r-env-2 r-file-1", 1), 0);
  ASSERT_EQ(setenv("AUTH_TEST_KEYS", "k-env-1", 1), 0);
  Config config;
  std::optional<ConfigError> error =
      Load("auth:\n  read_tokens_file: " + readers + "\n  read_tokens_env: AUTH_TEST_READERS\n" +
               "  write_keys_file: " + keys + "\n  write_keys_env: AUTH_TEST_KEYS\n" +
               "  admin_token_file: " + admin + "\n",
           &config);
  unsetenv("AUTH_TEST_READERS");
  unsetenv("AUTH_TEST_KEYS");
  ASSERT_FALSE(error) << error->ToString();
  EXPECT_THAT(config.auth.read_tokens, ElementsAre("r-file-1", "r-file-2", "r-env-1", "r-env-2"));
  // The built-in "dev" key is dropped once keys come from elsewhere.
  EXPECT_THAT(config.write_keys, ElementsAre("k-file-1", "k-env-1"));
  EXPECT_EQ(config.auth.admin_token, "a-file");
}

TEST_F(AuthConfigTest, FileKeysJoinListedKeys) {
  const std::string keys = Write("keys", "k-file-1\nlisted\n");
  Config config;
  std::optional<ConfigError> error =
      Load("write_keys: [listed]\nauth: {write_keys_file: " + keys + "}\n", &config);
  ASSERT_FALSE(error) << error->ToString();
  EXPECT_THAT(config.write_keys, ElementsAre("listed", "k-file-1"));
}

TEST_F(AuthConfigTest, ErrorsNeverShowSecrets) {
  EXPECT_THAT(Error("write_keys: [same-secret]\nauth: {read_tokens: [same-secret]}\n"),
              AllOf(HasSubstr(":2: auth: a read token is also a write key"),
                    Not(HasSubstr("same-secret"))));
  EXPECT_THAT(Error("auth: {read_tokens: [secret-x], admin_token: secret-x}\n"),
              AllOf(HasSubstr("also the admin token"), Not(HasSubstr("secret-x"))));
  EXPECT_THAT(Error("auth: {read_tokens: [has space]}\n"),
              AllOf(HasSubstr("auth.read_tokens[0]: the token contains a space"),
                    Not(HasSubstr("has space"))));
  const std::string bad = Write("bad", "ok-token\nbad token\n");
  EXPECT_THAT(
      Error("auth: {read_tokens_file: " + bad + "}\n"),
      AllOf(HasSubstr("auth.read_tokens_file: line 2 of " + bad), Not(HasSubstr("bad token"))));
}

TEST_F(AuthConfigTest, SourceErrors) {
  EXPECT_THAT(Error("auth: {read_tokens_file: /nonexistent/tokens}\n"),
              HasSubstr("auth.read_tokens_file: failed to read /nonexistent/tokens: No such file"));
  const std::string comments = Write("comments", "# nothing yet\n\n");
  EXPECT_THAT(Error("auth: {read_tokens_file: " + comments + "}\n"),
              HasSubstr("contains no token"));
  unsetenv("AUTH_TEST_UNSET");
  EXPECT_THAT(Error("auth: {admin_token_env: AUTH_TEST_UNSET}\n"),
              HasSubstr("auth.admin_token_env: environment variable AUTH_TEST_UNSET is not set"));
  EXPECT_THAT(Error("auth: {admin_token: a, admin_token_env: B}\n"),
              HasSubstr("set at most one of admin_token"));
  const std::string two = Write("two", "a1\na2\n");
  EXPECT_THAT(Error("auth: {admin_token_file: " + two + "}\n"),
              HasSubstr("holds 2 tokens; the admin token is one"));
  EXPECT_THAT(Error("auth: {read_token: [x]}\n"), HasSubstr("read_token"));
}

TEST_F(AuthConfigTest, RateLimitErrors) {
  EXPECT_THAT(Error("limits: {burst: 5}\n"),
              HasSubstr("limits.burst: burst needs rate_per_second beside it"));
  EXPECT_THAT(Error("limits: {rate_per_second: -1}\n"), HasSubstr("limits.rate_per_second"));
  EXPECT_THAT(Error("limits: {rate_per_second: 10, burst: 0}\n"), HasSubstr("limits.burst"));
  EXPECT_THAT(Error("write_keys:\n  - {limits: {rate_per_second: 1}}\n"),
              HasSubstr("write_keys[0].key: missing"));
  EXPECT_THAT(Error("write_keys:\n  - {key: k, limits: {rate: 1}}\n"),
              HasSubstr("write_keys[0].limits"));
}

TEST_F(AuthConfigTest, TlsErrors) {
  EXPECT_THAT(Error("tls: {cert_file: /nonexistent/cert.pem, key_file: /nonexistent/key.pem}\n"),
              HasSubstr(":1: tls.cert_file: failed to read /nonexistent/cert.pem"));
  EXPECT_THAT(Error("tls: {key_file: k.pem}\n"), HasSubstr("tls.cert_file: missing"));
  const std::string junk = Write("junk.pem", "not a certificate\n");
  EXPECT_THAT(Error("tls:\n  cert_file: " + junk + "\n  key_file: " + junk + "\n"),
              HasSubstr(":2: tls.cert_file: " + junk + " is not a PEM certificate chain"));
}

}  // namespace
}  // namespace uptake
