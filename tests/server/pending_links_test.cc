// PendingLinks: the links a request or stream keeps until the store has
// them.

#include "server/pending_links.h"

#include <gtest/gtest.h>

namespace uptake {
namespace {

TEST(PendingLinksTest, LaterMessageReplacesLink) {
  PendingLinks links;
  EXPECT_EQ(links.Find("u1"), nullptr);
  links.Link("u1", "acme", /*message=*/1);
  links.Link("u1", "globex", /*message=*/2);
  ASSERT_NE(links.Find("u1"), nullptr);
  EXPECT_EQ(*links.Find("u1"), "globex");
}

TEST(PendingLinksTest, ForgetKeepsLinksReplacedLater) {
  PendingLinks links;
  links.Link("u1", "acme", /*message=*/1);
  links.Link("u2", "acme", /*message=*/1);
  links.Link("u1", "globex", /*message=*/2);

  // Message 1's commit finished: the store has u2's link, and u1's is
  // still message 2's.
  links.Forget(1);
  EXPECT_EQ(links.Find("u2"), nullptr);
  ASSERT_NE(links.Find("u1"), nullptr);
  EXPECT_EQ(*links.Find("u1"), "globex");

  links.Forget(2);
  EXPECT_EQ(links.Find("u1"), nullptr);
  EXPECT_TRUE(links.empty());
}

TEST(PendingLinksTest, ForgetInAnyOrder) {
  PendingLinks links;
  links.Link("u1", "acme", /*message=*/1);
  links.Link("u1", "globex", /*message=*/2);
  // Commits of different flushes may finish in either order.
  links.Forget(2);
  EXPECT_EQ(links.Find("u1"), nullptr) << "message 2 is stored";
  links.Forget(1);
  links.Forget(7);  // set no links
  EXPECT_TRUE(links.empty());
}

}  // namespace
}  // namespace uptake
