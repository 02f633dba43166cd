#include "bench/event_file.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace uptake {
namespace {

namespace fs = std::filesystem;

class EventFileTest : public testing::Test {
 protected:
  void SetUp() override {
    const testing::TestInfo* test = testing::UnitTest::GetInstance()->current_test_info();
    folder_ = fs::temp_directory_path() /
              ("uptake_event_file_" + std::string(test->name()) + "_" + std::to_string(getpid()));
    fs::create_directories(folder_);
  }

  void TearDown() override { fs::remove_all(folder_); }

  // Writes `bytes` to the file `name` in the test's folder and returns its path.
  std::string WriteFile(const std::string& name, const std::string& bytes) {
    const std::string path = (folder_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  // Returns `text` gzip-compressed.
  std::string Gzip(const std::string& text) {
    const std::string path = (folder_ / "scratch.gz").string();
    gzFile file = gzopen(path.c_str(), "wb");
    EXPECT_NE(file, nullptr);
    EXPECT_EQ(gzwrite(file, text.data(), static_cast<unsigned>(text.size())),
              static_cast<int>(text.size()));
    EXPECT_EQ(gzclose(file), Z_OK);
    std::ifstream input(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(input), {});
  }

  fs::path folder_;
};

constexpr char kEvents[] =
    "{\"type\":\"PushEvent\",\"created_at\":\"2024-01-01T00:00:00Z\"}\n"
    "{\"type\":\"PushEvent\",\"created_at\":\"2024-01-01T00:00:01Z\"}\n";

TEST_F(EventFileTest, WholeGzipReadsLines) {
  Result<EventFile> file = EventFile::Read(WriteFile("whole.gz", Gzip(kEvents)));
  ASSERT_TRUE(file.ok()) << file.error();
  int lines = 0;
  while (file.value().NextLine()) ++lines;
  EXPECT_EQ(lines, 2);
}

TEST_F(EventFileTest, TruncatedGzipFails) {
  const std::string whole = Gzip(kEvents);
  const std::string path = WriteFile("cut.gz", whole.substr(0, whole.size() - 12));
  Result<EventFile> file = EventFile::Read(path);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().rfind(path + ": ", 0), 0u) << file.error();
  EXPECT_NE(file.error().find("gzip"), std::string::npos) << file.error();
  EXPECT_EQ(file.error().find(path, 1), std::string::npos) << file.error();
}

TEST_F(EventFileTest, CorruptGzipFails) {
  const std::string path = WriteFile("bad.gz", std::string("\x1f\x8b\x08\x00garbage"));
  Result<EventFile> file = EventFile::Read(path);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().rfind(path + ": ", 0), 0u) << file.error();
}

TEST_F(EventFileTest, CorruptDeflateDataFails) {
  std::string bytes = Gzip(kEvents);
  // Past the 10-byte header, in the deflate data.
  for (size_t i = 10; i < bytes.size() - 8; ++i) bytes[i] = static_cast<char>(0xff);
  const std::string path = WriteFile("flipped.gz", bytes);
  Result<EventFile> file = EventFile::Read(path);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().rfind(path + ": ", 0), 0u) << file.error();
}

TEST_F(EventFileTest, PlainFileReads) {
  Result<EventFile> file = EventFile::Read(WriteFile("plain.ndjson", kEvents));
  ASSERT_TRUE(file.ok()) << file.error();
  int lines = 0;
  while (file.value().NextLine()) ++lines;
  EXPECT_EQ(lines, 2);
}

}  // namespace
}  // namespace uptake
