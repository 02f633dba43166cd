// The accounts of one shard, found by id.

#ifndef UPTAKE_METRICS_ACCOUNT_TABLE_H_
#define UPTAKE_METRICS_ACCOUNT_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/account_state.h"

namespace uptake {

// Owns accounts, which are never erased, so an account's address is stable
// for the table's lifetime. Iteration follows insertion order.
//
// A lookup of an account that is not in any cache reads one index slot and
// then the account. libstdc++'s std::unordered_map, used before, read the
// bucket, the node before the account in its list and the hash stored at
// the end of the account's node. With a million accounts picked at random,
// profiles showed those misses as the largest cost of applying an event.
// Each slot keeps the full hash beside the pointer, so probing past a
// colliding slot reads no other account.
//
// Not thread-safe. The shard's mutex guards it.
class AccountTable {
 public:
  using Account = std::pair<const std::string, AccountState>;

  AccountTable() = default;
  AccountTable(const AccountTable&) = delete;
  AccountTable& operator=(const AccountTable&) = delete;

  // `hash` must be the same on every call for the same id; StringHash gives
  // it. Ids that share a hash are distinguished by comparing them.
  Account* Find(std::string_view id, size_t hash) const;

  // Prefetches the slot where a lookup of `hash` starts.
  // A caller about to look up several accounts prefetches every slot first,
  // then every account (PrefetchAccount), so the cache misses overlap.
  void PrefetchSlot(size_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[Home(hash)]);
  }
  // Prefetches the account in the slot where a lookup of `hash` starts, when
  // that slot carries `hash`.
  void PrefetchAccount(size_t hash) const;

  // Adds an account under `id` unless one exists. Returns the account and
  // whether it was added. When not, `id` and `state` are left intact.
  std::pair<Account*, bool> TryEmplace(std::string& id, size_t hash, AccountState& state);

  size_t size() const { return accounts_.size(); }

  // The account added `index`-th, counting from 0. Accounts are never
  // removed, so an index stays valid while accounts are added.
  Account& at(size_t index) { return *accounts_[index]; }

  // Iterates over the accounts in insertion order.
  template <class Value>
  class Iterator {
   public:
    using Base = std::vector<std::unique_ptr<Account>>::const_iterator;
    explicit Iterator(Base at) : at_(at) {}
    Value& operator*() const { return **at_; }
    Value* operator->() const { return at_->get(); }
    Iterator& operator++() {
      ++at_;
      return *this;
    }
    bool operator==(const Iterator& other) const = default;

   private:
    Base at_;
  };

  Iterator<Account> begin() { return Iterator<Account>(accounts_.begin()); }
  Iterator<Account> end() { return Iterator<Account>(accounts_.end()); }
  Iterator<const Account> begin() const { return Iterator<const Account>(accounts_.begin()); }
  Iterator<const Account> end() const { return Iterator<const Account>(accounts_.end()); }

 private:
  struct Slot {
    size_t hash = 0;
    Account* account = nullptr;  // null: empty
  };

  // The first slot to probe for `hash`. The aggregator picks the shard from
  // the top bits of a multiple of the same hash, so the low bits used here
  // still vary within a shard.
  size_t Home(size_t hash) const { return hash & (slots_.size() - 1); }
  // Doubles the index (or creates it) and places every account again.
  void Grow();
  void Place(size_t hash, Account* account);

  std::vector<std::unique_ptr<Account>> accounts_;
  std::vector<Slot> slots_;  // empty, or a power of two in size and at most 3/4 full
};

}  // namespace uptake

#endif  // UPTAKE_METRICS_ACCOUNT_TABLE_H_
