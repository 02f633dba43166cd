// Aggregate snapshots: every account field survives a round trip, and a
// damaged, foreign or mismatched snapshot is rejected without crashing.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "metrics/aggregator.h"
#include "metrics/snapshot_codec.h"
#include "tests/metrics/expect_same_view.h"
#include "tests/metrics/test_events.h"

namespace uptake::testing {
namespace {

constexpr int kAccounts = 40;

std::string Encode(const Aggregator& aggregator, uint64_t position = 77) {
  std::string bytes;
  aggregator.WriteSnapshot(position, [&bytes](std::string_view chunk) { bytes.append(chunk); });
  return bytes;
}

// Feeds `bytes` in chunks of `chunk_size`, so reads cross chunk borders.
bool Decode(Aggregator& aggregator, std::string_view bytes, SnapshotInfo* info, std::string* error,
            size_t chunk_size = 7) {
  const SnapshotSource source = [&bytes, chunk_size] {
    const std::string_view chunk = bytes.substr(0, std::min(chunk_size, bytes.size()));
    bytes.remove_prefix(chunk.size());
    return chunk;
  };
  return aggregator.LoadSnapshot(source, info, error);
}

std::string AccountId(int n) { return Numbered("acct-", n); }

// Events that set every AccountState field: several names, users, catalog
// features, logins over many days, created_at, and each trait.
std::vector<Event> RichEvents() {
  std::vector<Event> events;
  const std::vector<std::string> names = {"Report Created", "Dashboard Viewed", "Export Run",
                                          "Logged In", "Custom Thing"};
  for (int a = 0; a < kAccounts; ++a) {
    const std::string account = AccountId(a);
    for (int i = 0; i < 3 + a % 7; ++i) {
      const int64_t ms = kT0 + (a % 5) * kDay + i * 7 * kHour;
      events.push_back(Track(account, names[(a + i) % names.size()], ms, Numbered("u", i % 4)));
    }
    if (a % 3 == 0) events.push_back(Group(account, kT0 + kHour, kT0 - 30 * kDay));
    if (a % 4 == 0) {
      AccountTraits traits;
      traits.plan = "enterprise";
      traits.arr = 12000.5 + a;
      traits.owner = "csm-" + std::to_string(a % 2);
      events.push_back(TraitsGroup(account, kT0 + 2 * kHour, traits));
    }
    if (a % 4 == 1) {
      AccountTraits traits;
      traits.arr = 99.25;
      events.push_back(TraitsGroup(account, kT0 + 3 * kHour, traits));
    }
  }
  Event unattributed = Track(std::string(kUnattributedAccount), "Report Created", kT0, "lost");
  events.push_back(unattributed);
  return events;
}

Aggregator MakeAggregator() { return Aggregator(TestCatalog(), {}); }

void ExpectSameViews(const Aggregator& expected, const Aggregator& actual, int64_t now_ms) {
  ASSERT_EQ(expected.account_count(), actual.account_count());
  std::vector<std::string> ids;
  for (int a = 0; a < kAccounts; ++a) ids.push_back(AccountId(a));
  ids.emplace_back(kUnattributedAccount);
  for (const std::string& id : ids) {
    std::optional<AccountView> want = expected.View(id, now_ms);
    std::optional<AccountView> got = actual.View(id, now_ms);
    ASSERT_TRUE(want.has_value()) << id;
    ASSERT_TRUE(got.has_value()) << id;
    ExpectSameView(*want, *got, id);
  }
}

TEST(SnapshotCodecTest, RoundTripKeepsEveryView) {
  Aggregator original = MakeAggregator();
  for (const Event& event : RichEvents()) original.Replay(event);

  Aggregator loaded = MakeAggregator();
  SnapshotInfo info;
  std::string error;
  ASSERT_TRUE(Decode(loaded, Encode(original, 1234), &info, &error)) << error;
  EXPECT_EQ(info.log_position, 1234u);
  EXPECT_EQ(info.accounts, static_cast<size_t>(kAccounts + 1));
  EXPECT_EQ(info.newest_event_ms, kT0 + 4 * kDay + 8 * 7 * kHour);

  for (int64_t now : {kT0, kT0 + 3 * kDay, kT0 + 20 * kDay, kT0 + 200 * kDay}) {
    ExpectSameViews(original, loaded, now);
  }
  // Same content, so the same size, though accounts may come out in
  // another order.
  EXPECT_EQ(Encode(loaded, 1234).size(), Encode(original, 1234).size());
}

// Merge times, created_at's event time and user hashes are not in the
// view; later events only merge the same way if they survived.
TEST(SnapshotCodecTest, RoundTripKeepsMergeState) {
  Aggregator original = MakeAggregator();
  for (const Event& event : RichEvents()) original.Replay(event);
  Aggregator loaded = MakeAggregator();
  SnapshotInfo info;
  std::string error;
  ASSERT_TRUE(Decode(loaded, Encode(original), &info, &error)) << error;

  std::vector<Event> later;
  for (int a = 0; a < kAccounts; ++a) {
    const std::string account = AccountId(a);
    AccountTraits older;  // older than the stored traits: must not win
    older.plan = "free";
    older.arr = 1.0;
    older.owner = "nobody";
    later.push_back(TraitsGroup(account, kT0 + 1 * kHour, older));
    AccountTraits newer_plan;  // newer: wins for the plan only
    newer_plan.plan = "team";
    later.push_back(TraitsGroup(account, kT0 + 5 * kHour, newer_plan));
    later.push_back(Group(account, kT0, kT0 - 90 * kDay));                   // older created_at
    later.push_back(Track(account, "Custom Thing", kT0 + 10 * kDay, "u2"));  // known user
    later.push_back(Track(account, "Export Run", kT0 - 2 * kDay, "new-user"));
  }
  for (const Event& event : later) {
    original.Replay(event);
    loaded.Replay(event);
  }
  ExpectSameViews(original, loaded, kT0 + 12 * kDay);
}

// Day series over more than the kept 120 days, with late events, counts
// past one and two varint bytes, and logins.
TEST(SnapshotCodecTest, RoundTripKeepsLongDaySeries) {
  Aggregator original = MakeAggregator();
  for (int a = 0; a < kAccounts; ++a) {
    const std::string account = AccountId(a);
    for (int day = 0; day < 130; day += 1 + a % 3) {
      const int events = day % 9 == 0 ? 70 * (1 + a % 2) : 1 + day % 4;
      for (int i = 0; i < events; ++i) {
        const std::string name = i % 5 == 0 ? "Logged In" : "Report Created";
        original.Replay(Track(account, name, kT0 + day * kDay + i * 1000));
      }
    }
    original.Replay(Track(account, "Logged In", kT0 + 50 * kDay));  // late
  }
  for (int i = 0; i < 9000; ++i)
    original.Replay(Track(AccountId(0), "Export Run", kT0 + 129 * kDay));
  original.Replay(Track(std::string(kUnattributedAccount), "Report Created", kT0, "lost"));

  Aggregator loaded = MakeAggregator();
  SnapshotInfo info;
  std::string error;
  ASSERT_TRUE(Decode(loaded, Encode(original), &info, &error)) << error;
  for (int64_t now : {kT0 + 60 * kDay, kT0 + 129 * kDay, kT0 + 140 * kDay}) {
    ExpectSameViews(original, loaded, now);
  }
  EXPECT_EQ(Encode(loaded).size(), Encode(original).size());
}

// The day section of an account is (count, then per day oldest first: day
// zigzag, events varint, logins varint), the layout written before the
// in-memory series was packed, so snapshots from then still load.
TEST(SnapshotCodecTest, DaySectionLayoutIsStable) {
  Aggregator original = MakeAggregator();
  for (int i = 0; i < 70; ++i) {
    original.Replay(Track("acme", i < 3 ? "Logged In" : "Report Created", kT0 + i * 1000));
  }
  original.Replay(Track("acme", "Report Created", kT0 + 100 * kDay));

  // 2 days: 19675 (zigzag b6 b3 02) with 70 events and 3 logins, then
  // 19775 (zigzag fe b4 02) with 1 event and no login.
  const std::string days("\x02\xb6\xb3\x02\x46\x03\xfe\xb4\x02\x01\x00", 11);
  const std::string bytes = Encode(original);
  EXPECT_NE(bytes.find(days), std::string::npos);

  Aggregator loaded = MakeAggregator();
  SnapshotInfo info;
  std::string error;
  ASSERT_TRUE(Decode(loaded, bytes, &info, &error)) << error;
  const std::optional<AccountView> view = loaded.View("acme", kT0 + 100 * kDay);
  ASSERT_TRUE(view.has_value());
  ASSERT_EQ(view->days.size(), 2u);
  EXPECT_EQ(view->days[0].day, 19'675);
  EXPECT_EQ(view->days[0].events, 70);
  EXPECT_EQ(view->days[0].logins, 3);
  EXPECT_EQ(view->days[1].day, 19'775);
  EXPECT_EQ(view->days[1].events, 1);
  EXPECT_EQ(view->days[1].logins, 0);
}

TEST(SnapshotCodecTest, EmptyAggregatorRoundTrips) {
  Aggregator loaded = MakeAggregator();
  SnapshotInfo info;
  std::string error;
  ASSERT_TRUE(Decode(loaded, Encode(MakeAggregator(), 0), &info, &error)) << error;
  EXPECT_EQ(info.accounts, 0u);
  EXPECT_EQ(loaded.account_count(), 0u);
}

TEST(SnapshotCodecTest, EveryTruncationIsRejected) {
  Aggregator original = MakeAggregator();
  for (const Event& event : RichEvents()) original.Replay(event);
  const std::string bytes = Encode(original);

  for (size_t size = 0; size < bytes.size(); ++size) {
    Aggregator loaded = MakeAggregator();
    SnapshotInfo info;
    std::string error;
    EXPECT_FALSE(Decode(loaded, std::string_view(bytes).substr(0, size), &info, &error))
        << "prefix of " << size << " bytes";
    EXPECT_FALSE(error.empty());
  }
}

TEST(SnapshotCodecTest, TrailingBytesAreRejected) {
  Aggregator loaded = MakeAggregator();
  SnapshotInfo info;
  std::string error;
  EXPECT_FALSE(Decode(loaded, Encode(MakeAggregator()) + "x", &info, &error));
  EXPECT_NE(error.find("trailer"), std::string::npos) << error;
}

TEST(SnapshotCodecTest, OtherVersionIsRejected) {
  std::string bytes = Encode(MakeAggregator());
  bytes[7] = static_cast<char>(kSnapshotFormatVersion + 1);  // after the 7-byte magic
  Aggregator loaded = MakeAggregator();
  SnapshotInfo info;
  std::string error;
  EXPECT_FALSE(Decode(loaded, bytes, &info, &error));
  EXPECT_NE(error.find("format version"), std::string::npos) << error;
}

TEST(SnapshotCodecTest, OtherCatalogIsRejected) {
  Aggregator original = MakeAggregator();
  for (const Event& event : RichEvents()) original.Replay(event);
  const std::string bytes = Encode(original);

  const std::vector<Catalog> others = {
      Catalog({{"Reports", {"Report Created"}}}, {"Logged In"}),
      Catalog({{"Reports", {"Report Created"}},
               {"Dashboards", {"Dashboard Viewed"}},
               {"Exports", {"Export Run"}},
               {"Alerts", {"Alert Set"}}},
              {"Signed In"}),
      Catalog({{"Reports", {"Report Created", "Report Viewed"}},
               {"Dashboards", {"Dashboard Viewed"}},
               {"Exports", {"Export Run"}},
               {"Alerts", {"Alert Set"}}},
              {"Logged In"}),
  };
  for (const Catalog& catalog : others) {
    Aggregator loaded(catalog, {});
    SnapshotInfo info;
    std::string error;
    EXPECT_FALSE(Decode(loaded, bytes, &info, &error));
    EXPECT_NE(error.find("catalog"), std::string::npos) << error;
    EXPECT_EQ(loaded.account_count(), 0u);
  }
}

TEST(SnapshotCodecTest, FingerprintIgnoresLoginOrder) {
  EXPECT_EQ(AggregateFingerprint(Catalog({}, {"a", "b", "c"})),
            AggregateFingerprint(Catalog({}, {"c", "a", "b"})));
  EXPECT_NE(AggregateFingerprint(Catalog({}, {"a", "b"})),
            AggregateFingerprint(Catalog({}, {"ab"})));
}

TEST(SnapshotCodecTest, NonEmptyAggregatorIsRejected) {
  Aggregator original = MakeAggregator();
  original.Replay(Track("a", "Report Created", kT0));
  SnapshotInfo info;
  std::string error;
  EXPECT_FALSE(Decode(original, Encode(original), &info, &error));
  EXPECT_NE(error.find("already has accounts"), std::string::npos) << error;
}

// Flipped bytes past the header must be rejected or decode to some valid
// state; never crash or hang. The file checksum catches the rest.
TEST(SnapshotCodecTest, FlippedBytesNeverCrash) {
  Aggregator original = MakeAggregator();
  for (const Event& event : RichEvents()) original.Replay(event);
  const std::string bytes = Encode(original);

  std::mt19937 random(42);
  int rejected = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string damaged = bytes;
    const size_t at = 16 + random() % (damaged.size() - 16);
    damaged[at] = static_cast<char>(damaged[at] ^ (1 + random() % 255));
    Aggregator loaded = MakeAggregator();
    SnapshotInfo info;
    std::string error;
    if (!Decode(loaded, damaged, &info, &error, 4096)) ++rejected;
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace uptake::testing
