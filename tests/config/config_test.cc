#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace uptake {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The schema example with every key set, one per line so tests can point at
// lines.
constexpr const char* kFullExample = R"(listen: "[::1]:9090"
data_dir: /var/lib/uptake
clock: event
threads: 4
write_keys: [alpha, beta]
limits:
  max_event_bytes: 1000
  max_request_bytes: 2000
  max_batch_events: 10
  max_depth: 8
  max_event_age_days: 2
  future_tolerance_seconds: 30
login_events: ["Signed In", "Logged In"]
features:
  - id: Reports
    events: ["Report Viewed", "Report Created"]
  - id: Messages
    events: ["Message Sent"]
rules:
  - name: low-adoption
    kind: feature_adoption
    severity: critical
    min_features: 2
    days: 60
    min_account_events: 10
  - name: few-messages
    kind: event_count
    events: ["Message Sent"]
    min_count: 2000
    days: 30
  - name: inactive
    kind: inactivity
    severity: info
    days: 14
    activity: login
    for: 12h
    keep_firing_for: 3d
    labels:
      team: cs-emea
    annotations:
      summary: "{{account}} has been idle for {{observed}} days, now {{state}}"
  - name: login-drop
    kind: login_drop
    percent: 50.5
    min_baseline: 5
)";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "config_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `content` to a file in the test's folder and returns its path.
  std::string WriteFile(const std::string& content) {
    const std::string path = (dir_ / "uptake.yaml").string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Loads `content` and returns the error; a load that succeeds fails the test.
  ConfigError LoadError(const std::string& content) {
    path_ = WriteFile(content);
    Config config;
    std::optional<ConfigError> error = LoadConfigFile(path_, &config);
    if (!error) {
      ADD_FAILURE() << "loaded without error:\n" << content;
      return ConfigError{};
    }
    return *error;
  }

  std::filesystem::path dir_;
  std::string path_;  // file written by the last LoadError
};

TEST_F(ConfigTest, FullExampleLoads) {
  const std::string path = WriteFile(kFullExample);
  Config config;
  std::optional<ConfigError> error = LoadConfigFile(path, &config);
  ASSERT_FALSE(error) << error->ToString();

  EXPECT_EQ(config.listen_host, "::1");
  EXPECT_EQ(config.listen_port, 9090);
  EXPECT_EQ(config.data_dir, "/var/lib/uptake");
  EXPECT_EQ(config.clock, ClockMode::kEvent);
  EXPECT_EQ(config.threads, 4);
  EXPECT_EQ(config.write_keys, (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(config.source_path, path);

  EXPECT_EQ(config.limits.max_event_bytes, 1000u);
  EXPECT_EQ(config.limits.max_request_bytes, 2000u);
  EXPECT_EQ(config.limits.max_batch_events, 10u);
  EXPECT_EQ(config.limits.max_depth, 8);
  EXPECT_EQ(config.limits.max_event_age_ms, 2 * 86'400'000LL);
  EXPECT_EQ(config.limits.future_tolerance_ms, 30'000);

  EXPECT_EQ(config.login_events, (std::vector<std::string>{"Signed In", "Logged In"}));
  ASSERT_EQ(config.features.size(), 2u);
  EXPECT_EQ(config.features[0].id, "Reports");
  EXPECT_EQ(config.features[0].event_names,
            (std::vector<std::string>{"Report Viewed", "Report Created"}));
  EXPECT_EQ(config.features[1].id, "Messages");
  EXPECT_EQ(config.features[1].event_names, (std::vector<std::string>{"Message Sent"}));
}

TEST_F(ConfigTest, FullExampleRules) {
  Config config;
  std::optional<ConfigError> error = LoadConfigFile(WriteFile(kFullExample), &config);
  ASSERT_FALSE(error) << error->ToString();
  ASSERT_EQ(config.rules.size(), 4u);

  const Rule& adoption = config.rules[0];
  EXPECT_EQ(adoption.name, "low-adoption");
  EXPECT_EQ(adoption.kind, RuleKind::kFeatureAdoption);
  EXPECT_EQ(adoption.severity, Severity::kCritical);
  EXPECT_EQ(adoption.min_features, 2);
  EXPECT_EQ(adoption.days, 60);
  EXPECT_EQ(adoption.min_account_events, 10);

  const Rule& count = config.rules[1];
  EXPECT_EQ(count.kind, RuleKind::kEventCount);
  EXPECT_EQ(count.severity, Severity::kWarning);
  EXPECT_EQ(count.events, (std::vector<std::string>{"Message Sent"}));
  EXPECT_EQ(count.min_count, 2000);
  EXPECT_EQ(count.days, 30);

  const Rule& inactive = config.rules[2];
  EXPECT_EQ(inactive.kind, RuleKind::kInactivity);
  EXPECT_EQ(inactive.severity, Severity::kInfo);
  EXPECT_EQ(inactive.days, 14);
  EXPECT_TRUE(inactive.logins_only);
  EXPECT_EQ(inactive.for_ms, 12 * 3'600'000);
  EXPECT_EQ(inactive.keep_firing_for_ms, 3 * 86'400'000);
  EXPECT_EQ(inactive.labels, (std::map<std::string, std::string>{{"team", "cs-emea"}}));
  EXPECT_EQ(inactive.annotations.at("summary"),
            "{{account}} has been idle for {{observed}} days, now {{state}}");

  const Rule& drop = config.rules[3];
  EXPECT_EQ(drop.kind, RuleKind::kLoginDrop);
  EXPECT_DOUBLE_EQ(drop.percent, 50.5);
  EXPECT_EQ(drop.min_baseline, 5);
}

TEST_F(ConfigTest, AbsentKeysKeepDefaults) {
  Config config;
  std::optional<ConfigError> error = LoadConfigFile(WriteFile("threads: 3\n"), &config);
  ASSERT_FALSE(error) << error->ToString();

  const Config defaults;
  EXPECT_EQ(config.threads, 3);
  EXPECT_EQ(config.listen_host, defaults.listen_host);
  EXPECT_EQ(config.listen_port, defaults.listen_port);
  EXPECT_EQ(config.data_dir, defaults.data_dir);
  EXPECT_EQ(config.clock, defaults.clock);
  EXPECT_EQ(config.write_keys, defaults.write_keys);
  EXPECT_EQ(config.limits.max_event_bytes, defaults.limits.max_event_bytes);
  EXPECT_EQ(config.limits.max_request_bytes, defaults.limits.max_request_bytes);
  EXPECT_EQ(config.limits.max_batch_events, defaults.limits.max_batch_events);
  EXPECT_EQ(config.limits.max_depth, defaults.limits.max_depth);
  EXPECT_EQ(config.limits.max_event_age_ms, defaults.limits.max_event_age_ms);
  EXPECT_EQ(config.limits.future_tolerance_ms, defaults.limits.future_tolerance_ms);
  EXPECT_EQ(config.login_events, defaults.login_events);
  EXPECT_TRUE(config.features.empty());
  EXPECT_TRUE(config.rules.empty());
}

TEST_F(ConfigTest, EmptyFileKeepsDefaults) {
  Config config;
  std::optional<ConfigError> error = LoadConfigFile(WriteFile("# nothing set\n"), &config);
  ASSERT_FALSE(error) << error->ToString();
  EXPECT_EQ(config.listen_port, 8080);
  EXPECT_EQ(config.write_keys, (std::vector<std::string>{"dev"}));
}

TEST_F(ConfigTest, RuleOptionalKeysDefault) {
  Config config;
  std::optional<ConfigError> error = LoadConfigFile(WriteFile("rules:\n"
                                                              "  - name: idle\n"
                                                              "    kind: inactivity\n"
                                                              "    days: 7\n"
                                                              "  - name: drop\n"
                                                              "    kind: login_drop\n"
                                                              "    percent: 40\n"),
                                                    &config);
  ASSERT_FALSE(error) << error->ToString();
  ASSERT_EQ(config.rules.size(), 2u);
  EXPECT_EQ(config.rules[0].severity, Severity::kWarning);
  EXPECT_FALSE(config.rules[0].logins_only);
  EXPECT_EQ(config.rules[0].min_account_events, 0);
  EXPECT_EQ(config.rules[1].min_baseline, 1);
  EXPECT_DOUBLE_EQ(config.rules[1].percent, 40);
}

TEST_F(ConfigTest, FailedLoadKeepsConfig) {
  Config config;
  config.threads = 7;
  std::optional<ConfigError> error =
      LoadConfigFile(WriteFile("threads: 2\nlisten: nowhere\n"), &config);
  ASSERT_TRUE(error);
  EXPECT_EQ(config.threads, 7);
}

TEST(LoadConfigTextTest, ParsesFromMemory) {
  Config config;
  std::optional<ConfigError> error = LoadConfigText("memory.yaml", "threads: 3\n", &config);
  ASSERT_FALSE(error) << error->ToString();
  EXPECT_EQ(config.threads, 3);
  EXPECT_EQ(config.source_path, "memory.yaml");

  error = LoadConfigText("memory.yaml", "threads: 2\nlisten: nowhere\n", &config);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->ToString().rfind("memory.yaml:2: listen: ", 0), 0u) << error->ToString();
  EXPECT_EQ(config.threads, 3);
}

TEST(ConfigErrorTest, ToStringFormat) {
  const ConfigError error{"uptake.yaml", 4, "rules[2].days", "must be between 1 and 10"};
  EXPECT_EQ(error.ToString(), "uptake.yaml:4: rules[2].days: must be between 1 and 10");

  const ConfigError file_error{"uptake.yaml", 0, "", "failed to read the file: Permission denied"};
  EXPECT_EQ(file_error.ToString(), "uptake.yaml: failed to read the file: Permission denied");
}

TEST_F(ConfigTest, UnknownTopLevelKey) {
  const ConfigError error = LoadError("threads: 2\ncolour: blue\n");
  EXPECT_EQ(error.file, path_);
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.key, "colour");
  EXPECT_THAT(error.message, HasSubstr("unknown key"));
  EXPECT_EQ(error.ToString(), path_ + ":2: colour: " + error.message);
}

TEST_F(ConfigTest, UnknownLimitKey) {
  const ConfigError error = LoadError("limits:\n  max_event_byte: 10\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.key, "limits.max_event_byte");
  EXPECT_THAT(error.message, HasSubstr("unknown key"));
}

TEST_F(ConfigTest, UnknownRuleKey) {
  const ConfigError error = LoadError(
      "rules:\n"
      "  - name: idle\n"
      "    kind: inactivity\n"
      "    days: 7\n"
      "  - name: idle-long\n"
      "    kind: inactivity\n"
      "    dayz: 30\n");
  EXPECT_EQ(error.file, path_);
  EXPECT_EQ(error.line, 7);
  EXPECT_EQ(error.key, "rules[1].dayz");
  EXPECT_THAT(error.message, HasSubstr("unknown key"));
}

TEST_F(ConfigTest, WrongType) {
  const ConfigError error = LoadError(
      "rules:\n"
      "  - name: idle\n"
      "    kind: inactivity\n"
      "    days: abc\n");
  EXPECT_EQ(error.line, 4);
  EXPECT_EQ(error.key, "rules[0].days");
  EXPECT_EQ(error.message, "expected a whole number, got \"abc\"");
}

TEST_F(ConfigTest, QuotedNumberIsWrongType) {
  const ConfigError error = LoadError("limits:\n  max_depth: \"8\"\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.key, "limits.max_depth");
  EXPECT_THAT(error.message, HasSubstr("expected a whole number"));
}

TEST_F(ConfigTest, ListWhereScalarExpected) {
  const ConfigError error = LoadError("data_dir: [a, b]\n");
  EXPECT_EQ(error.line, 1);
  EXPECT_EQ(error.key, "data_dir");
  EXPECT_EQ(error.message, "expected a string, got a list");
}

TEST_F(ConfigTest, EmptyValueIsWrongType) {
  const ConfigError error = LoadError("clock: wall\nthreads:\nlisten: \"127.0.0.1:1\"\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.key, "threads");
  EXPECT_EQ(error.message, "expected a whole number, got nothing");
}

TEST_F(ConfigTest, OutOfRange) {
  const ConfigError error = LoadError("limits:\n  max_batch_events: 0\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.key, "limits.max_batch_events");
  EXPECT_THAT(error.message, HasSubstr("must be between 1 and"));
  EXPECT_THAT(error.message, HasSubstr("got 0"));
}

TEST_F(ConfigTest, TransportLimitsLoad) {
  Config config;
  std::optional<ConfigError> error =
      LoadConfigFile(WriteFile("limits:\n  max_header_bytes: 2048\n  max_header_fields: 30\n"
                               "  idle_timeout_seconds: 5\n  header_read_timeout_seconds: 2\n"
                               "  body_read_timeout_seconds: 7\n  max_connections: 40\n"),
                     &config);
  ASSERT_FALSE(error) << error->ToString();

  EXPECT_EQ(config.transport.max_header_bytes, 2048u);
  EXPECT_EQ(config.transport.max_header_fields, 30u);
  EXPECT_EQ(config.transport.idle_timeout_seconds, 5);
  EXPECT_EQ(config.transport.header_read_timeout_seconds, 2);
  EXPECT_EQ(config.transport.body_read_timeout_seconds, 7);
  EXPECT_EQ(config.transport.max_connections, 40);
  // The ingest limits in the same mapping keep their defaults.
  EXPECT_EQ(config.limits.max_request_bytes, Config().limits.max_request_bytes);
}

TEST_F(ConfigTest, TransportLimitsOutOfRange) {
  struct Case {
    const char* yaml;
    const char* key;
    const char* range;
  };
  const Case cases[] = {
      {"limits:\n  max_header_bytes: 100\n", "limits.max_header_bytes", "between 1024 and"},
      {"limits:\n  max_header_fields: 0\n", "limits.max_header_fields", "between 1 and"},
      {"limits:\n  idle_timeout_seconds: 0\n", "limits.idle_timeout_seconds", "between 1 and"},
      {"limits:\n  header_read_timeout_seconds: 5000\n", "limits.header_read_timeout_seconds",
       "between 1 and 3600"},
      {"limits:\n  body_read_timeout_seconds: -1\n", "limits.body_read_timeout_seconds",
       "between 1 and"},
      {"limits:\n  max_connections: 0\n", "limits.max_connections", "between 1 and"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.yaml);
    const ConfigError error = LoadError(test_case.yaml);
    EXPECT_EQ(error.line, 2);
    EXPECT_EQ(error.key, test_case.key);
    EXPECT_THAT(error.message, HasSubstr(test_case.range));
  }
}

TEST_F(ConfigTest, NegativeThreads) {
  const ConfigError error = LoadError("threads: -1\n");
  EXPECT_EQ(error.line, 1);
  EXPECT_EQ(error.key, "threads");
  EXPECT_THAT(error.message, HasSubstr("must be between 0 and"));
}

TEST_F(ConfigTest, PercentOutOfRange) {
  const ConfigError error = LoadError(
      "rules:\n"
      "  - name: drop\n"
      "    kind: login_drop\n"
      "    percent: 0\n");
  EXPECT_EQ(error.line, 4);
  EXPECT_EQ(error.key, "rules[0].percent");
  EXPECT_THAT(error.message, HasSubstr("greater than 0 and at most 100"));
}

TEST_F(ConfigTest, InvalidEnumValue) {
  const ConfigError error = LoadError("clock: sundial\n");
  EXPECT_EQ(error.line, 1);
  EXPECT_EQ(error.key, "clock");
  EXPECT_EQ(error.message, "invalid value \"sundial\"; expected one of wall, event");
}

TEST_F(ConfigTest, InvalidListen) {
  const ConfigError error = LoadError("listen: \"127.0.0.1\"\n");
  EXPECT_EQ(error.line, 1);
  EXPECT_EQ(error.key, "listen");
  EXPECT_THAT(error.message, HasSubstr("invalid address \"127.0.0.1\""));
}

TEST_F(ConfigTest, EventLimitAboveRequestLimit) {
  const ConfigError error = LoadError("limits:\n  max_event_bytes: 600000\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.key, "limits.max_event_bytes");
  EXPECT_THAT(error.message, HasSubstr("exceeds max_request_bytes"));
}

TEST_F(ConfigTest, ReadsEventNameLimits) {
  Config defaults;
  EXPECT_EQ(defaults.event_names.per_account, 1000u);
  EXPECT_EQ(defaults.event_names.per_shard, 10000u);

  Config config;
  ASSERT_FALSE(LoadConfigFile(
      WriteFile("accounts:\n  max_event_names: 500\n  max_event_names_per_account: 50\n"),
      &config));
  EXPECT_EQ(config.event_names.per_shard, 500u);
  EXPECT_EQ(config.event_names.per_account, 50u);
}

TEST_F(ConfigTest, RejectsZeroEventNames) {
  const ConfigError error = LoadError("accounts:\n  max_event_names_per_account: 0\n");
  EXPECT_EQ(error.file, path_);
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.key, "accounts.max_event_names_per_account");
  EXPECT_THAT(error.message, HasSubstr("must be between 1 and 1000000"));
}

TEST_F(ConfigTest, DuplicateRuleName) {
  const ConfigError error = LoadError(
      "rules:\n"
      "  - name: idle\n"
      "    kind: inactivity\n"
      "    days: 7\n"
      "  - name: idle\n"
      "    kind: inactivity\n"
      "    days: 30\n");
  EXPECT_EQ(error.line, 5);
  EXPECT_EQ(error.key, "rules[1].name");
  EXPECT_EQ(error.message, "duplicate rule name \"idle\"; it is already used by rules[0]");
}

TEST_F(ConfigTest, DuplicateFeatureId) {
  const ConfigError error = LoadError(
      "features:\n"
      "  - id: Reports\n"
      "    events: [a]\n"
      "  - id: Reports\n"
      "    events: [b]\n");
  EXPECT_EQ(error.line, 4);
  EXPECT_EQ(error.key, "features[1].id");
  EXPECT_THAT(error.message, HasSubstr("duplicate feature id \"Reports\""));
}

TEST_F(ConfigTest, DuplicateMappingKey) {
  const ConfigError error = LoadError("threads: 2\nthreads: 3\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.key, "threads");
  EXPECT_THAT(error.message, HasSubstr("duplicate key; it is already set on line 1"));
}

TEST_F(ConfigTest, DuplicateWriteKeyHidesValue) {
  const ConfigError error = LoadError("write_keys:\n  - s3cret\n  - other\n  - s3cret\n");
  EXPECT_EQ(error.line, 4);
  EXPECT_EQ(error.key, "write_keys[2]");
  EXPECT_THAT(error.message, HasSubstr("already listed as write_keys[0]"));
  EXPECT_THAT(error.message, Not(HasSubstr("s3cret")));
}

TEST_F(ConfigTest, EmptyWriteKey) {
  const ConfigError error = LoadError("write_keys: [\"\"]\n");
  EXPECT_EQ(error.line, 1);
  EXPECT_EQ(error.key, "write_keys[0]");
  EXPECT_EQ(error.message, "must not be empty");
}

TEST_F(ConfigTest, ControlCharacterInName) {
  const ConfigError error = LoadError("login_events: [\"Signed\\tIn\"]\n");
  EXPECT_EQ(error.key, "login_events[0]");
  EXPECT_THAT(error.message, HasSubstr("control characters"));
}

TEST_F(ConfigTest, TooManyFeatures) {
  std::string yaml = "features:\n";
  for (int i = 0; i <= 64; ++i) {
    yaml += "  - {id: f" + std::to_string(i) + ", events: [e" + std::to_string(i) + "]}\n";
  }
  const ConfigError error = LoadError(yaml);
  EXPECT_EQ(error.line, 66);
  EXPECT_EQ(error.key, "features[64]");
  EXPECT_THAT(error.message, HasSubstr("at most 64"));
}

TEST_F(ConfigTest, SixtyFourFeaturesLoad) {
  std::string yaml = "features:\n";
  for (int i = 0; i < 64; ++i) {
    yaml += "  - {id: f" + std::to_string(i) + ", events: [e" + std::to_string(i) + "]}\n";
  }
  Config config;
  std::optional<ConfigError> error = LoadConfigFile(WriteFile(yaml), &config);
  ASSERT_FALSE(error) << error->ToString();
  EXPECT_EQ(config.features.size(), 64u);
}

TEST_F(ConfigTest, FeatureWithoutEvents) {
  const ConfigError error = LoadError("features:\n  - id: Reports\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.key, "features[0].events");
  EXPECT_THAT(error.message, HasSubstr("missing"));
}

TEST_F(ConfigTest, FeatureAdoptionEmptyCatalog) {
  const ConfigError error = LoadError(
      "rules:\n"
      "  - name: low-adoption\n"
      "    kind: feature_adoption\n"
      "    min_features: 1\n"
      "    days: 60\n");
  EXPECT_EQ(error.line, 4);
  EXPECT_EQ(error.key, "rules[0].min_features");
  EXPECT_THAT(error.message, HasSubstr("catalog is empty"));
}

TEST_F(ConfigTest, MinFeaturesAboveCatalog) {
  const ConfigError error = LoadError(
      "features:\n"
      "  - id: Reports\n"
      "    events: [a]\n"
      "rules:\n"
      "  - name: low-adoption\n"
      "    kind: feature_adoption\n"
      "    min_features: 2\n"
      "    days: 60\n");
  EXPECT_EQ(error.line, 7);
  EXPECT_EQ(error.key, "rules[0].min_features");
  EXPECT_THAT(error.message, HasSubstr("must be between 1 and 1"));
}

TEST_F(ConfigTest, KeyNotAllowedForKind) {
  const ConfigError error = LoadError(
      "rules:\n"
      "  - name: idle\n"
      "    kind: inactivity\n"
      "    days: 7\n"
      "    min_count: 3\n");
  EXPECT_EQ(error.line, 5);
  EXPECT_EQ(error.key, "rules[0].min_count");
  EXPECT_EQ(error.message, "not allowed for kind inactivity; it applies to event_count");
}

TEST_F(ConfigTest, MissingKeyForKind) {
  const ConfigError error = LoadError(
      "rules:\n"
      "  - name: few-messages\n"
      "    kind: event_count\n"
      "    events: [\"Message Sent\"]\n"
      "    days: 30\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.key, "rules[0].min_count");
  EXPECT_EQ(error.message, "missing; kind event_count requires it");
}

TEST_F(ConfigTest, LoginRuleWithoutLoginEvents) {
  const ConfigError error = LoadError(
      "login_events: []\n"
      "rules:\n"
      "  - name: drop\n"
      "    kind: login_drop\n"
      "    percent: 50\n");
  EXPECT_EQ(error.line, 4);
  EXPECT_EQ(error.key, "rules[0].kind");
  EXPECT_THAT(error.message, HasSubstr("login_events is empty"));
}

TEST_F(ConfigTest, YamlSyntaxErrorLine) {
  const ConfigError error = LoadError(
      "threads: 2\n"
      "write_keys: [a, b\n"
      "clock: wall\n");
  EXPECT_EQ(error.file, path_);
  EXPECT_GE(error.line, 2);
  EXPECT_LE(error.line, 4);
  EXPECT_EQ(error.key, "");
  EXPECT_THAT(error.message, HasSubstr("invalid YAML"));
}

TEST_F(ConfigTest, YamlBadIndentLine) {
  const ConfigError error = LoadError(
      "limits:\n"
      "  max_depth: 3\n"
      " max_batch_events: 4\n");
  EXPECT_EQ(error.line, 3);
  EXPECT_THAT(error.message, HasSubstr("invalid YAML"));
}

// Found by config_fuzzer: yaml-cpp 0.7's LoadAll never returned on these,
// because its parser reported empty documents without end.
TEST_F(ConfigTest, MalformedYamlDoesNotHang) {
  const char* const texts[] = {
      ",\n",
      "# Reprules: [{lays thnree hours ofae revaows\x03of thewe: a, p, bhooks:\n,\n\t[{}]}]  - "
      "name:n}\n\n",
  };
  for (const char* text : texts) {
    const ConfigError error = LoadError(text);
    EXPECT_THAT(error.message, HasSubstr("invalid YAML")) << text;
  }
}

TEST_F(ConfigTest, SecondDocument) {
  const ConfigError error = LoadError("threads: 1\n---\nthreads: 2\n");
  EXPECT_EQ(error.line, 3);
  EXPECT_THAT(error.message, HasSubstr("second YAML document"));
}

TEST_F(ConfigTest, RootNotMapping) {
  const ConfigError error = LoadError("- a\n- b\n");
  EXPECT_EQ(error.line, 1);
  EXPECT_THAT(error.message, HasSubstr("expected a mapping"));
}

TEST_F(ConfigTest, MissingFile) {
  const std::string path = (dir_ / "absent.yaml").string();
  Config config;
  std::optional<ConfigError> error = LoadConfigFile(path, &config);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->file, path);
  EXPECT_EQ(error->line, 0);
  EXPECT_EQ(error->ToString(), path + ": failed to read the file: No such file or directory");
}

TEST_F(ConfigTest, DirectoryInsteadOfFile) {
  Config config;
  std::optional<ConfigError> error = LoadConfigFile(dir_.string(), &config);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->file, dir_.string());
  EXPECT_THAT(error->message, HasSubstr("Is a directory"));
}

TEST(ParseListenAddressTest, AcceptsValid) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  };
  const Case cases[] = {
      {"127.0.0.1:8080", "127.0.0.1", 8080},
      {"[::1]:0", "::1", 0},
      {"localhost:80", "localhost", 80},
      {"0.0.0.0:65535", "0.0.0.0", 65535},
      {"[fe80::1%eth0]:443", "fe80::1%eth0", 443},
      {"my-host.example.com:1", "my-host.example.com", 1},
  };
  for (const Case& c : cases) {
    std::string host;
    uint16_t port = 1234;
    EXPECT_TRUE(ParseListenAddress(c.text, &host, &port)) << c.text;
    EXPECT_EQ(host, c.host) << c.text;
    EXPECT_EQ(port, c.port) << c.text;
  }
}

// A one-rule file whose rule sets `extra`, lines starting at line 5.
std::string IdleRuleWith(const std::string& extra) {
  return "rules:\n"
         "  - name: idle\n"
         "    kind: inactivity\n"
         "    days: 7\n" +
         extra;
}

TEST_F(ConfigTest, RuleLifecycleDefaults) {
  Config config;
  std::optional<ConfigError> error = LoadConfigFile(WriteFile(IdleRuleWith("")), &config);
  ASSERT_FALSE(error) << error->ToString();
  ASSERT_EQ(config.rules.size(), 1u);
  EXPECT_EQ(config.rules[0].for_ms, 0);
  EXPECT_EQ(config.rules[0].keep_firing_for_ms, 0);
  EXPECT_TRUE(config.rules[0].labels.empty());
  EXPECT_TRUE(config.rules[0].annotations.empty());
}

TEST_F(ConfigTest, RuleDurations) {
  const struct {
    const char* text;
    int64_t ms;
  } cases[] = {
      {"90s", 90'000},     {"30m", 1'800'000},    {"12h", 43'200'000},
      {"3d", 259'200'000}, {"45", 45'000},        {"0", 0},
      {"0s", 0},           {"\"2h\"", 7'200'000}, {"3650d", 3650LL * 86'400'000},
  };
  for (const auto& c : cases) {
    Config config;
    const std::string yaml =
        IdleRuleWith("    for: " + std::string(c.text) + "\n    keep_firing_for: " + c.text + "\n");
    std::optional<ConfigError> error = LoadConfigFile(WriteFile(yaml), &config);
    ASSERT_FALSE(error) << c.text << ": " << error->ToString();
    EXPECT_EQ(config.rules[0].for_ms, c.ms) << c.text;
    EXPECT_EQ(config.rules[0].keep_firing_for_ms, c.ms) << c.text;
  }
}

TEST_F(ConfigTest, InvalidDurationNamesLineAndKey) {
  const char* cases[] = {"5w", "-5", "1.5h", "\"90\"", "h", "90 s", "1h30m", "[1]", ""};
  for (const char* text : cases) {
    const ConfigError error =
        LoadError(IdleRuleWith("    severity: info\n    for: " + std::string(text) + "\n"));
    EXPECT_EQ(error.file, path_) << text;
    EXPECT_EQ(error.line, 6) << text;
    EXPECT_EQ(error.key, "rules[0].for") << text;
    EXPECT_THAT(error.message, HasSubstr("expected a duration such as 90s, 30m, 12h or 3d, or a "
                                         "whole number of seconds, got"))
        << text;
  }
}

TEST_F(ConfigTest, DurationAboveMaximum) {
  const ConfigError error = LoadError(IdleRuleWith("    keep_firing_for: 3651d\n"));
  EXPECT_EQ(error.line, 5);
  EXPECT_EQ(error.key, "rules[0].keep_firing_for");
  EXPECT_EQ(error.message, "must be at most 3650d, got 3651d");

  const ConfigError huge = LoadError(IdleRuleWith("    for: 99999999999999999999999s\n"));
  EXPECT_EQ(huge.key, "rules[0].for");
  EXPECT_THAT(huge.message, HasSubstr("must be at most 3650d"));
}

TEST_F(ConfigTest, RuleLabelsAndAnnotations) {
  Config config;
  const std::string yaml = IdleRuleWith(
      "    labels:\n"
      "      team: cs-emea\n"
      "      tier: 1\n"
      "    annotations:\n"
      "      summary: \"{{account}} idle {{ observed }} days\"\n"
      "      runbook_url: https://wiki.example/{{rule}}\n");
  std::optional<ConfigError> error = LoadConfigFile(WriteFile(yaml), &config);
  ASSERT_FALSE(error) << error->ToString();

  const Rule& rule = config.rules[0];
  EXPECT_EQ(rule.labels, (std::map<std::string, std::string>{{"team", "cs-emea"}, {"tier", "1"}}));
  EXPECT_EQ(rule.annotations,
            (std::map<std::string, std::string>{{"summary", "{{account}} idle {{ observed }} days"},
                                                {"runbook_url", "https://wiki.example/{{rule}}"}}));
}

TEST_F(ConfigTest, UnknownPlaceholderNamesLineAndKey) {
  const ConfigError error =
      LoadError(IdleRuleWith("    annotations:\n"
                             "      summary: \"{{account}} is idle\"\n"
                             "      description: \"{{acount}} is idle\"\n"));
  EXPECT_EQ(error.file, path_);
  EXPECT_EQ(error.line, 7);
  EXPECT_EQ(error.key, "rules[0].annotations.description");
  EXPECT_THAT(error.message, HasSubstr("unknown placeholder {{acount}}"));
  EXPECT_THAT(error.message, HasSubstr("expected one of account, rule"));
}

TEST_F(ConfigTest, UnclosedPlaceholder) {
  const ConfigError error =
      LoadError(IdleRuleWith("    annotations:\n      summary: \"{{rule\"\n"));
  EXPECT_EQ(error.line, 6);
  EXPECT_EQ(error.key, "rules[0].annotations.summary");
  EXPECT_THAT(error.message, HasSubstr("is not closed by"));
}

TEST_F(ConfigTest, InvalidLabelName) {
  const ConfigError error =
      LoadError(IdleRuleWith("    labels:\n      team: cs\n      1tier: a\n"));
  EXPECT_EQ(error.line, 7);
  EXPECT_EQ(error.key, "rules[0].labels.1tier");
  EXPECT_THAT(error.message, HasSubstr("invalid name"));
}

TEST_F(ConfigTest, LabelsWrongShape) {
  const ConfigError list = LoadError(IdleRuleWith("    labels: [team]\n"));
  EXPECT_EQ(list.line, 5);
  EXPECT_EQ(list.key, "rules[0].labels");
  EXPECT_THAT(list.message, HasSubstr("expected a mapping"));

  const ConfigError value = LoadError(IdleRuleWith("    labels:\n      team: [a, b]\n"));
  EXPECT_EQ(value.line, 6);
  EXPECT_EQ(value.key, "rules[0].labels.team");
  EXPECT_EQ(value.message, "expected a string, got a list");

  const ConfigError repeated =
      LoadError(IdleRuleWith("    labels:\n      team: a\n      team: b\n"));
  EXPECT_EQ(repeated.line, 7);
  EXPECT_EQ(repeated.key, "rules[0].labels.team");
  EXPECT_THAT(repeated.message, HasSubstr("duplicate key"));
}

TEST_F(ConfigTest, RuleSegmentsLoad) {
  Config config;
  const std::string yaml = IdleRuleWith(
      "    segments:\n"
      "      - name: enterprise\n"
      "        match: {plan: enterprise}\n"
      "        days: 3\n"
      "      - name: big\n"
      "        match: {plan: pro, arr_at_least: 100000}\n"
      "      - name: mid\n"
      "        match:\n"
      "          arr_at_least: 10000.5\n"
      "        days: 5\n");
  std::optional<ConfigError> error = LoadConfigFile(WriteFile(yaml), &config);
  ASSERT_FALSE(error) << error->ToString();

  const std::vector<Segment>& segments = config.rules[0].segments;
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_EQ(segments[0].name, "enterprise");
  EXPECT_EQ(segments[0].match.plan, "enterprise");
  EXPECT_FALSE(segments[0].match.arr_at_least);
  EXPECT_EQ(segments[0].days, 3);
  EXPECT_EQ(segments[1].name, "big");
  EXPECT_EQ(segments[1].match.plan, "pro");
  EXPECT_EQ(segments[1].match.arr_at_least, 100000);
  EXPECT_FALSE(segments[1].days);
  EXPECT_FALSE(segments[2].match.plan);
  EXPECT_EQ(segments[2].match.arr_at_least, 10000.5);
  EXPECT_EQ(segments[2].days, 5);
}

TEST_F(ConfigTest, SegmentThresholdsOfEachKind) {
  Config config;
  const std::string yaml =
      "login_events: [login]\n"
      "features:\n"
      "  - {id: Reports, events: [a]}\n"
      "  - {id: Exports, events: [b]}\n"
      "rules:\n"
      "  - name: adoption\n"
      "    kind: feature_adoption\n"
      "    min_features: 1\n"
      "    days: 30\n"
      "    segments:\n"
      "      - {name: big, match: {plan: enterprise}, min_features: 2, days: 14}\n"
      "  - name: count\n"
      "    kind: event_count\n"
      "    events: [a]\n"
      "    min_count: 5\n"
      "    days: 30\n"
      "    segments:\n"
      "      - {name: big, match: {plan: enterprise}, min_count: 50}\n"
      "  - name: drop\n"
      "    kind: login_drop\n"
      "    percent: 50\n"
      "    segments:\n"
      "      - {name: big, match: {arr_at_least: 0}, percent: 80, min_baseline: 3}\n";
  std::optional<ConfigError> error = LoadConfigFile(WriteFile(yaml), &config);
  ASSERT_FALSE(error) << error->ToString();
  ASSERT_EQ(config.rules.size(), 3u);

  const Segment& adoption = config.rules[0].segments.at(0);
  EXPECT_EQ(adoption.min_features, 2);
  EXPECT_EQ(adoption.days, 14);
  EXPECT_EQ(config.rules[1].segments.at(0).min_count, 50);
  const Segment& drop = config.rules[2].segments.at(0);
  EXPECT_EQ(drop.percent, 80);
  EXPECT_EQ(drop.min_baseline, 3);
}

TEST_F(ConfigTest, SegmentThresholdOfOtherKind) {
  const ConfigError error =
      LoadError(IdleRuleWith("    segments:\n"
                             "      - name: enterprise\n"
                             "        match: {plan: enterprise}\n"
                             "        min_count: 3\n"));
  EXPECT_EQ(error.file, path_);
  EXPECT_EQ(error.line, 8);
  EXPECT_EQ(error.key, "rules[0].segments[0].min_count");
  EXPECT_EQ(error.message, "not a threshold of kind inactivity; it applies to event_count");
}

TEST_F(ConfigTest, SegmentUnknownKey) {
  const ConfigError error =
      LoadError(IdleRuleWith("    segments:\n"
                             "      - name: enterprise\n"
                             "        match: {plan: enterprise}\n"
                             "        activity: login\n"));
  EXPECT_EQ(error.line, 8);
  EXPECT_EQ(error.key, "rules[0].segments[0].activity");
  EXPECT_THAT(error.message, HasSubstr("unknown key"));
}

TEST_F(ConfigTest, SegmentMissingNameOrMatch) {
  const ConfigError no_name =
      LoadError(IdleRuleWith("    segments:\n      - match: {plan: enterprise}\n"));
  EXPECT_EQ(no_name.line, 6);
  EXPECT_EQ(no_name.key, "rules[0].segments[0].name");
  EXPECT_THAT(no_name.message, HasSubstr("missing"));

  const ConfigError no_match = LoadError(IdleRuleWith("    segments:\n      - name: big\n"));
  EXPECT_EQ(no_match.line, 6);
  EXPECT_EQ(no_match.key, "rules[0].segments[0].match");
  EXPECT_THAT(no_match.message, HasSubstr("missing"));
}

TEST_F(ConfigTest, SegmentEmptyMatch) {
  const ConfigError error =
      LoadError(IdleRuleWith("    segments:\n      - name: big\n        match: {}\n"));
  EXPECT_EQ(error.line, 7);
  EXPECT_EQ(error.key, "rules[0].segments[0].match");
  EXPECT_EQ(error.message, "must set plan, arr_at_least or both");
}

TEST_F(ConfigTest, SegmentInvalidMatchValues) {
  const ConfigError negative = LoadError(
      IdleRuleWith("    segments:\n      - name: big\n        match: {arr_at_least: -1}\n"));
  EXPECT_EQ(negative.line, 7);
  EXPECT_EQ(negative.key, "rules[0].segments[0].match.arr_at_least");
  EXPECT_EQ(negative.message, "must be 0 or more, got -1");

  const ConfigError quoted = LoadError(
      IdleRuleWith("    segments:\n      - name: big\n        match: {arr_at_least: \"5\"}\n"));
  EXPECT_EQ(quoted.key, "rules[0].segments[0].match.arr_at_least");
  EXPECT_THAT(quoted.message, HasSubstr("expected a number"));

  const ConfigError tier =
      LoadError(IdleRuleWith("    segments:\n      - name: big\n        match: {tier: gold}\n"));
  EXPECT_EQ(tier.key, "rules[0].segments[0].match.tier");
  EXPECT_THAT(tier.message, HasSubstr("unknown key"));

  const ConfigError empty_plan =
      LoadError(IdleRuleWith("    segments:\n      - name: big\n        match: {plan: \"\"}\n"));
  EXPECT_EQ(empty_plan.key, "rules[0].segments[0].match.plan");
  EXPECT_EQ(empty_plan.message, "must not be empty");
}

TEST_F(ConfigTest, SegmentThresholdOutOfRange) {
  const ConfigError error =
      LoadError(IdleRuleWith("    segments:\n"
                             "      - name: big\n"
                             "        match: {plan: enterprise}\n"
                             "        days: 0\n"));
  EXPECT_EQ(error.line, 8);
  EXPECT_EQ(error.key, "rules[0].segments[0].days");
  EXPECT_THAT(error.message, HasSubstr("must be between 1 and"));
}

TEST_F(ConfigTest, DuplicateSegmentName) {
  const ConfigError error =
      LoadError(IdleRuleWith("    segments:\n"
                             "      - {name: big, match: {plan: enterprise}}\n"
                             "      - {name: big, match: {plan: pro}}\n"));
  EXPECT_EQ(error.line, 7);
  EXPECT_EQ(error.key, "rules[0].segments[1].name");
  EXPECT_EQ(error.message,
            "duplicate segment name \"big\"; it is already used by rules[0].segments[0]");
}

TEST_F(ConfigTest, SegmentsNotAList) {
  const ConfigError error = LoadError(IdleRuleWith("    segments: {name: big}\n"));
  EXPECT_EQ(error.line, 5);
  EXPECT_EQ(error.key, "rules[0].segments");
  EXPECT_THAT(error.message, HasSubstr("expected a list"));
}

TEST(ParseListenAddressTest, RejectsMalformed) {
  const char* cases[] = {
      "",
      "localhost",
      "localhost:",
      ":8080",
      "127.0.0.1:65536",
      "host:80a",
      "host:-1",
      "host:+80",
      "::1:80",
      "[::1]",
      "[::1]80",
      "[]:80",
      "[1.2.3.4]:80",
      "[::1:80",
      "bad host:80",
      "host:123456",
      "host:8080 ",
      "[zz::1]:80",
      "[::1%]:80",
      "-host:80",
  };
  for (const char* text : cases) {
    std::string host = "unchanged";
    uint16_t port = 7;
    EXPECT_FALSE(ParseListenAddress(text, &host, &port)) << text;
    EXPECT_EQ(host, "unchanged") << text;
    EXPECT_EQ(port, 7) << text;
  }
}

}  // namespace
}  // namespace uptake

namespace uptake {
namespace {

class StorageConfigTest : public ConfigTest {};

TEST_F(StorageConfigTest, DefaultsAreWalAndNoRetention) {
  const Config config;
  EXPECT_EQ(config.durability, DurabilityMode::kWal);
  EXPECT_EQ(config.retention_days, 0);
  EXPECT_EQ(config.min_free_disk_mb, 256);
}

TEST_F(StorageConfigTest, ReadsDurabilityAndRetention) {
  Config config;
  ASSERT_FALSE(LoadConfigFile(
      WriteFile("storage:\n  durability: fsync\n  retention_days: 400\n  min_free_disk_mb: 0\n"),
      &config));
  EXPECT_EQ(config.durability, DurabilityMode::kFsync);
  EXPECT_EQ(config.retention_days, 400);
  EXPECT_EQ(config.min_free_disk_mb, 0);
}

TEST_F(StorageConfigTest, ReadsCompression) {
  EXPECT_EQ(Config().log_compression, LogCompression::kZstd);
  Config config;
  ASSERT_FALSE(LoadConfigFile(WriteFile("storage:\n  compression: lz4\n"), &config));
  EXPECT_EQ(config.log_compression, LogCompression::kLz4);
}

TEST_F(StorageConfigTest, RejectsUnknownCompression) {
  const ConfigError error = LoadError("storage:\n  durability: wal\n  compression: gzip\n");
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.key, "storage.compression");
  EXPECT_NE(error.message.find("gzip"), std::string::npos) << error.message;
}

TEST_F(StorageConfigTest, RejectsUnknownDurability) {
  const ConfigError error = LoadError("storage:\n  durability: sync\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.key, "storage.durability");
}

TEST_F(StorageConfigTest, RejectsNegativeRetention) {
  const ConfigError error = LoadError("storage:\n  retention_days: -1\n");
  EXPECT_EQ(error.key, "storage.retention_days");
}

}  // namespace
}  // namespace uptake
