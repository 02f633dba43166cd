// uptake-watch against the real server: how each stream change prints, and
// the --after resume point.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

constexpr char kConfig[] = R"(
clock: event
write_keys: [k]
limits: {max_event_age_days: 10000}
rules:
  - {name: quiet, kind: inactivity, days: 1}
)";

std::string ReadAll(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.path() + "/uptake.yaml", kConfig);
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/uptake.yaml", dir_.path() + "/data",
                                              dir_.path() + "/uptake.log");
    ASSERT_NE(server_->port(), 0);
  }

  // Fires the quiet alert (seq 1) and acknowledges it (seq 2).
  void FireAndAcknowledge() {
    ASSERT_NO_FATAL_FAILURE(Fire());
    HttpClient client(server_->port());
    HttpReply ack =
        client.Post("/v1/alerts/1/ack", R"({"by":"dana"})", {{"Content-Type", "application/json"}});
    ASSERT_EQ(ack.status, 200) << ack.body;
  }

  // Fires the quiet alert of account `quiet` (seq 1): one event of it on
  // 2020-01-01, and one of another account two days later, which moves the
  // event clock on.
  void Fire() {
    HttpClient client(server_->port());
    const std::string batch =
        R"({"batch":[{"type":"track","userId":"u","event":"E","messageId":"m1",)"
        R"("timestamp":"2020-01-01T00:00:00Z","context":{"groupId":"quiet"}},)"
        R"({"type":"track","userId":"u","event":"E","messageId":"m2",)"
        R"("timestamp":"2020-01-03T00:00:00Z","context":{"groupId":"busy"}}]})";
    HttpReply reply = client.Post("/v1/batch", batch, {{"Authorization", BasicAuth("k")}});
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  std::string StreamUrl(const std::string& query = "") const {
    return "ws://127.0.0.1:" + std::to_string(server_->port()) + "/v1/alerts/stream" + query;
  }

  // Runs uptake-watch with `args`, its stdout and stderr into `output_`.
  // Returns the exit status.
  int RunWatch(const std::string& args) {
    const std::string command =
        std::string(UPTAKE_WATCH_BINARY) + " " + args + " > " + output_ + " 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  const std::string output_ = dir_.path() + "/watch.txt";
};

TEST_F(WatchTest, AfterReplaysFireAndAcknowledge) {
  ASSERT_NO_FATAL_FAILURE(FireAndAcknowledge());
  ASSERT_EQ(RunWatch("--url " + StreamUrl() + " --after 0 --count 2 --timeout-seconds 20"), 0)
      << ReadAll(output_);

  const std::string output = ReadAll(output_);
  EXPECT_EQ(output.find("FIRING  warning  quiet  quiet  "), 0u) << output;
  const size_t second_line = output.find('\n') + 1;
  EXPECT_EQ(output.find("ACKNOWLEDGED  warning  quiet  quiet  ", second_line), second_line)
      << output;
}

// The resync lists only the open alerts that pass the stream's filter.
TEST_F(WatchTest, FutureAfterResyncIsFiltered) {
  ASSERT_NO_FATAL_FAILURE(FireAndAcknowledge());
  ASSERT_EQ(RunWatch("--url '" + StreamUrl("?account=busy") + "' --after 1000 --timeout-seconds 3"),
            0)
      << ReadAll(output_);

  const std::string output = ReadAll(output_);
  EXPECT_EQ(output.find("RESYNC  after seq 2  "), 0u) << output;
  EXPECT_EQ(output.find("FIRING"), std::string::npos) << output;
}

TEST_F(WatchTest, FutureAfterListsOpenAlerts) {
  ASSERT_NO_FATAL_FAILURE(FireAndAcknowledge());
  ASSERT_EQ(RunWatch("--url " + StreamUrl() + " --after 1000 --count 1 --timeout-seconds 20"), 0)
      << ReadAll(output_);

  const std::string output = ReadAll(output_);
  EXPECT_EQ(output.find("RESYNC  after seq 2  The cursor is newer"), 0u) << output;
  EXPECT_NE(output.find("\nFIRING  warning  quiet  quiet  "), std::string::npos) << output;
}

// --count also bounds the open alerts a resync lists.
TEST_F(WatchTest, CountStopsInsideResync) {
  HttpClient client(server_->port());
  std::string batch = R"({"batch":[)";
  for (const char* account : {"q1", "q2", "q3"}) {
    batch += std::string(R"({"type":"track","userId":"u","event":"E","messageId":")") + account +
             R"(","timestamp":"2020-01-01T00:00:00Z","context":{"groupId":")" + account + "\"}},";
  }
  batch += R"({"type":"track","userId":"u","event":"E","messageId":"m",)"
           R"("timestamp":"2020-01-03T00:00:00Z","context":{"groupId":"busy"}}]})";
  HttpReply reply = client.Post("/v1/batch", batch, {{"Authorization", BasicAuth("k")}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  // Wait until the three alerts are stored.
  for (int i = 0; i < 200; ++i) {
    if (client.Get("/v1/alerts?state=firing").body.find("\"q3\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  ASSERT_EQ(RunWatch("--url " + StreamUrl() + " --after 1000 --count 2 --timeout-seconds 20"), 0)
      << ReadAll(output_);
  const std::string output = ReadAll(output_);
  EXPECT_EQ(output.find("RESYNC  after seq 3  "), 0u) << output;
  size_t firing = 0;
  for (size_t at = output.find("\nFIRING"); at != std::string::npos;
       at = output.find("\nFIRING", at + 1)) {
    ++firing;
  }
  EXPECT_EQ(firing, 2u) << output;
}

// Without --count the watcher runs until its timeout and then reports how
// many alerts it printed.
TEST_F(WatchTest, TimeoutCountsOneAlert) {
  ASSERT_NO_FATAL_FAILURE(Fire());
  ASSERT_EQ(RunWatch("--url " + StreamUrl() + " --after 0 --timeout-seconds 2"), 0)
      << ReadAll(output_);

  const std::string output = ReadAll(output_);
  EXPECT_EQ(output.find("FIRING  warning  quiet  quiet  "), 0u) << output;
  EXPECT_NE(output.find("timeout after 2 s, 1 alert received\n"), std::string::npos) << output;
}

TEST_F(WatchTest, AfterTwiceIsUsageError) {
  EXPECT_EQ(RunWatch("--url '" + StreamUrl("?after=3") + "' --after 5"), 2);
  EXPECT_NE(ReadAll(output_).find("both set the resume point"), std::string::npos)
      << ReadAll(output_);
}

}  // namespace
}  // namespace uptake::testing
