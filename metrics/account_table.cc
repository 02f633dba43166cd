#include "metrics/account_table.h"

namespace uptake {

AccountTable::Account* AccountTable::Find(std::string_view id, size_t hash) const {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = Home(hash);; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.account == nullptr) return nullptr;
    if (slot.hash == hash && slot.account->first == id) return slot.account;
  }
}

void AccountTable::PrefetchAccount(size_t hash) const {
  if (slots_.empty()) return;
  const Slot& slot = slots_[Home(hash)];
  if (slot.account == nullptr || slot.hash != hash) return;
  const char* bytes = reinterpret_cast<const char*>(slot.account);
  for (size_t offset = 0; offset < sizeof(Account); offset += 64)
    __builtin_prefetch(bytes + offset);
}

std::pair<AccountTable::Account*, bool> AccountTable::TryEmplace(std::string& id, size_t hash,
                                                                 AccountState& state) {
  if (Account* found = Find(id, hash); found != nullptr) return {found, false};
  if (4 * (accounts_.size() + 1) > 3 * slots_.size()) Grow();
  accounts_.push_back(std::make_unique<Account>(std::move(id), std::move(state)));
  Account* added = accounts_.back().get();
  Place(hash, added);
  return {added, true};
}

void AccountTable::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 16 : 2 * old.size(), Slot{});
  for (const Slot& slot : old) {
    if (slot.account != nullptr) Place(slot.hash, slot.account);
  }
}

void AccountTable::Place(size_t hash, Account* account) {
  const size_t mask = slots_.size() - 1;
  size_t i = Home(hash);
  while (slots_[i].account != nullptr) i = (i + 1) & mask;
  slots_[i] = Slot{hash, account};
}

}  // namespace uptake
