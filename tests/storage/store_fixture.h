// A Store opened on a fresh temporary folder for each test.

#ifndef UPTAKE_TESTS_STORAGE_STORE_FIXTURE_H_
#define UPTAKE_TESTS_STORAGE_STORE_FIXTURE_H_

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proto/event.h"
#include "storage/store.h"

namespace uptake {

class StoreTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/uptake-storage-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    Reopen();
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Closes the store, then opens the same folder again.
  void Reopen(const StoreOptions& options = StoreOptions()) {
    store_.reset();
    const StorageStatus status = Store::Open(dir_, options, &store_);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  static Event TrackEvent(const std::string& message_id, int64_t timestamp_ms = 1000) {
    Event event;
    event.type = EventType::kTrack;
    event.message_id = message_id;
    event.user_id = "user-1";
    event.name = "Report Exported";
    event.timestamp_ms = timestamp_ms;
    event.received_ms = timestamp_ms + 5;
    event.properties = "{}";
    return event;
  }

  static Event GroupEvent(const std::string& message_id, const std::string& user_id,
                          const std::string& group_id, const std::string& traits,
                          int64_t timestamp_ms) {
    Event event = TrackEvent(message_id, timestamp_ms);
    event.type = EventType::kGroup;
    event.user_id = user_id;
    event.group_id = group_id;
    event.name = "group";
    event.properties = traits;
    return event;
  }

  std::vector<CommitOutcome> Commit(const std::string& write_key,
                                    const std::vector<Event>& events) {
    std::vector<CommitOutcome> outcomes;
    const StorageStatus status = store_->Commit(write_key, events, &outcomes);
    EXPECT_TRUE(status.ok()) << status.message();
    return outcomes;
  }

  std::vector<Event> AllEvents() {
    std::vector<Event> events;
    const StorageStatus status =
        store_->ForEachEvent([&](const Event& event) { events.push_back(event); });
    EXPECT_TRUE(status.ok()) << status.message();
    return events;
  }

  std::vector<std::string> AllMessageIds() {
    std::vector<std::string> ids;
    for (const Event& event : AllEvents()) ids.push_back(event.message_id);
    return ids;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace uptake

#endif  // UPTAKE_TESTS_STORAGE_STORE_FIXTURE_H_
