#include "server/pending_links.h"

namespace uptake {

const std::string* PendingLinks::Find(std::string_view user_id) const {
  if (links_.empty()) return nullptr;
  auto it = links_.find(user_id);
  return it == links_.end() ? nullptr : &it->second.account_id;
}

void PendingLinks::Link(std::string_view user_id, std::string_view account_id, uint64_t message) {
  auto it = links_.find(user_id);
  if (it == links_.end()) {
    it = links_.emplace(std::string(user_id), Entry{}).first;
  }
  it->second.account_id.assign(account_id);
  it->second.message = message;
  users_by_message_[message].emplace_back(user_id);
}

void PendingLinks::Forget(uint64_t message) {
  auto users = users_by_message_.find(message);
  if (users == users_by_message_.end()) return;
  for (const std::string& user_id : users->second) {
    auto it = links_.find(user_id);
    if (it != links_.end() && it->second.message == message) links_.erase(it);
  }
  users_by_message_.erase(users);
}

}  // namespace uptake
