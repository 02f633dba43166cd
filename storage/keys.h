// The byte layout of every RocksDB key uptake writes, and the fixed-width
// integers inside keys and values.

#ifndef UPTAKE_STORAGE_KEYS_H_
#define UPTAKE_STORAGE_KEYS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/event.h"

namespace uptake {

// Appends `value` as 8 bytes, most significant first, so that byte order of
// the encoded keys equals numeric order.
void PutBigEndian64(std::string* dst, uint64_t value);

// Reads 8 bytes written by PutBigEndian64. `src` must hold at least 8 bytes.
uint64_t DecodeBigEndian64(const char* src);

// Returns the 8-byte key of an event-log sequence number or an alert id.
std::string SequenceKey(uint64_t sequence);

// Returns the dedup key: write key, NUL, message id. Write keys contain no
// NUL, so the message id may contain any byte.
std::string DedupKey(std::string_view write_key, std::string_view message_id);

// Returns the prefix of all trait keys of `account_id` in the accounts
// column family: the account id followed by NUL.
std::string AccountTraitPrefix(std::string_view account_id);

// Returns the accounts key of one trait: AccountTraitPrefix + trait key.
std::string AccountTraitKey(std::string_view account_id, std::string_view trait_key);

// Trait and link keys join ids with NUL, so an id containing NUL could read
// back as another id's key. Such ids get no traits or links: returns false
// for them and for the empty id.
bool UsableInStateKey(std::string_view id);

// The id that storing `event` ties to its user_id with a UserAliasKey, or
// empty when it writes none. An alias call ties its previous_id; an
// identify call its anonymous_id, as Segment's identify and PostHog's
// $identify (with $anon_distinct_id) name the anonymous id a person used
// before signing in.
std::string_view AliasWritten(const Event& event);

// Whether storing `event` writes a UserLinkKey (a group call linking its
// user_id to its group_id).
bool WritesUserLink(const Event& event);

// Returns the users key that links `user_id` to an account: "L", NUL, user id.
std::string UserLinkKey(std::string_view user_id);

// Returns the users key that ties an alias (an anonymous or earlier id) to
// a user id: "A", NUL, the alias.
std::string UserAliasKey(std::string_view alias);

// Returns the users key of one user trait: "T", NUL, user id, NUL, trait key.
std::string UserTraitKey(std::string_view user_id, std::string_view trait_key);

// Returns the outbox key of a webhook delivery: webhook name, NUL, the
// change seq as 8 big-endian bytes, so one webhook's entries sort by seq.
std::string OutboxKey(std::string_view webhook, uint64_t seq);

}  // namespace uptake

#endif  // UPTAKE_STORAGE_KEYS_H_
