// Restarts from aggregate snapshots with the real server: a snapshot plus
// the replayed tail gives the same accounts as before a kill and as a full
// rebuild, and a damaged or mismatched snapshot falls back to the rebuild.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kAccounts = 30;

const std::vector<std::pair<std::string, std::string>> kAuth = {{"Authorization", BasicAuth("k")}};

std::string Config(int interval_seconds, const std::string& login_event = "Signed In") {
  return R"(
clock: event
write_keys: [k]
limits: {max_event_age_days: 10000}
storage:
  snapshot_interval_seconds: )" +
         std::to_string(interval_seconds) + R"(
  snapshot_min_events: 1
login_events: [")" +
         login_event +
         R"("]
features:
  - id: Reports
    events: ["Report Viewed"]
  - id: Exports
    events: ["Export Run"]
rules:
  - name: inactive
    kind: inactivity
    severity: critical
    days: 3
)";
}

std::string AccountId(int n) {
  std::string id = "acct-";
  id += std::to_string(n);
  return id;
}

// One Segment batch for round `round`: track events on every account,
// spread over users, names and days, and a group call with traits on some.
std::string Batch(int round) {
  const std::vector<std::string> names = {"Report Viewed", "Export Run", "Signed In", "Other"};
  std::string body = R"({"batch":[)";
  bool first = true;
  for (int a = 0; a < kAccounts; ++a) {
    for (int i = 0; i < 2 + (a + round) % 3; ++i) {
      if (!first) body += ",";
      first = false;
      const int day = 1 + (a * 3 + i + round * 5) % 27;
      body += R"({"type":"track","messageId":"r)" + std::to_string(round) + "-" +
              std::to_string(a) + "-" + std::to_string(i) + R"(","userId":"u-)" +
              std::to_string((a + i) % 4) + R"(","event":")" + names[(a + i) % names.size()] +
              R"(","timestamp":"2024-03-)" + (day < 10 ? "0" : "") + std::to_string(day) +
              R"(T10:00:00Z","context":{"groupId":")" + AccountId(a) + R"("}})";
    }
    if ((a + round) % 4 == 0) {
      body += R"(,{"type":"group","messageId":"g)" + std::to_string(round) + "-" +
              std::to_string(a) + R"(","userId":"u-0","groupId":")" + AccountId(a) +
              R"(","traits":{"plan":"plan-)" + std::to_string(round) + R"(","arr":)" +
              std::to_string(1000 * (a + 1)) + R"(,"owner":"csm-)" + std::to_string(a % 3) +
              R"(","created_at":"2024-01-15T00:00:00Z"},"timestamp":"2024-03-0)" +
              std::to_string(1 + round) + R"(T12:00:00Z"})";
    }
  }
  return body + "]}";
}

// Returns the number of events in Batch(round).
int BatchSize(int round) {
  int events = 0;
  for (int a = 0; a < kAccounts; ++a) {
    events += 2 + (a + round) % 3;
    if ((a + round) % 4 == 0) ++events;
  }
  return events;
}

// Polls the server log until it contains `text` or 60 s pass.
bool WaitForLog(const ServerProcess& server, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (server.Log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class SnapshotRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path_ = dir_.path() + "/uptake.yaml";
    data_dir_ = dir_.path() + "/data";
    WriteConfig(Config(0));
  }

  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "server log:\n" << server_->Log();
  }

  void WriteConfig(const std::string& text) { WriteFile(config_path_, text); }

  void Start() {
    server_.reset();
    ++starts_;
    server_ = std::make_unique<ServerProcess>(
        config_path_, data_dir_, dir_.path() + "/server-" + std::to_string(starts_) + ".log");
    ASSERT_NE(server_->port(), 0);
  }

  void Ingest(int round) {
    HttpClient client(server_->port());
    HttpReply reply = client.Post("/v1/batch", Batch(round), kAuth);
    ASSERT_EQ(reply.status, 200) << reply.body;
    ASSERT_NE(reply.body.find("\"accepted\":" + std::to_string(BatchSize(round))),
              std::string::npos)
        << reply.body;
  }

  // GET /v1/accounts/{id} of every account, by id.
  std::map<std::string, std::string> ReadAccounts() {
    std::map<std::string, std::string> bodies;
    HttpClient client(server_->port());
    for (int a = 0; a < kAccounts; ++a) {
      HttpReply reply = client.Get("/v1/accounts/" + AccountId(a));
      EXPECT_EQ(reply.status, 200) << reply.body;
      bodies[AccountId(a)] = reply.body;
    }
    return bodies;
  }

  std::string SnapshotDir() const { return data_dir_ + "/snapshots"; }

  std::vector<fs::path> SnapshotPaths() const {
    std::vector<fs::path> paths;
    if (!fs::exists(SnapshotDir())) return paths;
    for (const auto& entry : fs::directory_iterator(SnapshotDir())) paths.push_back(entry.path());
    return paths;
  }

  TempDir dir_;
  std::string config_path_;
  std::string data_dir_;
  std::unique_ptr<ServerProcess> server_;
  int starts_ = 0;
};

void ExpectSameAccounts(const std::map<std::string, std::string>& expected,
                        const std::map<std::string, std::string>& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  for (const auto& [id, body] : expected) {
    auto it = actual.find(id);
    ASSERT_NE(it, actual.end()) << id;
    EXPECT_EQ(it->second, body) << id;
  }
}

TEST_F(SnapshotRestartTest, KillAfterSnapshotReplaysOnlyTail) {
  Start();
  Ingest(0);
  ASSERT_EQ(server_->Stop(), 0);
  ASSERT_NE(server_->Log().find("wrote shutdown snapshot"), std::string::npos);

  Start();
  EXPECT_NE(server_->Log().find("[startup] loaded snapshot"), std::string::npos);
  EXPECT_NE(server_->Log().find("replayed 0 events logged after the snapshot"), std::string::npos);
  Ingest(1);
  Ingest(2);
  const std::map<std::string, std::string> before = ReadAccounts();
  server_->Kill();

  Start();
  const std::string log = server_->Log();
  EXPECT_NE(log.find("[startup] loaded snapshot"), std::string::npos) << log;
  const std::string tail =
      "replayed " + std::to_string(BatchSize(1) + BatchSize(2)) + " events logged after";
  EXPECT_NE(log.find(tail), std::string::npos) << log;
  ExpectSameAccounts(before, ReadAccounts());
  server_->Kill();

  // A full rebuild from the event log gives the same answers.
  fs::remove_all(SnapshotDir());
  Start();
  EXPECT_NE(server_->Log().find("replayed the whole event log"), std::string::npos);
  ExpectSameAccounts(before, ReadAccounts());
}

TEST_F(SnapshotRestartTest, PeriodicSnapshotIsUsed) {
  WriteConfig(Config(1));
  Start();
  Ingest(0);
  ASSERT_TRUE(WaitForLog(*server_, "wrote periodic snapshot"));
  const std::map<std::string, std::string> before = ReadAccounts();
  server_->Kill();

  Start();
  EXPECT_NE(server_->Log().find("[startup] loaded snapshot"), std::string::npos);
  EXPECT_NE(server_->Log().find("replayed 0 events logged after the snapshot"), std::string::npos);
  ExpectSameAccounts(before, ReadAccounts());
}

TEST_F(SnapshotRestartTest, SnapshotsKeptAreNewestTwo) {
  for (int round = 0; round < 3; ++round) {
    Start();
    Ingest(round);
    ASSERT_EQ(server_->Stop(), 0);
  }
  EXPECT_EQ(SnapshotPaths().size(), 2u);
}

// Each damage must be logged and answered by a full rebuild with the same
// accounts.
TEST_F(SnapshotRestartTest, DamagedSnapshotFallsBackToRebuild) {
  Start();
  Ingest(0);
  Ingest(1);
  const std::map<std::string, std::string> before = ReadAccounts();
  ASSERT_EQ(server_->Stop(), 0);
  ASSERT_EQ(SnapshotPaths().size(), 1u);
  const fs::path path = SnapshotPaths()[0];
  std::string original;
  {
    std::ifstream in(path, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  struct Damage {
    std::string name;
    std::string bytes;
    std::string logged;
  };
  std::string flipped = original;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x01);
  const std::vector<Damage> damages = {
      {"flipped byte", flipped, "fails its CRC-32 check"},
      {"truncated", original.substr(0, original.size() - 100), "truncated"},
  };
  for (const Damage& damage : damages) {
    WriteFile(path.string(), damage.bytes);
    Start();
    const std::string log = server_->Log();
    EXPECT_NE(log.find(damage.logged), std::string::npos) << damage.name << "\n" << log;
    EXPECT_NE(log.find("replayed the whole event log"), std::string::npos) << damage.name;
    ExpectSameAccounts(before, ReadAccounts());
    server_->Kill();
  }
}

TEST_F(SnapshotRestartTest, CatalogChangeFallsBackToRebuild) {
  Start();
  Ingest(0);
  ASSERT_EQ(server_->Stop(), 0);

  WriteConfig(Config(0, "Logged In"));
  Start();
  const std::string log = server_->Log();
  EXPECT_NE(log.find("written under another feature catalog"), std::string::npos) << log;
  EXPECT_NE(log.find("replayed the whole event log"), std::string::npos) << log;
  const std::map<std::string, std::string> with_new_catalog = ReadAccounts();
  server_->Kill();

  fs::remove_all(SnapshotDir());
  Start();
  ExpectSameAccounts(with_new_catalog, ReadAccounts());
}

}  // namespace
}  // namespace uptake::testing
