#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/storage/store_fixture.h"

namespace uptake {
namespace {

using ::testing::ElementsAre;

constexpr char kWriteKey[] = "wk_live_1";

class StoreStateTest : public StoreTest {
 protected:
  std::optional<std::string> UserAccount(const std::string& user_id) {
    std::optional<std::string> account;
    const StorageStatus status = store_->LookupUserAccount(user_id, &account);
    EXPECT_TRUE(status.ok()) << status.message();
    return account;
  }

  // The account of `user_id` with the links and aliases in `pending`
  // counted as stored.
  std::optional<std::string> UserAccount(const std::string& user_id, const PendingLinks& pending) {
    std::optional<std::string> account;
    const StorageStatus status = store_->LookupUserAccount(user_id, pending, &account);
    EXPECT_TRUE(status.ok()) << status.message();
    return account;
  }

  static Event AliasEvent(const std::string& message_id, const std::string& user_id,
                          const std::string& previous_id) {
    Event event = TrackEvent(message_id);
    event.type = EventType::kAlias;
    event.user_id = user_id;
    event.previous_id = previous_id;
    event.name = "alias";
    return event;
  }

  std::string AccountTraits(const std::string& account_id) {
    std::string json;
    const StorageStatus status = store_->GetAccountTraits(account_id, &json);
    EXPECT_TRUE(status.ok()) << status.message();
    return json;
  }
};

TEST_F(StoreStateTest, UnknownUserHasNoAccount) { EXPECT_EQ(UserAccount("nobody"), std::nullopt); }

TEST_F(StoreStateTest, UserLinkLatestByEventTime) {
  // The later event arrives first, so arrival order would pick "old-co".
  ASSERT_THAT(Commit(kWriteKey, {GroupEvent("g2", "u1", "new-co", "{}", 2000)}),
              ElementsAre(CommitOutcome::kStored));
  ASSERT_THAT(Commit(kWriteKey, {GroupEvent("g1", "u1", "old-co", "{}", 1000)}),
              ElementsAre(CommitOutcome::kStored));

  EXPECT_EQ(UserAccount("u1"), "new-co");

  Reopen();
  EXPECT_EQ(UserAccount("u1"), "new-co");
}

TEST_F(StoreStateTest, UserLinkTieGoesToLaterWrite) {
  ASSERT_THAT(Commit(kWriteKey, {GroupEvent("g1", "u1", "first-co", "{}", 1000),
                                 GroupEvent("g2", "u1", "second-co", "{}", 1000)}),
              ElementsAre(CommitOutcome::kStored, CommitOutcome::kStored));

  EXPECT_EQ(UserAccount("u1"), "second-co");
}

TEST_F(StoreStateTest, PendingLinkCountsByEventTime) {
  ASSERT_THAT(Commit(kWriteKey, {GroupEvent("g1", "u1", "stored-co", "{}", 2000)}),
              ElementsAre(CommitOutcome::kStored));
  PendingLinks pending;
  pending.Note(GroupEvent("g2", "u1", "older-co", "{}", 1000), /*message=*/1);
  EXPECT_EQ(UserAccount("u1", pending), "stored-co");

  pending.Note(GroupEvent("g3", "u1", "newer-co", "{}", 3000), /*message=*/2);
  EXPECT_EQ(UserAccount("u1", pending), "newer-co");
  EXPECT_EQ(UserAccount("u1"), "stored-co") << "noting writes nothing";
}

TEST_F(StoreStateTest, PendingAliasFollowsStoredLink) {
  ASSERT_THAT(Commit(kWriteKey, {GroupEvent("g1", "u1", "acme", "{}", 1000)}),
              ElementsAre(CommitOutcome::kStored));
  PendingLinks pending;
  pending.Note(AliasEvent("a1", "u1", "anon-1"), /*message=*/1);
  EXPECT_EQ(UserAccount("anon-1", pending), "acme");
  EXPECT_EQ(UserAccount("anon-1"), std::nullopt);
}

TEST_F(StoreStateTest, StoredAliasFollowsPendingLink) {
  ASSERT_THAT(Commit(kWriteKey, {AliasEvent("a1", "u1", "anon-1")}),
              ElementsAre(CommitOutcome::kStored));
  PendingLinks pending;
  pending.Note(GroupEvent("g1", "u1", "globex", "{}", 1000), /*message=*/1);
  EXPECT_EQ(UserAccount("anon-1", pending), "globex");
  EXPECT_EQ(UserAccount("anon-1"), std::nullopt);
}

TEST_F(StoreStateTest, DuplicateGroupCallChangesNothing) {
  ASSERT_THAT(Commit(kWriteKey, {GroupEvent("g1", "u1", "acme", R"({"plan":"pro"})", 1000)}),
              ElementsAre(CommitOutcome::kStored));

  // Same message id, so this retry must not move the link or the traits.
  EXPECT_THAT(Commit(kWriteKey, {GroupEvent("g1", "u1", "other", R"({"plan":"free"})", 5000)}),
              ElementsAre(CommitOutcome::kDuplicate));
  EXPECT_EQ(UserAccount("u1"), "acme");
  EXPECT_EQ(AccountTraits("acme"), R"({"plan":"pro"})");
  EXPECT_EQ(AccountTraits("other"), "{}");
}

TEST_F(StoreStateTest, AccountTraitsMergedPerKey) {
  ASSERT_THAT(Commit(kWriteKey, {GroupEvent("g3", "u1", "acme", R"({"plan":"enterprise"})", 3000)}),
              ElementsAre(CommitOutcome::kStored));
  ASSERT_THAT(Commit(kWriteKey, {GroupEvent("g1", "u2", "acme",
                                            R"({"plan":"free","seats":5,"region":"eu"})", 1000)}),
              ElementsAre(CommitOutcome::kStored));
  ASSERT_THAT(Commit(kWriteKey, {GroupEvent("g2", "u1", "acme", R"({"seats":12})", 2000)}),
              ElementsAre(CommitOutcome::kStored));

  // Keys come back in byte order of their names.
  EXPECT_EQ(AccountTraits("acme"), R"({"plan":"enterprise","region":"eu","seats":12})");

  Reopen();
  EXPECT_EQ(AccountTraits("acme"), R"({"plan":"enterprise","region":"eu","seats":12})");
}

TEST_F(StoreStateTest, AccountTraitsKeepRawValues) {
  const std::string traits =
      R"({ "nested" : {"a": [1, 2]} , "list":[ "x" ], "big": 12345678901234567890,)"
      R"( "flag": true, "none": null, "quote\"key": "va\"l\u00e9" })";
  ASSERT_THAT(Commit(kWriteKey, {GroupEvent("g1", "u1", "acme", traits, 1000)}),
              ElementsAre(CommitOutcome::kStored));

  EXPECT_EQ(AccountTraits("acme"),
            R"({"big":12345678901234567890,"flag":true,"list":[ "x" ],)"
            R"("nested":{"a": [1, 2]},"none":null,"quote\"key":"va\"l\u00e9"})");
}

TEST_F(StoreStateTest, AccountTraitKeysAreEscaped) {
  ASSERT_THAT(Commit(kWriteKey,
                     {GroupEvent("g1", "u1", "acme", R"({"tab\tkey":1,"nul\u0000key":2})", 1000)}),
              ElementsAre(CommitOutcome::kStored));

  EXPECT_EQ(AccountTraits("acme"), R"({"nul\u0000key":2,"tab\tkey":1})");
}

TEST_F(StoreStateTest, AccountsDoNotShareTraits) {
  ASSERT_THAT(Commit(kWriteKey, {GroupEvent("g1", "u1", "acme", R"({"plan":"pro"})", 1000),
                                 GroupEvent("g2", "u1", "acme2", R"({"plan":"free"})", 1000)}),
              ElementsAre(CommitOutcome::kStored, CommitOutcome::kStored));

  EXPECT_EQ(AccountTraits("acme"), R"({"plan":"pro"})");
  EXPECT_EQ(AccountTraits("acme2"), R"({"plan":"free"})");
  EXPECT_EQ(AccountTraits("acm"), "{}");
}

TEST_F(StoreStateTest, MalformedTraitsStillStoreEvent) {
  ASSERT_THAT(Commit(kWriteKey, {GroupEvent("g1", "u1", "acme", "[1,2]", 1000)}),
              ElementsAre(CommitOutcome::kStored));

  EXPECT_EQ(AccountTraits("acme"), "{}");
  EXPECT_EQ(UserAccount("u1"), "acme");
  EXPECT_EQ(AllEvents().size(), 1u);
}

TEST_F(StoreStateTest, IdentifyLeavesAccountsAlone) {
  Event identify = TrackEvent("i1");
  identify.type = EventType::kIdentify;
  identify.group_id = "acme";
  identify.properties = R"({"plan":"pro"})";

  ASSERT_THAT(Commit(kWriteKey, {identify}), ElementsAre(CommitOutcome::kStored));

  EXPECT_EQ(AccountTraits("acme"), "{}");
  EXPECT_EQ(UserAccount("user-1"), std::nullopt);
}

}  // namespace
}  // namespace uptake
