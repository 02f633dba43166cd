#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "storage/store.h"

namespace uptake {
namespace {

class StoreOpenTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/uptake-storage-open-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
};

TEST_F(StoreOpenTest, UncreatablePathIsInvalid) {
  // A regular file where a parent folder should be fails even for root.
  const std::string file = dir_ + "/not-a-folder";
  std::ofstream(file) << "x";
  std::unique_ptr<Store> store;

  const StorageStatus status = Store::Open(file + "/db", StoreOptions(), &store);

  EXPECT_EQ(status.code(), StorageStatus::Code::kInvalid) << status.message();
  EXPECT_EQ(store, nullptr);
}

TEST_F(StoreOpenTest, EmptyPathIsInvalid) {
  std::unique_ptr<Store> store;

  const StorageStatus status = Store::Open("", StoreOptions(), &store);

  EXPECT_EQ(status.code(), StorageStatus::Code::kInvalid) << status.message();
}

TEST_F(StoreOpenTest, CreatesMissingParents) {
  std::unique_ptr<Store> store;

  const StorageStatus status = Store::Open(dir_ + "/a/b/db", StoreOptions(), &store);

  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/a/b/db"));
}

TEST_F(StoreOpenTest, MissingDatabaseWithoutCreateIsInvalid) {
  StoreOptions options;
  options.create_if_missing = false;
  std::unique_ptr<Store> store;

  const StorageStatus status = Store::Open(dir_, options, &store);

  EXPECT_EQ(status.code(), StorageStatus::Code::kInvalid) << status.message();
}

TEST_F(StoreOpenTest, SecondOpenOfSameFolderIsUnavailable) {
  std::unique_ptr<Store> first;
  ASSERT_TRUE(Store::Open(dir_, StoreOptions(), &first).ok());
  std::unique_ptr<Store> second;

  const StorageStatus status = Store::Open(dir_, StoreOptions(), &second);

  EXPECT_EQ(status.code(), StorageStatus::Code::kUnavailable) << status.message();
}

}  // namespace
}  // namespace uptake
