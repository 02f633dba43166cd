// AccessPolicy decisions, including the non-loopback listener that the
// integration tests cannot bind.

#include "server/access_control.h"

#include <gtest/gtest.h>

#include <string>

namespace uptake {
namespace {

AuthConfig TwoRoles() {
  AuthConfig auth;
  auth.read_tokens = {"reader"};
  auth.admin_token = "admin";
  return auth;
}

int StatusOf(const std::optional<HttpAnswer>& answer) { return answer ? answer->status : 200; }

TEST(AccessPolicyTest, LoopbackWithoutTokensIsOpen) {
  AccessPolicy policy(AuthConfig{}, {"key"}, /*loopback_listener=*/true);
  EXPECT_EQ(StatusOf(policy.Check(Access::kRead, "", std::nullopt)), 200);
  EXPECT_EQ(StatusOf(policy.Check(Access::kAdmin, "", std::nullopt)), 200);
}

TEST(AccessPolicyTest, NonLoopbackWithoutTokensRefuses) {
  AccessPolicy policy(AuthConfig{}, {"key"}, /*loopback_listener=*/false);
  std::optional<HttpAnswer> read = policy.Check(Access::kRead, "", std::nullopt);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->status, 401);
  EXPECT_EQ(read->headers.front().first, "WWW-Authenticate");
  EXPECT_EQ(StatusOf(policy.Check(Access::kAdmin, "", std::nullopt)), 401);
  EXPECT_EQ(StatusOf(policy.Check(Access::kRead, "Bearer key", std::nullopt)), 403);
}

TEST(AccessPolicyTest, NonLoopbackWithTokens) {
  AccessPolicy policy(TwoRoles(), {"key"}, /*loopback_listener=*/false);
  EXPECT_EQ(StatusOf(policy.Check(Access::kRead, "Bearer reader", std::nullopt)), 200);
  EXPECT_EQ(StatusOf(policy.Check(Access::kRead, "bearer  admin ", std::nullopt)), 200);
  EXPECT_EQ(StatusOf(policy.Check(Access::kAdmin, "Bearer admin", std::nullopt)), 200);
  EXPECT_EQ(StatusOf(policy.Check(Access::kAdmin, "Bearer reader", std::nullopt)), 403);
  EXPECT_EQ(StatusOf(policy.Check(Access::kRead, "Basic a2V5Og==", std::nullopt)), 403);
  EXPECT_EQ(StatusOf(policy.Check(Access::kRead, "Bearer readerX", std::nullopt)), 401);
  EXPECT_EQ(StatusOf(policy.Check(Access::kRead, "Bearer reade", std::nullopt)), 401);
  EXPECT_EQ(StatusOf(policy.Check(Access::kRead, "", std::nullopt)), 401);
  EXPECT_EQ(StatusOf(policy.Check(Access::kRead, "", std::string_view("reader"))), 200);
  // The header wins over the query token.
  EXPECT_EQ(StatusOf(policy.Check(Access::kRead, "Bearer wrong", std::string_view("reader"))), 401);
}

TEST(AccessPolicyTest, LoopbackWithReadTokensOnlyKeepsAdminOpen) {
  AuthConfig auth;
  auth.read_tokens = {"reader"};
  AccessPolicy policy(auth, {}, /*loopback_listener=*/true);
  EXPECT_EQ(StatusOf(policy.Check(Access::kRead, "", std::nullopt)), 401);
  EXPECT_EQ(StatusOf(policy.Check(Access::kAdmin, "", std::nullopt)), 200);
}

TEST(AccessPolicyTest, MissingTokenMessageNamesRole) {
  AccessPolicy policy(TwoRoles(), {"key"}, /*loopback_listener=*/false);
  std::optional<HttpAnswer> admin = policy.Check(Access::kAdmin, "", std::nullopt);
  ASSERT_TRUE(admin.has_value());
  EXPECT_NE(admin->body.find("Send an admin token"), std::string::npos) << admin->body;
  std::optional<HttpAnswer> read = policy.Check(Access::kRead, "", std::nullopt);
  ASSERT_TRUE(read.has_value());
  EXPECT_NE(read->body.find("Send a read token"), std::string::npos) << read->body;
  std::optional<HttpAnswer> writer = policy.Check(Access::kAdmin, "Bearer key", std::nullopt);
  ASSERT_TRUE(writer.has_value());
  EXPECT_NE(writer->body.find("send an admin token"), std::string::npos) << writer->body;
}

TEST(SecretSetTest, FindsByValue) {
  SecretSet set({"a", "bb", "ccc"});
  EXPECT_EQ(set.Find("bb"), std::optional<size_t>(1));
  EXPECT_EQ(set.Find("ccc"), std::optional<size_t>(2));
  EXPECT_FALSE(set.Find("").has_value());
  EXPECT_FALSE(set.Find("b").has_value());
  EXPECT_FALSE(set.Find("bbb").has_value());
}

TEST(LoopbackHostTest, RecognizesLoopback) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("example.com"));
}

}  // namespace
}  // namespace uptake
