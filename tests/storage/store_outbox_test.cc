#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/storage/store_fixture.h"

namespace uptake {
namespace {

class StoreOutboxTest : public StoreTest {
 protected:
  static OutboxEntry Entry(const std::string& webhook, uint64_t seq) {
    OutboxEntry entry;
    entry.webhook = webhook;
    entry.seq = seq;
    entry.body = "{\"seq\":" + std::to_string(seq) + "}";
    return entry;
  }

  void Record(uint64_t seq, const std::vector<OutboxEntry>& outbox) {
    const StorageStatus status =
        store_->RecordAlertChange(seq, /*alert_id=*/seq, "{\"id\":1}", "{\"seq\":1}", outbox);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  std::vector<OutboxEntry> Read(const std::string& webhook, uint64_t after_seq, size_t limit) {
    std::vector<OutboxEntry> entries;
    const StorageStatus status = store_->ReadOutbox(webhook, after_seq, limit, &entries);
    EXPECT_TRUE(status.ok()) << status.message();
    return entries;
  }

  static std::vector<uint64_t> Seqs(const std::vector<OutboxEntry>& entries) {
    std::vector<uint64_t> seqs;
    for (const OutboxEntry& entry : entries) seqs.push_back(entry.seq);
    return seqs;
  }
};

TEST_F(StoreOutboxTest, WrittenWithChange) {
  Record(1, {Entry("a", 1), Entry("b", 1)});
  Record(2, {Entry("a", 2)});

  std::vector<OutboxEntry> a = Read("a", 0, 10);
  ASSERT_EQ(Seqs(a), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(a[0].webhook, "a");
  EXPECT_EQ(a[0].body, "{\"seq\":1}");
  EXPECT_EQ(a[0].attempts, 0u);
  EXPECT_EQ(Seqs(Read("b", 0, 10)), (std::vector<uint64_t>{1}));

  std::vector<std::pair<uint64_t, std::string>> changes;
  ASSERT_TRUE(store_->ReadAlertChanges(0, 10, &changes).ok());
  EXPECT_EQ(changes.size(), 2u);
}

TEST_F(StoreOutboxTest, PagesInSeqOrder) {
  for (uint64_t seq = 1; seq <= 300; ++seq) Record(seq, {Entry("hook", seq)});

  EXPECT_EQ(Seqs(Read("hook", 0, 3)), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(Seqs(Read("hook", 255, 3)), (std::vector<uint64_t>{256, 257, 258}));
  EXPECT_EQ(Seqs(Read("hook", 298, 10)), (std::vector<uint64_t>{299, 300}));
  EXPECT_TRUE(Read("hook", 300, 10).empty());
}

TEST_F(StoreOutboxTest, NamePrefixIsolated) {
  Record(1, {Entry("a", 1), Entry("ab", 1)});
  Record(2, {Entry("ab", 2)});

  EXPECT_EQ(Seqs(Read("a", 0, 10)), (std::vector<uint64_t>{1}));
  EXPECT_EQ(Seqs(Read("ab", 0, 10)), (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(Read("", 0, 10).empty());
}

TEST_F(StoreOutboxTest, UpdateAndDeleteSurviveReopen) {
  Record(1, {Entry("hook", 1)});
  Record(2, {Entry("hook", 2)});

  OutboxEntry retried = Read("hook", 0, 1).at(0);
  retried.attempts = 3;
  retried.next_attempt_ms = 1700000000123;
  ASSERT_TRUE(store_->UpdateOutboxEntry(retried).ok());
  ASSERT_TRUE(store_->DeleteOutboxEntry("hook", 2).ok());
  ASSERT_TRUE(store_->DeleteOutboxEntry("hook", 99).ok());
  Reopen();

  std::vector<OutboxEntry> entries = Read("hook", 0, 10);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].seq, 1u);
  EXPECT_EQ(entries[0].attempts, 3u);
  EXPECT_EQ(entries[0].next_attempt_ms, 1700000000123);
  EXPECT_EQ(entries[0].body, "{\"seq\":1}");
}

}  // namespace
}  // namespace uptake
