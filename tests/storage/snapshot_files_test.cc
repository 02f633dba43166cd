// Snapshot files: atomic writes, the newest two kept, and checksums that
// catch damage; plus the event-log positions a snapshot relies on.

#include "storage/snapshot_files.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/storage/store_fixture.h"

namespace uptake {
namespace {

namespace fs = std::filesystem;

class SnapshotFilesTest : public StoreTest {
 protected:
  std::string SnapshotDir() const { return dir_ + "/snapshots"; }

  static std::string ReadRaw(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  static void WriteRaw(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
};

TEST_F(SnapshotFilesTest, WriteThenReadReturnsPayload) {
  SnapshotFiles files(SnapshotDir());
  const std::vector<std::string> chunks = {"first chunk|", std::string(3000, 'x'), "|last"};
  ASSERT_TRUE(files.Write(42, chunks).ok());

  std::vector<SnapshotFile> listed;
  ASSERT_TRUE(files.List(&listed).ok());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].log_position, 42u);

  std::string payload;
  const StorageStatus read = SnapshotFiles::Read(listed[0].path, &payload);
  ASSERT_TRUE(read.ok()) << read.message();
  EXPECT_EQ(payload, chunks[0] + chunks[1] + chunks[2]);
}

TEST_F(SnapshotFilesTest, MissingFolderListsNothing) {
  SnapshotFiles files(SnapshotDir());
  std::vector<SnapshotFile> listed;
  ASSERT_TRUE(files.List(&listed).ok());
  EXPECT_TRUE(listed.empty());
}

TEST_F(SnapshotFilesTest, KeepsNewestTwo) {
  SnapshotFiles files(SnapshotDir());
  for (uint64_t position : {5u, 900u, 30u, 1000u}) {
    ASSERT_TRUE(files.Write(position, std::vector<std::string>{"p"}).ok());
  }
  std::vector<SnapshotFile> listed;
  ASSERT_TRUE(files.List(&listed).ok());
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].log_position, 1000u);
  EXPECT_EQ(listed[1].log_position, 900u);
}

TEST_F(SnapshotFilesTest, StaleTemporaryFileIsRemoved) {
  SnapshotFiles files(SnapshotDir());
  ASSERT_TRUE(files.Write(1, std::vector<std::string>{"p"}).ok());
  const std::string stale = SnapshotDir() + "/snapshot-00000000000000000007.snap.tmp";
  WriteRaw(stale, "half written");
  ASSERT_TRUE(files.Write(2, std::vector<std::string>{"p"}).ok());
  EXPECT_FALSE(fs::exists(stale));
}

TEST_F(SnapshotFilesTest, FlippedByteIsCorruption) {
  SnapshotFiles files(SnapshotDir());
  ASSERT_TRUE(files.Write(3, std::vector<std::string>{std::string(500, 'a')}).ok());
  std::vector<SnapshotFile> listed;
  ASSERT_TRUE(files.List(&listed).ok());
  const std::string original = ReadRaw(listed[0].path);

  for (size_t at : {size_t{0}, size_t{8}, size_t{300}, original.size() - 1}) {
    std::string damaged = original;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    WriteRaw(listed[0].path, damaged);
    std::string payload;
    const StorageStatus read = SnapshotFiles::Read(listed[0].path, &payload);
    EXPECT_EQ(read.code(), StorageStatus::Code::kCorruption) << "byte " << at;
  }
}

TEST_F(SnapshotFilesTest, TruncatedFileIsCorruption) {
  SnapshotFiles files(SnapshotDir());
  ASSERT_TRUE(files.Write(3, std::vector<std::string>{std::string(500, 'a')}).ok());
  std::vector<SnapshotFile> listed;
  ASSERT_TRUE(files.List(&listed).ok());
  const std::string original = ReadRaw(listed[0].path);

  for (size_t size : {size_t{0}, size_t{5}, size_t{19}, size_t{200}, original.size() - 1}) {
    WriteRaw(listed[0].path, original.substr(0, size));
    std::string payload;
    const StorageStatus read = SnapshotFiles::Read(listed[0].path, &payload);
    EXPECT_EQ(read.code(), StorageStatus::Code::kCorruption) << size << " bytes";
  }
}

TEST_F(SnapshotFilesTest, ReplayFromPositionSkipsEarlierEvents) {
  Commit("k", {TrackEvent("m0"), TrackEvent("m1"), TrackEvent("m2")});
  const uint64_t position = store_->NextEventSequence();
  EXPECT_EQ(position, 3u);
  Commit("k", {TrackEvent("m3"), TrackEvent("m4")});

  std::vector<std::string> tail;
  ASSERT_TRUE(store_
                  ->ForEachEventFrom(position,
                                     [&](const Event& event) { tail.push_back(event.message_id); })
                  .ok());
  EXPECT_EQ(tail, (std::vector<std::string>{"m3", "m4"}));
}

// With the newest records gone (retention), a reopened log would hand out
// sequences a snapshot already covers; advancing past them prevents that.
TEST_F(SnapshotFilesTest, AdvancedSequenceIsNotReused) {
  Reopen();
  EXPECT_EQ(store_->NextEventSequence(), 0u);
  store_->AdvanceEventSequence(100);
  store_->AdvanceEventSequence(50);  // never lowers
  EXPECT_EQ(store_->NextEventSequence(), 100u);
  Commit("k", {TrackEvent("m0")});

  std::vector<std::string> from_100;
  ASSERT_TRUE(
      store_
          ->ForEachEventFrom(100, [&](const Event& event) { from_100.push_back(event.message_id); })
          .ok());
  EXPECT_EQ(from_100, std::vector<std::string>{"m0"});
  EXPECT_TRUE(store_->SyncLog().ok());
}

}  // namespace
}  // namespace uptake
