// Dedup marks held in memory, spilled to the dedup family and read back
// from the event log at open (storage/store_dedup.cc).

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "storage/dedup_index.h"
#include "storage/event_codec.h"
#include "storage/keys.h"
#include "tests/storage/store_fixture.h"

namespace uptake {
namespace {

TEST(FingerprintSetTest, FindsWhatWasInsertedAcrossGrowth) {
  FingerprintSet set;
  for (uint64_t i = 1; i <= 10'000; ++i) set.Insert(Fingerprint(7, std::to_string(i)), 10);
  EXPECT_EQ(set.size(), 10'000u);
  set.Insert(Fingerprint(7, "1"), 20);
  EXPECT_EQ(set.size(), 10'000u);
  EXPECT_EQ(set.newest_received_ms(), 20);
  for (uint64_t i = 1; i <= 10'000; ++i) {
    ASSERT_TRUE(set.Contains(Fingerprint(7, std::to_string(i)))) << i;
  }
  EXPECT_FALSE(set.Contains(Fingerprint(7, "10001")));

  const std::vector<DedupFingerprint> sorted = set.Sorted();
  EXPECT_EQ(sorted.size(), 10'000u);
  EXPECT_TRUE(std::is_sorted(sorted.begin(), sorted.end()));
}

TEST(FingerprintSetTest, SortsALargeSetThroughBuckets) {
  // Above the size where Sorted() splits fingerprints into buckets.
  constexpr uint64_t kCount = 200'000;
  FingerprintSet set(kCount);
  std::vector<DedupFingerprint> expected;
  for (uint64_t i = 1; i <= kCount; ++i) {
    const DedupFingerprint fingerprint = Fingerprint(11, std::to_string(i));
    set.Insert(fingerprint, 10);
    expected.push_back(fingerprint);
  }
  // Fingerprints that share their top bits land in one bucket.
  for (uint64_t low = 1; low <= 5; ++low) {
    set.Insert(DedupFingerprint{0xabcd000000000000, 6 - low}, 10);
    expected.push_back(DedupFingerprint{0xabcd000000000000, 6 - low});
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(set.Sorted(), expected);
}

TEST(FingerprintTest, DependsOnTheSeedOfTheWriteKey) {
  const uint64_t seed = 12345;
  EXPECT_EQ(Fingerprint(DedupKeySeed(seed, "a"), "m"), Fingerprint(DedupKeySeed(seed, "a"), "m"));
  EXPECT_NE(Fingerprint(DedupKeySeed(seed, "a"), "m"), Fingerprint(DedupKeySeed(seed, "b"), "m"));
  EXPECT_NE(Fingerprint(DedupKeySeed(seed, "a"), "m"), Fingerprint(DedupKeySeed(99, "a"), "m"));
  EXPECT_NE(Fingerprint(DedupKeySeed(seed, "a"), "m"), DedupFingerprint{});

  const std::string key = FingerprintKey(DedupFingerprint{0x0102030405060708, 0x90a0b0c0d0e0f0ff});
  ASSERT_EQ(key.size(), 16u);
  EXPECT_EQ(DecodeBigEndian64(key.data()), 0x0102030405060708u);
  EXPECT_EQ(DecodeBigEndian64(key.data() + 8), 0x90a0b0c0d0e0f0ffu);
}

class DedupSpillTest : public StoreTest {
 protected:
  // Few marks per set, so that a handful of commits seals and spills.
  static constexpr size_t kMarksInMemory = 8;

  void SetUp() override {
    StoreTest::SetUp();
    Reopen(kMarksInMemory);
  }

  void Reopen(size_t marks_in_memory) {
    store_.reset();
    StoreOptions options;
    options.dedup_memory_marks = marks_in_memory;
    const StorageStatus status = Store::Open(dir_, options, &store_);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  uint64_t DedupFileBytes() {
    StoreStats stats;
    store_->GetStats(&stats);
    for (const ColumnFamilyStats& family : stats.families) {
      if (family.name == "dedup") return family.sst_files_bytes;
    }
    return 0;
  }

  // Marks received long ago expire at compaction; these are fresh.
  const int64_t now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();

  // Commits ids "m-0" to "m-(count-1)" in calls of five and returns how
  // many were stored.
  size_t CommitIds(int count) {
    size_t stored = 0;
    for (int first = 0; first < count; first += 5) {
      std::vector<Event> events;
      for (int i = first; i < std::min(count, first + 5); ++i) {
        events.push_back(TrackEvent("m-" + std::to_string(i), now_ms_));
      }
      for (const CommitOutcome outcome : Commit("key", events)) {
        stored += outcome == CommitOutcome::kStored ? 1 : 0;
      }
    }
    return stored;
  }
};

TEST_F(DedupSpillTest, MarksSpilledInTheBackgroundStillDeduplicate) {
  EXPECT_EQ(CommitIds(200), 200u);

  // Sets fill after every couple of commits; wait until one reached a file.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (DedupFileBytes() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(DedupFileBytes(), 0u);

  EXPECT_EQ(CommitIds(200), 0u);
  EXPECT_EQ(Commit("key", {TrackEvent("m-200")}),
            std::vector<CommitOutcome>{CommitOutcome::kStored});
  EXPECT_EQ(AllEvents().size(), 201u);
}

TEST_F(DedupSpillTest, ReopenKeepsSpilledAndUnspilledMarks) {
  EXPECT_EQ(CommitIds(203), 203u);
  Reopen(kMarksInMemory);
  EXPECT_EQ(CommitIds(203), 0u);

  // With room for every mark in memory nothing spills; the next open reads
  // the marks back from the log.
  Reopen(1'000'000);
  EXPECT_EQ(CommitIds(210), 7u);
  Reopen(1'000'000);
  EXPECT_EQ(CommitIds(210), 0u);
  EXPECT_EQ(AllEvents().size(), 210u);
}

TEST_F(DedupSpillTest, CompactSpillsEveryMark) {
  Reopen(1'000'000);
  EXPECT_EQ(CommitIds(20), 20u);
  EXPECT_EQ(DedupFileBytes(), 0u);
  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_GT(DedupFileBytes(), 0u);
  EXPECT_EQ(CommitIds(20), 0u);
}

TEST_F(DedupSpillTest, MixedLargeCommitFindsSpilledIds) {
  Reopen(1'000'000);
  EXPECT_EQ(CommitIds(300), 300u);
  ASSERT_TRUE(store_->Compact().ok());
  ASSERT_GT(DedupFileBytes(), 0u);

  // Ids 0 to 599 in a scrambled order, with id 450 sent twice: the first
  // 300 are duplicates of spilled marks, the rest new.
  std::vector<Event> events;
  for (int k = 0; k < 600; ++k) {
    events.push_back(TrackEvent("m-" + std::to_string((k * 7) % 600), now_ms_));
  }
  events.push_back(TrackEvent("m-450", now_ms_));
  const std::vector<CommitOutcome> outcomes = Commit("key", events);
  ASSERT_EQ(outcomes.size(), events.size());
  for (size_t k = 0; k < events.size(); ++k) {
    const int id = std::stoi(events[k].message_id.substr(2));
    const bool first_new = id >= 300 && k < 600;
    EXPECT_EQ(outcomes[k], first_new ? CommitOutcome::kStored : CommitOutcome::kDuplicate) << k;
  }
  EXPECT_EQ(AllEvents().size(), 600u);
}

TEST_F(DedupSpillTest, ConcurrentCommitsStoreEachIdOnceWhileSpilling) {
  constexpr int kIds = 600;
  constexpr int kThreads = 4;
  std::vector<size_t> stored(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread sends every id, in calls of ten, starting at another
      // place, so that the threads race on the same ids.
      for (int call = 0; call < kIds / 10; ++call) {
        std::vector<Event> events;
        for (int i = 0; i < 10; ++i) {
          const int id = (call * 10 + i + t * kIds / kThreads) % kIds;
          events.push_back(TrackEvent("c-" + std::to_string(id)));
        }
        std::vector<CommitOutcome> outcomes;
        ASSERT_TRUE(store_->Commit("key", events, &outcomes).ok());
        stored[t] += std::count(outcomes.begin(), outcomes.end(), CommitOutcome::kStored);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  size_t total = 0;
  for (const size_t count : stored) total += count;
  EXPECT_EQ(total, static_cast<size_t>(kIds));
  std::vector<std::string> ids = AllMessageIds();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
  EXPECT_EQ(ids.size(), static_cast<size_t>(kIds));
}

// A database written by an uptake from before commit records and
// fingerprint marks: single-event records and marks keyed by the message id.
TEST_F(StoreTest, OlderLayoutStillReadsAndDeduplicates) {
  store_.reset();
  std::filesystem::remove_all(dir_);
  {
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : {"default", "events", "dedup", "accounts", "users", "alerts",
                             "alert_changes", "outbox", "silences"}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_, families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);

    Event event = TrackEvent("old-1");
    event.received_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::string mark;
    PutBigEndian64(&mark, 0);
    PutBigEndian64(&mark, static_cast<uint64_t>(event.received_ms));
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), handles[1], SequenceKey(0), EncodeEvent("key", event))
            .ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[2], DedupKey("key", "old-1"), mark).ok());
    for (rocksdb::ColumnFamilyHandle* handle : handles) {
      ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
    }
  }

  // The second open finds the seed and must still check the older marks.
  for (int open = 0; open < 2; ++open) {
    Reopen();
    EXPECT_EQ(Commit("key", {TrackEvent("old-1")}),
              std::vector<CommitOutcome>{CommitOutcome::kDuplicate})
        << open;
    EXPECT_EQ(Commit("key", {TrackEvent("new-" + std::to_string(open))}),
              std::vector<CommitOutcome>{CommitOutcome::kStored})
        << open;
    EXPECT_EQ(store_->NextEventSequence(), static_cast<uint64_t>(2 + open));
    const std::vector<std::string> ids = AllMessageIds();
    ASSERT_EQ(ids.size(), static_cast<size_t>(2 + open));
    EXPECT_EQ(ids.front(), "old-1");
  }
}

}  // namespace
}  // namespace uptake
