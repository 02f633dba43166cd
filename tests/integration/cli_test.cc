// The uptake command line: help, and config errors that name the file, the
// line and the key.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

struct CommandResult {
  int status = -1;
  std::string output;
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char chunk[4096];
  size_t read;
  while ((read = fread(chunk, 1, sizeof(chunk), pipe)) > 0) result.output.append(chunk, read);
  int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(CliTest, HelpListsCommands) {
  CommandResult result = RunCommand(std::string(UPTAKE_BINARY) + " --help");
  EXPECT_EQ(result.status, 0);
  EXPECT_NE(result.output.find("uptake serve"), std::string::npos);
  EXPECT_NE(result.output.find("--data-dir"), std::string::npos);
  EXPECT_NE(result.output.find("--listen"), std::string::npos);
}

TEST(CliTest, ConfigErrorNamesFileLineKey) {
  TempDir dir;
  std::string path = dir.path() + "/bad.yaml";
  WriteFile(path,
            "write_keys: [k]\n"
            "rules:\n"
            "  - name: quiet\n"
            "    kind: inactivity\n"
            "    days: soon\n");
  CommandResult result = RunCommand(std::string(UPTAKE_BINARY) + " serve --config " + path +
                                    " --data-dir " + dir.path() + "/data");
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.output.find(path + ":5:"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("rules[0].days"), std::string::npos) << result.output;
}

TEST(CliTest, SecondServerOnDataFolderNamesLock) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  ServerProcess first("", data, dir.path() + "/first.log");
  ASSERT_NE(first.port(), 0);

  CommandResult second = RunCommand(std::string(UPTAKE_BINARY) + " serve --data-dir " + data +
                                    " --listen 127.0.0.1:0");
  EXPECT_EQ(second.status, 1) << second.output;
  EXPECT_NE(second.output.find("another process (pid "), std::string::npos) << second.output;
  EXPECT_NE(second.output.find("probably another uptake server, holds the lock on the data "
                               "folder " +
                               data),
            std::string::npos)
      << second.output;
}

TEST(CliTest, BadListenFlagRejected) {
  TempDir dir;
  CommandResult result = RunCommand(std::string(UPTAKE_BINARY) + " serve --listen nowhere" +
                                    " --data-dir " + dir.path() + "/data");
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.output.find("--listen"), std::string::npos) << result.output;
}

TEST(CliTest, CheckConfigAcceptsExample) {
  CommandResult result = RunCommand(std::string(UPTAKE_BINARY) + " check-config " +
                                    UPTAKE_SOURCE_DIR "/config/examples/gharchive.yaml");
  EXPECT_EQ(result.status, 0) << result.output;
}

TEST(CliTest, CheckConfigReportsWebhookErrors) {
  TempDir dir;
  const std::string missing_ca = dir.path() + "/missing-ca.pem";
  const struct {
    std::string webhook;
    std::string expected;
  } cases[] = {
      {"    url: \"ftp://hooks.example.com/in\"\n",
       ":3: webhooks[0].url: unsupported URL \"ftp://hooks.example.com/in\" with scheme \"ftp\""},
      {"    url: \"https://hooks.example.com/in\"\n    ca_file: \"" + missing_ca + "\"\n",
       ":4: webhooks[0].ca_file: CA file \"" + missing_ca + "\" not found"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.path() + "/webhooks.yaml";
    WriteFile(path, "webhooks:\n  - name: hook\n" + c.webhook + "    secret: k\n");
    CommandResult result = RunCommand(std::string(UPTAKE_BINARY) + " check-config " + path);
    EXPECT_EQ(result.status, 1) << result.output;
    EXPECT_NE(result.output.find(path + c.expected), std::string::npos) << result.output;
  }
}

}  // namespace
}  // namespace uptake::testing
