#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/storage/store_fixture.h"

namespace uptake {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

using AlertList = std::vector<std::pair<uint64_t, std::string>>;

AlertList ListAlerts(Store* store, uint64_t after_id, size_t limit) {
  AlertList alerts;
  const StorageStatus status = store->ListAlerts(after_id, limit, &alerts);
  EXPECT_TRUE(status.ok()) << status.message();
  return alerts;
}

TEST_F(StoreTest, AlertsVisitedInIdOrder) {
  // 256 sorts before 2 as a decimal string, but not as a big-endian key.
  ASSERT_TRUE(store_->PutAlert(256, R"({"id":256})").ok());
  ASSERT_TRUE(store_->PutAlert(2, R"({"id":2})").ok());
  ASSERT_TRUE(store_->PutAlert(1, R"({"id":1})").ok());

  AlertList visited;
  const StorageStatus status = store_->ForEachAlert(
      [&](uint64_t id, std::string_view json) { visited.emplace_back(id, std::string(json)); });

  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_THAT(visited, ElementsAre(Pair(1, R"({"id":1})"), Pair(2, R"({"id":2})"),
                                   Pair(256, R"({"id":256})")));
}

TEST_F(StoreTest, AlertPutOverwrites) {
  ASSERT_TRUE(store_->PutAlert(5, R"({"state":"firing"})").ok());
  ASSERT_TRUE(store_->PutAlert(5, R"({"state":"resolved"})").ok());

  EXPECT_THAT(ListAlerts(store_.get(), 0, 10), ElementsAre(Pair(5, R"({"state":"resolved"})")));
}

TEST_F(StoreTest, ListAlertsAfterId) {
  for (uint64_t id = 1; id <= 5; ++id) {
    ASSERT_TRUE(store_->PutAlert(id, "{}").ok());
  }

  EXPECT_THAT(ListAlerts(store_.get(), 2, 10),
              ElementsAre(Pair(3, "{}"), Pair(4, "{}"), Pair(5, "{}")));
  EXPECT_THAT(ListAlerts(store_.get(), 0, 2), ElementsAre(Pair(1, "{}"), Pair(2, "{}")));
  EXPECT_THAT(ListAlerts(store_.get(), 5, 10), ElementsAre());
  EXPECT_THAT(ListAlerts(store_.get(), 0, 0), ElementsAre());
}

TEST_F(StoreTest, ListAlertsAfterMaxId) {
  constexpr uint64_t kMaxId = std::numeric_limits<uint64_t>::max();
  ASSERT_TRUE(store_->PutAlert(kMaxId, "{}").ok());

  EXPECT_THAT(ListAlerts(store_.get(), kMaxId - 1, 10), ElementsAre(Pair(kMaxId, "{}")));
  EXPECT_THAT(ListAlerts(store_.get(), kMaxId, 10), ElementsAre());
}

TEST_F(StoreTest, AlertsSurviveReopen) {
  ASSERT_TRUE(store_->PutAlert(9, R"({"id":9})").ok());

  Reopen();

  EXPECT_THAT(ListAlerts(store_.get(), 0, 10), ElementsAre(Pair(9, R"({"id":9})")));
}

}  // namespace
}  // namespace uptake
