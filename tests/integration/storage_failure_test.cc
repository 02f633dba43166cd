// Storage failures on the real server: a torn write-ahead-log tail at
// startup, and a disk filled past the free-space reserve while it serves.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

constexpr char kConfig[] = R"(
clock: event
write_keys: [test-key]
limits: {max_event_age_days: 10000}
)";

const std::vector<std::pair<std::string, std::string>> kAuth = {
    {"Authorization", BasicAuth("test-key")}};

// Returns `prefix` followed by `number`. Built by appending, because
// "x" + std::to_string(n) trips a false -Wrestrict in GCC 12 at -O3.
std::string Numbered(std::string prefix, int number) {
  prefix += std::to_string(number);
  return prefix;
}

// A batch of `size` track events of account `account`, with message ids
// `batch_id`-0, `batch_id`-1, ... and `padding` bytes of properties each.
std::string Batch(const std::string& batch_id, const std::string& account, int size,
                  size_t padding = 0) {
  std::string body = R"({"batch":[)";
  for (int i = 0; i < size; ++i) {
    if (i > 0) body += ",";
    body += R"({"type":"track","messageId":")" + batch_id + "-" + std::to_string(i) +
            R"(","userId":"ann","event":"Report Viewed","timestamp":"2024-03-01T10:00:00Z",)"
            R"("context":{"groupId":")" +
            account + R"("},"properties":{"pad":")" + std::string(padding, 'x') + R"("}})";
  }
  return body + "]}";
}

// The account's event_count, or 0 when the server does not know it.
int64_t EventCount(uint16_t port, const std::string& account) {
  HttpReply reply = HttpClient(port).Get("/v1/accounts/" + account);
  if (reply.status == 404) return 0;
  std::smatch match;
  if (!std::regex_search(reply.body, match, std::regex(R"("event_count":(\d+))"))) return -1;
  return std::stoll(match[1]);
}

// Reads "duplicates" from a Segment answer; -1 when absent.
int Duplicates(const std::string& body) {
  std::smatch match;
  if (!std::regex_search(body, match, std::regex(R"("duplicates":(\d+))"))) return -1;
  return std::stoi(match[1]);
}

// The newest write-ahead-log file (NNNNNN.log) of a RocksDB folder.
std::filesystem::path NewestWal(const std::string& data_dir) {
  std::filesystem::path newest;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
    if (entry.path().extension() != ".log") continue;
    if (newest.empty() || entry.path().filename() > newest.filename()) newest = entry.path();
  }
  return newest;
}

class WalTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path_ = dir_.path() + "/uptake.yaml";
    data_dir_ = dir_.path() + "/data";
    log_path_ = dir_.path() + "/uptake.log";
    WriteFile(config_path_, kConfig);
  }

  // Stores 10 batches of 5 events, then kills the server, so the events are
  // only in the write-ahead log, and returns that log's path.
  std::filesystem::path FillWalAndKill() {
    ServerProcess server(config_path_, data_dir_, log_path_);
    EXPECT_NE(server.port(), 0);
    HttpClient client(server.port());
    for (int b = 0; b < 10; ++b) {
      HttpReply reply = client.Post("/v1/batch", Batch(Numbered("b", b), "acme", 5), kAuth);
      EXPECT_EQ(reply.status, 200) << reply.body;
    }
    server.Kill();
    std::filesystem::path wal = NewestWal(data_dir_);
    EXPECT_FALSE(wal.empty()) << "no .log file in " << data_dir_;
    EXPECT_GT(std::filesystem::file_size(wal), 100u);
    return wal;
  }

  // Restarts on the damaged folder: the server starts, logs the dropped
  // tail, is ready, takes writes, and kept every batch but the damaged last.
  void ExpectRecovery() {
    const size_t log_start = ReadLog().size();
    ServerProcess server(config_path_, data_dir_, log_path_);
    ASSERT_NE(server.port(), 0) << ReadLog();
    const std::string log = server.Log().substr(log_start);
    EXPECT_NE(log.find("[rocksdb]"), std::string::npos) << "the dropped tail is not logged:\n"
                                                        << log;

    HttpClient client(server.port());
    EXPECT_EQ(client.Get("/readyz").status, 200);
    EXPECT_EQ(EventCount(server.port(), "acme"), 45);
    HttpReply reply = client.Post("/v1/batch", Batch("after", "acme", 5), kAuth);
    EXPECT_EQ(reply.status, 200) << reply.body;
    // The damaged batch was not recovered, so its resend is stored anew.
    reply = client.Post("/v1/batch", Batch("b9", "acme", 5), kAuth);
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(Duplicates(reply.body), 0) << reply.body;
    EXPECT_EQ(EventCount(server.port(), "acme"), 55);
  }

  std::string ReadLog() const {
    std::ifstream in(log_path_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  TempDir dir_;
  std::string config_path_;
  std::string data_dir_;
  std::string log_path_;
};

TEST_F(WalTailTest, TruncatedTailIsDroppedAndLogged) {
  const std::filesystem::path wal = FillWalAndKill();
  ASSERT_FALSE(wal.empty());
  std::filesystem::resize_file(wal, std::filesystem::file_size(wal) - 7);

  ExpectRecovery();
}

TEST_F(WalTailTest, CorruptTailIsDroppedAndLogged) {
  const std::filesystem::path wal = FillWalAndKill();
  ASSERT_FALSE(wal.empty());
  {
    std::fstream file(wal, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(std::filesystem::file_size(wal) - 16));
    file.write("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16);
  }

  ExpectRecovery();
}

// The data folder lives on a small tmpfs that the test fills past the
// server's free-space reserve.
class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_dir_ = dir_.path() + "/small";
    std::filesystem::create_directory(mount_dir_);
    if (mount("tmpfs", mount_dir_.c_str(), "tmpfs", 0, "size=48m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs on " << mount_dir_ << " (" << std::strerror(errno)
                   << "); this test needs root with CAP_SYS_ADMIN to make a small disk to fill";
    }
    mounted_ = true;
    config_path_ = dir_.path() + "/uptake.yaml";
    log_path_ = dir_.path() + "/uptake.log";
    WriteFile(config_path_, std::string(kConfig) + "storage: {min_free_disk_mb: 16}\n");
  }

  void TearDown() override {
    server_.reset();
    if (mounted_) umount2(mount_dir_.c_str(), MNT_DETACH);
  }

  void Start() {
    server_ = std::make_unique<ServerProcess>(config_path_, mount_dir_ + "/data", log_path_);
    ASSERT_NE(server_->port(), 0);
  }

  // Writes a file that leaves `keep_free` bytes free on the tmpfs. Returns
  // false when it could not.
  bool FillDisk(uint64_t keep_free) {
    std::error_code error;
    const std::filesystem::space_info space = std::filesystem::space(mount_dir_, error);
    if (error || space.available <= keep_free) return false;
    uint64_t remaining = space.available - keep_free;
    const int fd = open((mount_dir_ + "/filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return false;
    const std::string chunk(64 * 1024, 'f');
    while (remaining > 0) {
      const ssize_t written = write(fd, chunk.data(), std::min<uint64_t>(remaining, chunk.size()));
      if (written <= 0) break;
      remaining -= static_cast<uint64_t>(written);
    }
    close(fd);
    return remaining == 0;
  }

  // Polls the server log until it contains `text`, for up to 20 s.
  bool WaitForLog(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (server_->Log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // Polls /readyz until it answers `status`, for up to 60 s.
  HttpReply WaitForReadiness(int status) {
    HttpReply reply;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      reply = HttpClient(server_->port()).Get("/readyz");
      if (reply.status == status) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return reply;
  }

  TempDir dir_;
  std::string mount_dir_;
  bool mounted_ = false;
  std::string config_path_;
  std::string log_path_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(DiskFullTest, LowDiskAnswers503UntilSpaceReturns) {
  ASSERT_NO_FATAL_FAILURE(Start());
  HttpClient client(server_->port());
  ASSERT_EQ(client.Get("/readyz").status, 200);
  ASSERT_EQ(client.Post("/v1/batch", Batch("before", "acme", 5), kAuth).status, 200);

  ASSERT_TRUE(FillDisk(8 << 20));

  // Below the 16 MiB reserve: the batch is refused whole before RocksDB.
  const std::string refused = Batch("refused", "acme", 4, 1000);
  HttpReply reply = client.Post("/v1/batch", refused, kAuth);
  EXPECT_EQ(reply.status, 503) << reply.body;
  EXPECT_FALSE(reply.Header("Retry-After").empty());
  EXPECT_NE(reply.body.find("storage_unavailable"), std::string::npos) << reply.body;

  // Not ready, yet alive, and the refused batch left no trace.
  HttpReply ready = client.Get("/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_NE(ready.body.find("disk space low"), std::string::npos) << ready.body;
  EXPECT_FALSE(ready.Header("Retry-After").empty());
  EXPECT_EQ(client.Get("/healthz").status, 200);
  EXPECT_EQ(EventCount(server_->port(), "acme"), 5);

  std::filesystem::remove(mount_dir_ + "/filler");
  ready = WaitForReadiness(200);
  ASSERT_EQ(ready.status, 200) << ready.body << "\n" << server_->Log();

  reply = HttpClient(server_->port()).Post("/v1/batch", refused, kAuth);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(Duplicates(reply.body), 0) << "the refused batch was stored: " << reply.body;
  EXPECT_EQ(EventCount(server_->port(), "acme"), 9);

  // A restart rebuilds exactly what was acknowledged.
  server_->Kill();
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_EQ(EventCount(server_->port(), "acme"), 9);
}

size_t CountOccurrences(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

TEST_F(DiskFullTest, LowDiskAtStartupLogsNotReady) {
  ASSERT_TRUE(FillDisk(8 << 20));
  ASSERT_NO_FATAL_FAILURE(Start());

  ASSERT_TRUE(WaitForLog("[storage] not ready: disk space low")) << server_->Log();
  EXPECT_NE(server_->Log().find("storage.min_free_disk_mb (16 MiB"), std::string::npos)
      << server_->Log();
  EXPECT_EQ(HttpClient(server_->port()).Get("/readyz").status, 503);

  // The recovery timer runs every second. A server that logged "ready" on a
  // run while the disk was still low would show it here, so let it run once.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(server_->Log().find("writes succeed again"), std::string::npos) << server_->Log();

  std::filesystem::remove(mount_dir_ + "/filler");
  HttpReply ready = WaitForReadiness(200);
  ASSERT_EQ(ready.status, 200) << ready.body;
  ASSERT_TRUE(WaitForLog("[storage] writes succeed again; ready")) << server_->Log();
  EXPECT_EQ(CountOccurrences(server_->Log(), "writes succeed again"), 1u) << server_->Log();
}

}  // namespace
}  // namespace uptake::testing
