// Group and alias links whose events are not yet in the store.

#ifndef UPTAKE_SERVER_PENDING_LINKS_H_
#define UPTAKE_SERVER_PENDING_LINKS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace uptake {

// From user id to account id, for the links set by group and alias calls
// of messages whose commit has not finished. A later event of the same
// request or stream looks here before the store. It is then attributed as
// if each message had been stored before the next one arrived, even when
// two messages are committed by different flushes, in either order.
//
// Each link is tagged with the message that set it. Forget(message) drops
// the links that message set last, once its commit has finished and the
// store answers for them (or the commit failed, and then the links were
// never stored, though events attributed by them meanwhile keep them).
//
// Not thread-safe: one request or one stream's strand owns it.
class PendingLinks {
 public:
  // Returns the account of `user_id`, or nullptr when no pending message
  // links it. The pointer is valid until the next Link or Forget.
  const std::string* Find(std::string_view user_id) const;

  // Links `user_id` to `account_id` on behalf of `message`, replacing an
  // earlier link of the same user.
  void Link(std::string_view user_id, std::string_view account_id, uint64_t message);

  // Drops the links that `message` set and no later message replaced.
  void Forget(uint64_t message);

  bool empty() const { return links_.empty(); }

 private:
  // Hashes std::string keys and string_view probes alike, so Find does
  // not allocate.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  struct Entry {
    std::string account_id;
    uint64_t message = 0;
  };

  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> links_;
  // The users each message linked, for Forget.
  std::unordered_map<uint64_t, std::vector<std::string>> users_by_message_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_PENDING_LINKS_H_
