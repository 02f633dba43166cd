// The user-account links and aliases of events not yet in the store.

#ifndef UPTAKE_STORAGE_PENDING_LINKS_H_
#define UPTAKE_STORAGE_PENDING_LINKS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proto/event.h"

namespace uptake {

// The links that group calls and the aliases that alias calls will write
// when their commit finishes, kept by one request or one stream.
// Store::LookupUserAccount can count them as if already stored. A later
// event of the same request or stream is then attributed as if each
// message had been committed before the next one arrived, even when two
// messages are committed by different flushes, in either order.
//
// Each entry is tagged with the message that noted it. Forget(message)
// drops the entries of that message once its commit has finished, because
// the store then contains them. After a failed commit they were never
// stored, though events attributed by them meanwhile keep their account.
//
// NOTE: a call whose message id is already stored is noted too, because
// the commit has not classified it yet. A retry with the same content
// links the same way. A retry whose group changed links later events of
// its request or stream to the new group until it is forgotten, while the
// store keeps the old one.
//
// Not thread-safe: one request or one stream's strand owns it.
class PendingLinks {
 public:
  // A noted link (value: an account id) or alias (value: a user id) with
  // the event time of the call that writes it.
  struct Entry {
    std::string value;
    int64_t time_ms = 0;
    uint64_t message = 0;
  };

  // Notes the link or alias that `event` writes when stored, as
  // Store::Commit would: a group call with a user id, an alias call. Of two
  // entries for one id, the later by event time is kept, the later noted
  // on a tie, as the store's merge does. Other events are ignored.
  void Note(const Event& event, uint64_t message);

  // Drops the entries that `message` set. An entry it replaced is not
  // restored: that one is older, so the store's copy of this one wins.
  void Forget(uint64_t message);

  // The noted link of `user_id`, or nullptr. Valid until the next Note or
  // Forget.
  const Entry* FindLink(std::string_view user_id) const { return Find(links_, user_id); }
  // The noted alias of `id`, or nullptr. Valid until the next Note or
  // Forget.
  const Entry* FindAlias(std::string_view id) const { return Find(aliases_, id); }

  bool empty() const { return links_.empty() && aliases_.empty(); }

 private:
  // Hashes std::string keys and string_view probes alike, so lookups do
  // not allocate.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  using Entries = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

  static const Entry* Find(const Entries& entries, std::string_view id);
  void Put(Entries& entries, bool alias, std::string_view id, std::string_view value,
           int64_t time_ms, uint64_t message);

  Entries links_;
  Entries aliases_;
  // The ids each message noted, for Forget. The flag is true for an alias.
  std::unordered_map<uint64_t, std::vector<std::pair<bool, std::string>>> ids_by_message_;
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_PENDING_LINKS_H_
