// AccountTable against std::unordered_map, with real hashes and with hashes
// forced to collide.

#include "metrics/account_table.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "metrics/name_table.h"

namespace uptake {
namespace {

AccountTable::Account* Add(AccountTable& table, const std::string& id, size_t hash) {
  std::string key = id;
  AccountState state;
  auto [account, added] = table.TryEmplace(key, hash, state);
  EXPECT_TRUE(added) << id;
  return account;
}

TEST(AccountTableTest, EmptyTableFindsNothing) {
  const AccountTable table;
  EXPECT_EQ(table.Find("acme", StringHash{}("acme")), nullptr);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_TRUE(table.begin() == table.end());
}

TEST(AccountTableTest, ExistingIdKeepsItsAccount) {
  AccountTable table;
  AccountTable::Account* first = Add(table, "acme", StringHash{}("acme"));

  std::string id = "acme";
  AccountState state;
  auto [account, added] = table.TryEmplace(id, StringHash{}("acme"), state);
  EXPECT_FALSE(added);
  EXPECT_EQ(account, first);
  EXPECT_EQ(id, "acme");
  EXPECT_EQ(table.size(), 1u);
}

TEST(AccountTableTest, ManyAccountsKeepTheirAddressesAndOrder) {
  AccountTable table;
  std::unordered_map<std::string, AccountTable::Account*> expected;
  std::vector<std::string> order;
  for (int i = 0; i < 50'000; ++i) {
    std::string id = "account-" + std::to_string(i * 7919);
    expected[id] = Add(table, id, StringHash{}(id));
    order.push_back(id);
  }
  ASSERT_EQ(table.size(), expected.size());

  // Growing the index moved no account.
  for (const auto& [id, account] : expected) {
    EXPECT_EQ(table.Find(id, StringHash{}(id)), account) << id;
    EXPECT_EQ(account->first, id);
  }
  EXPECT_EQ(table.Find("account-1", StringHash{}("account-1")), nullptr);

  size_t at = 0;
  for (const AccountTable::Account& account : table) {
    ASSERT_LT(at, order.size());
    EXPECT_EQ(account.first, order[at]);
    ++at;
  }
  EXPECT_EQ(at, order.size());
}

TEST(AccountTableTest, CollidingHashesCompareIds) {
  AccountTable table;
  std::vector<AccountTable::Account*> added;
  // Every id under one hash, then every id under hashes that share the low
  // bits the index starts from.
  for (int i = 0; i < 100; ++i) added.push_back(Add(table, "same-" + std::to_string(i), 42));
  for (int i = 0; i < 100; ++i) {
    added.push_back(Add(table, "low-" + std::to_string(i), (size_t{1} << 40) * i + 5));
  }

  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(table.Find("same-" + std::to_string(i), 42), added[i]);
    EXPECT_EQ(table.Find("low-" + std::to_string(i), (size_t{1} << 40) * i + 5), added[100 + i]);
  }
  EXPECT_EQ(table.Find("same-100", 42), nullptr);
  EXPECT_EQ(table.Find("same-1", 43), nullptr);
  EXPECT_EQ(table.size(), 200u);
}

}  // namespace
}  // namespace uptake
