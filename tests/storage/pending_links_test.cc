// PendingLinks: the links and aliases a request or stream keeps until the
// store has them.

#include "storage/pending_links.h"

#include <gtest/gtest.h>

#include <string>

namespace uptake {
namespace {

Event Call(EventType type, const std::string& user_id, const std::string& other, int64_t time_ms) {
  Event event;
  event.type = type;
  event.user_id = user_id;
  if (type == EventType::kAlias) {
    event.previous_id = other;
  } else {
    event.group_id = other;
  }
  event.timestamp_ms = time_ms;
  return event;
}

Event Group(const std::string& user_id, const std::string& account_id, int64_t time_ms = 1000) {
  return Call(EventType::kGroup, user_id, account_id, time_ms);
}

std::string LinkOf(const PendingLinks& links, std::string_view user_id) {
  const PendingLinks::Entry* entry = links.FindLink(user_id);
  return entry == nullptr ? "" : entry->value;
}

TEST(PendingLinksTest, NotesWhatTheStoreWrites) {
  PendingLinks links;
  links.Note(Call(EventType::kTrack, "u1", "acme", 1000), /*message=*/1);
  links.Note(Group("", "acme"), /*message=*/1);
  links.Note(Call(EventType::kAlias, "u1", "u1", 1000), /*message=*/1);
  EXPECT_TRUE(links.empty()) << "a track's groupId, a group call without a user and an alias "
                                "to itself write no link";

  links.Note(Group("u1", "acme"), /*message=*/1);
  links.Note(Call(EventType::kAlias, "u1", "anon-1", 1000), /*message=*/1);
  EXPECT_EQ(LinkOf(links, "u1"), "acme");
  ASSERT_NE(links.FindAlias("anon-1"), nullptr);
  EXPECT_EQ(links.FindAlias("anon-1")->value, "u1");
}

TEST(PendingLinksTest, LaterEventTimeWins) {
  PendingLinks links;
  links.Note(Group("u1", "newer", 2000), /*message=*/1);
  links.Note(Group("u1", "older", 1000), /*message=*/2);
  EXPECT_EQ(LinkOf(links, "u1"), "newer");
  // On a tie the one noted later wins, as in the store's merge.
  links.Note(Group("u1", "tied", 2000), /*message=*/3);
  EXPECT_EQ(LinkOf(links, "u1"), "tied");
}

TEST(PendingLinksTest, ForgetKeepsEntriesReplacedLater) {
  PendingLinks links;
  links.Note(Group("u1", "acme"), /*message=*/1);
  links.Note(Group("u2", "acme"), /*message=*/1);
  links.Note(Group("u1", "globex"), /*message=*/2);

  // Message 1's commit finished: the store has u2's link, and u1's is
  // still message 2's.
  links.Forget(1);
  EXPECT_EQ(links.FindLink("u2"), nullptr);
  EXPECT_EQ(LinkOf(links, "u1"), "globex");

  links.Forget(2);
  EXPECT_TRUE(links.empty());
}

TEST(PendingLinksTest, ForgetInAnyOrder) {
  PendingLinks links;
  links.Note(Group("u1", "acme"), /*message=*/1);
  links.Note(Group("u1", "globex"), /*message=*/2);
  // Commits of different flushes may finish in either order.
  links.Forget(2);
  EXPECT_EQ(links.FindLink("u1"), nullptr) << "message 2 is stored";
  links.Forget(1);
  links.Forget(7);  // noted nothing
  EXPECT_TRUE(links.empty());
}

}  // namespace
}  // namespace uptake
