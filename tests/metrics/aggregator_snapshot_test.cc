// Snapshots begun at one point while events, ticks and rule reloads keep
// changing the aggregator: each must load back to the state at its begin.

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics/aggregator.h"
#include "metrics/snapshot_codec.h"
#include "tests/metrics/expect_same_view.h"
#include "tests/metrics/test_events.h"

namespace uptake::testing {
namespace {

// Enough accounts that every one of the aggregator's 64 shards gets some.
constexpr int kAccounts = 400;

std::string AccountId(int n) { return Numbered("acct-", n); }

std::vector<Rule> FirstRules() { return {InactivityRule(30), LoginDropRule(50, 3)}; }

// Rules that name an event no account has sent, so a reload grows every
// shard's name table.
std::vector<Rule> SecondRules() {
  return {InactivityRule(30), EventCountRule(14, {"Brand New Event"}, 2)};
}

Aggregator MakeAggregator() { return Aggregator(TestCatalog(), FirstRules()); }

// Three events per account in `round`, with a user and a name per round,
// so later rounds add users, names and days.
std::vector<Event> Round(int round, int accounts) {
  static const std::vector<std::string> kNames = {"Report Created", "Dashboard Viewed", "Logged In",
                                                  "Custom Thing"};
  std::vector<Event> events;
  for (int a = 0; a < accounts; ++a) {
    for (int i = 0; i < 3; ++i) {
      const int64_t ms = kT0 + round * kDay + i * kHour + a;
      events.push_back(Track(AccountId(a), kNames[(round + a + i) % kNames.size()], ms,
                             Numbered("user-", round)));
    }
  }
  return events;
}

std::string Encode(const Aggregator& aggregator, uint64_t position) {
  std::string bytes;
  aggregator.WriteSnapshot(position, [&bytes](std::string_view chunk) { bytes.append(chunk); });
  return bytes;
}

bool Decode(Aggregator& aggregator, std::string_view bytes, SnapshotInfo* info,
            std::string* error) {
  const SnapshotSource source = [&bytes] {
    const std::string_view chunk = bytes;
    bytes = {};
    return chunk;
  };
  return aggregator.LoadSnapshot(source, info, error);
}

// Compares every account either aggregator may hold.
void ExpectSameAccounts(const Aggregator& expected, const Aggregator& actual, int accounts,
                        int64_t now_ms) {
  ASSERT_EQ(actual.account_count(), expected.account_count());
  for (int a = 0; a < accounts; ++a) {
    const std::string id = AccountId(a);
    const std::optional<AccountView> want = expected.View(id, now_ms);
    const std::optional<AccountView> got = actual.View(id, now_ms);
    ASSERT_EQ(got.has_value(), want.has_value()) << id;
    if (want) ExpectSameView(*want, *got, id);
  }
}

// A live aggregator that later changes while a snapshot is pending, and a
// reference that keeps the state the snapshot must show.
class AggregatorSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<Event> before = Round(0, kAccounts);
    live.Apply(before, kT0 + kDay);
    reference.Apply(before, kT0 + kDay);
  }

  Aggregator live = MakeAggregator();
  Aggregator reference = MakeAggregator();
};

TEST_F(AggregatorSnapshotTest, ChangesAfterBeginStayOut) {
  const PendingSnapshot pending = live.BeginSnapshot(42);
  // New events on old and new accounts, a rule reload that interns a new
  // name in every shard, and evaluations that open and close alerts.
  live.Apply(Round(1, kAccounts + 50), kT0 + 2 * kDay);
  live.ReplaceRules(SecondRules(), kT0 + 2 * kDay);
  live.Tick(kT0 + 40 * kDay);
  live.Apply(Round(50, kAccounts), kT0 + 50 * kDay);

  std::string bytes;
  const SnapshotSummary summary =
      live.FinishSnapshot(pending, [&bytes](std::string_view chunk) { bytes.append(chunk); });
  EXPECT_EQ(summary.accounts, static_cast<size_t>(kAccounts));
  // Each account that existed was saved once, before its first change.
  EXPECT_EQ(summary.accounts_saved_early, static_cast<size_t>(kAccounts));
  // The same accounts and names, so the same size, though saved accounts
  // come first in their sections.
  EXPECT_EQ(bytes.size(), Encode(reference, 42).size());

  Aggregator loaded = MakeAggregator();
  SnapshotInfo info;
  std::string error;
  ASSERT_TRUE(Decode(loaded, bytes, &info, &error)) << error;
  EXPECT_EQ(info.log_position, 42u);
  ExpectSameAccounts(reference, loaded, kAccounts + 50, kT0 + 3 * kDay);
}

TEST_F(AggregatorSnapshotTest, NewAccountsAndNamesStayOut) {
  const PendingSnapshot pending = live.BeginSnapshot(7);
  live.Apply(std::vector<Event>{Track("newcomer", "Brand New Name", kT0 + 2 * kDay)},
             kT0 + 2 * kDay);
  live.ReplaceRules(SecondRules(), kT0 + 2 * kDay);
  std::string bytes;
  const SnapshotSummary summary =
      live.FinishSnapshot(pending, [&bytes](std::string_view chunk) { bytes.append(chunk); });

  EXPECT_EQ(summary.accounts_saved_early, 0u);
  // No account changed, so the sections keep their order and every byte.
  EXPECT_EQ(bytes, Encode(reference, 7));
  // The mark is cleared, so the next snapshot shows the new account.
  EXPECT_NE(Encode(live, 7), Encode(reference, 7));
}

// Parts of 2 accounts, and after each of the first 40 parts events on
// every account: accounts that a part already contains, that the next part
// will reach, and that later shards hold. The first chunk is the header.
TEST_F(AggregatorSnapshotTest, ChangesBetweenPartsStayOut) {
  const PendingSnapshot pending = live.BeginSnapshot(9);
  std::string bytes;
  int chunks = 0;
  const SnapshotSink sink = [&](std::string_view chunk) {
    bytes.append(chunk);
    ++chunks;
    if (chunks >= 2 && chunks <= 41) {
      live.Apply(Round(chunks, kAccounts + 10), kT0 + (chunks + 1) * kDay);
    }
  };
  const SnapshotSummary summary = live.FinishSnapshot(pending, sink, 2);
  EXPECT_EQ(summary.accounts, static_cast<size_t>(kAccounts));
  EXPECT_GT(summary.accounts_saved_early, 0u);
  EXPECT_LT(summary.accounts_saved_early, static_cast<size_t>(kAccounts));
  EXPECT_EQ(bytes.size(), Encode(reference, 9).size());

  Aggregator loaded = MakeAggregator();
  SnapshotInfo info;
  std::string error;
  ASSERT_TRUE(Decode(loaded, bytes, &info, &error)) << error;
  ExpectSameAccounts(reference, loaded, kAccounts + 10, kT0 + 3 * kDay);
}

TEST_F(AggregatorSnapshotTest, UnfinishedSnapshotIsDroppedByTheNext) {
  // Begun and never finished, as when encoding throws.
  static_cast<void>(live.BeginSnapshot(1));
  live.Apply(Round(1, kAccounts), kT0 + 2 * kDay);
  reference.Apply(Round(1, kAccounts), kT0 + 2 * kDay);
  EXPECT_EQ(Encode(live, 2), Encode(reference, 2));
}

// The server's arrangement in miniature: writers append to a log and apply
// under a shared gate, the snapshot reads the log size under the exclusive
// gate, and ticks and rule reloads run without the gate. Each snapshot
// waits, after its header and before any section, until every writer has
// applied another batch, so changes always meet shards still owed.
class ConcurrentSnapshotTest : public ::testing::Test {
 protected:
  static constexpr int kWriters = 2;
  static constexpr int kSnapshots = 4;
  // Writers pause once the log reaches this many events past the position
  // of the last snapshot begun, so every snapshot has new events to cover
  // and the test stays bounded.
  static constexpr size_t kEventsBetweenSnapshots = 3000;

  void Write(int writer) {
    for (int batch = 0; AwaitRoom(); ++batch) {
      std::vector<Event> events;
      for (int i = 0; i < 8; ++i) {
        const int account = (writer * 7919 + batch * 8 + i) % kAccounts;
        const int64_t ms = kT0 + (batch % 20) * kDay + i;
        events.push_back(Track(AccountId(account), (i % 2 == 0) ? "Logged In" : "Export Run", ms,
                               Numbered("user-", batch % 5)));
      }
      {
        std::shared_lock gate(gate_);
        {
          std::lock_guard lock(log_mu_);
          log_.insert(log_.end(), events.begin(), events.end());
        }
        live_.Apply(events, kT0 + (batch % 20) * kDay);
      }
      {
        std::lock_guard lock(log_mu_);
        ++applied_batches_;
      }
      changed_.notify_all();
    }
  }

  // Waits until the log may grow. Returns false once the test is done.
  bool AwaitRoom() {
    std::unique_lock lock(log_mu_);
    changed_.wait(lock,
                  [&] { return done_ || log_.size() < (begun_ + 1) * kEventsBetweenSnapshots; });
    return !done_;
  }

  void TickAndReload() {
    for (int round = 0; !Done(); ++round) {
      const int64_t now_ms = kT0 + (round % 60) * kDay;
      live_.Tick(now_ms);
      if (round % 50 == 49) {
        live_.ReplaceRules((round / 50) % 2 == 0 ? SecondRules() : FirstRules(), now_ms);
      }
      std::this_thread::yield();  // the writers and the snapshot share two cores
    }
  }

  bool Done() {
    std::lock_guard lock(log_mu_);
    return done_;
  }

  struct TakenSnapshot {
    uint64_t position;
    std::string bytes;
    SnapshotSummary summary;
  };

  TakenSnapshot TakeSnapshot() {
    std::unique_lock lock(log_mu_);
    changed_.wait(lock, [&] { return log_.size() >= (begun_ + 1) * kEventsBetweenSnapshots; });
    lock.unlock();

    PendingSnapshot pending;
    uint64_t applied_at_begin = 0;
    {
      std::unique_lock gate(gate_);
      lock.lock();
      pending = live_.BeginSnapshot(log_.size());
      ++begun_;
      applied_at_begin = applied_batches_;
      lock.unlock();
    }
    changed_.notify_all();

    TakenSnapshot taken{pending.log_position, {}, {}};
    const SnapshotSink sink = [&](std::string_view chunk) {
      const bool header = taken.bytes.empty();
      taken.bytes.append(chunk);
      if (!header) return;
      lock.lock();
      changed_.wait(lock, [&] { return applied_batches_ >= applied_at_begin + kWriters; });
      lock.unlock();
    };
    // Parts of 3 accounts, so writers also meet shards between parts.
    taken.summary = live_.FinishSnapshot(pending, sink, 3);
    return taken;
  }

  Aggregator live_ = MakeAggregator();
  std::shared_mutex gate_;
  // Guards the members below it.
  std::mutex log_mu_;
  std::condition_variable changed_;
  std::vector<Event> log_;
  size_t begun_ = 0;  // snapshots begun
  uint64_t applied_batches_ = 0;
  bool done_ = false;
};

TEST_F(ConcurrentSnapshotTest, EachSnapshotMatchesItsLogPrefix) {
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) threads.emplace_back([this, w] { Write(w); });
  threads.emplace_back([this] { TickAndReload(); });

  std::vector<TakenSnapshot> snapshots;
  for (int s = 0; s < kSnapshots; ++s) snapshots.push_back(TakeSnapshot());
  {
    std::lock_guard lock(log_mu_);
    done_ = true;
  }
  changed_.notify_all();
  for (std::thread& thread : threads) thread.join();

  for (const TakenSnapshot& taken : snapshots) {
    SCOPED_TRACE("snapshot at log position " + std::to_string(taken.position));
    // Writers applied batches while every shard was still owed.
    EXPECT_GT(taken.summary.accounts_saved_early, 0u);

    Aggregator replayed = MakeAggregator();
    for (size_t i = 0; i < taken.position; ++i) replayed.Replay(log_[i]);
    Aggregator loaded = MakeAggregator();
    SnapshotInfo info;
    std::string error;
    ASSERT_TRUE(Decode(loaded, taken.bytes, &info, &error)) << error;
    EXPECT_EQ(info.log_position, taken.position);
    ExpectSameAccounts(replayed, loaded, kAccounts, kT0 + 30 * kDay);
  }
}

}  // namespace
}  // namespace uptake::testing
