// uptake-bench against the real server: the report's totals match what the
// server counted, bad targets and unbounded runs are rejected, and a short
// event-to-alert run gets every alert.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

constexpr char kConfig[] = "write_keys: [k]\n";

std::string ReadAll(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Runs uptake-bench with `args`, its stdout and stderr into `output_path`.
// Returns the exit status.
int RunBench(const std::string& args, const std::string& output_path) {
  const std::string command =
      std::string(UPTAKE_BENCH_BINARY) + " " + args + " > " + output_path + " 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class BenchTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& config) {
    WriteFile(dir_.path() + "/uptake.yaml", config);
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/uptake.yaml", dir_.path() + "/data",
                                              dir_.path() + "/uptake.log");
    ASSERT_NE(server_->port(), 0);
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  int64_t AccountEvents(HttpClient& client, simdjson::dom::parser& parser,
                        const std::string& account) {
    HttpReply reply = client.Get("/v1/accounts/" + account);
    EXPECT_EQ(reply.status, 200) << reply.body;
    if (reply.status != 200) return 0;
    return int64_t(parser.parse(reply.body).value()["event_count"]);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(BenchTest, BatchTotalsMatchServerCounts) {
  StartServer(kConfig);
  const std::string output = dir_.path() + "/bench.json";
  ASSERT_EQ(RunBench("--url " + Url() +
                         " --write-key k --requests 2000 --connections 4 --in-flight 2"
                         " --batch 5 --accounts 3 --users 10 --event-bytes 400 --json",
                     output),
            0)
      << ReadAll(output);

  simdjson::dom::parser parser;
  simdjson::dom::element report = parser.parse(ReadAll(output)).value();
  simdjson::dom::element totals = report["totals"];
  EXPECT_EQ(int64_t(totals["requests_sent"]), 2000);
  EXPECT_EQ(int64_t(totals["requests_ok"]), 2000);
  EXPECT_EQ(int64_t(totals["events_sent"]), 10000);
  EXPECT_EQ(int64_t(totals["events_accepted"]), 10000);
  EXPECT_EQ(int64_t(totals["duplicates"]), 0);
  EXPECT_EQ(int64_t(totals["rejected"]), 0);
  EXPECT_EQ(int64_t(totals["network_errors"]), 0);
  EXPECT_EQ(simdjson::dom::object(totals["errors_by_status"]).size(), 0u);
  simdjson::dom::element measured = report["measured"];
  EXPECT_EQ(int64_t(measured["requests"]), 2000);
  EXPECT_EQ(int64_t(measured["latency_us"]["count"]), 2000);

  // The server stored every event under one of the three accounts.
  HttpClient client(server_->port());
  simdjson::dom::parser account_parser;
  int64_t stored = 0;
  for (const char* account : {"acct-0", "acct-1", "acct-2"}) {
    stored += AccountEvents(client, account_parser, account);
  }
  EXPECT_EQ(stored, 10000);
}

TEST_F(BenchTest, SingleTrackTotalsMatch) {
  StartServer(kConfig);
  const std::string output = dir_.path() + "/bench.json";
  ASSERT_EQ(
      RunBench("--url " + Url() + " --write-key k --requests 300 --single --accounts 1 --json",
               output),
      0)
      << ReadAll(output);

  simdjson::dom::parser parser;
  simdjson::dom::element totals = parser.parse(ReadAll(output)).value()["totals"];
  EXPECT_EQ(int64_t(totals["events_sent"]), 300);
  EXPECT_EQ(int64_t(totals["events_accepted"]), 300);
  HttpClient client(server_->port());
  simdjson::dom::parser account_parser;
  EXPECT_EQ(AccountEvents(client, account_parser, "acct-0"), 300);
}

TEST_F(BenchTest, WrongWriteKeyCountedByStatus) {
  StartServer(kConfig);
  const std::string output = dir_.path() + "/bench.json";
  EXPECT_EQ(RunBench("--url " + Url() + " --write-key wrong --requests 10 --json", output), 1);
  simdjson::dom::parser parser;
  simdjson::dom::element totals = parser.parse(ReadAll(output)).value()["totals"];
  EXPECT_EQ(int64_t(totals["errors_by_status"]["401"]), 10);
  EXPECT_EQ(int64_t(totals["events_accepted"]), 0);
}

TEST_F(BenchTest, NonLoopbackUrlRejected) {
  const std::string output = dir_.path() + "/bench.out";
  EXPECT_EQ(RunBench("--url http://192.0.2.1:8080 --requests 1", output), 2);
  EXPECT_NE(ReadAll(output).find("only loopback targets"), std::string::npos) << ReadAll(output);
}

TEST_F(BenchTest, UnboundedRunRejected) {
  const std::string output = dir_.path() + "/bench.out";
  EXPECT_EQ(RunBench("--url http://127.0.0.1:9 --connections 2", output), 2);
  EXPECT_NE(ReadAll(output).find("unbounded run"), std::string::npos) << ReadAll(output);
}

TEST_F(BenchTest, AlertLatencyGetsEveryAlert) {
  StartServer(ReadAll(UPTAKE_SOURCE_DIR "/bench/alert-latency.yaml"));
  const std::string output = dir_.path() + "/alerts.json";
  ASSERT_EQ(RunBench("--url " + Url() + " --alert-latency 5 --request-timeout 60 --json", output),
            0)
      << ReadAll(output) << server_->Log();

  simdjson::dom::parser parser;
  simdjson::dom::element report = parser.parse(ReadAll(output)).value();
  EXPECT_EQ(int64_t(report["probes"]), 5);
  EXPECT_EQ(int64_t(report["alerts"]), 5);
  EXPECT_EQ(int64_t(report["latency_us"]["count"]), 5);
  EXPECT_TRUE(report["error"].is_null());
}

}  // namespace
}  // namespace uptake::testing
