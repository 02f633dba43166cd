#include "storage/pending_links.h"

#include "storage/keys.h"

namespace uptake {

void PendingLinks::Note(const Event& event, uint64_t message) {
  if (std::string_view alias = AliasWritten(event); !alias.empty()) {
    Put(aliases_, /*alias=*/true, alias, event.user_id, event.timestamp_ms, message);
  } else if (WritesUserLink(event)) {
    Put(links_, /*alias=*/false, event.user_id, event.group_id, event.timestamp_ms, message);
  }
}

void PendingLinks::Put(Entries& entries, bool alias, std::string_view id, std::string_view value,
                       int64_t time_ms, uint64_t message) {
  auto it = entries.find(id);
  if (it == entries.end()) {
    it = entries.emplace(std::string(id), Entry{}).first;
  } else if (time_ms < it->second.time_ms) {
    return;
  }
  it->second.value.assign(value);
  it->second.time_ms = time_ms;
  it->second.message = message;
  ids_by_message_[message].emplace_back(alias, id);
}

void PendingLinks::Forget(uint64_t message) {
  auto ids = ids_by_message_.find(message);
  if (ids == ids_by_message_.end()) return;
  for (const auto& [alias, id] : ids->second) {
    Entries& entries = alias ? aliases_ : links_;
    auto it = entries.find(id);
    if (it != entries.end() && it->second.message == message) entries.erase(it);
  }
  ids_by_message_.erase(ids);
}

const PendingLinks::Entry* PendingLinks::Find(const Entries& entries, std::string_view id) {
  if (entries.empty()) return nullptr;
  auto it = entries.find(id);
  return it == entries.end() ? nullptr : &it->second;
}

}  // namespace uptake
