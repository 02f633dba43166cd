// The normalized event: what every wire format is parsed into, what storage
// writes to the event log, and what the aggregates consume.

#ifndef UPTAKE_PROTO_EVENT_H_
#define UPTAKE_PROTO_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "proto/account_traits.h"

namespace uptake {

// The call type of the source SDK. Segment's names are used for all families.
enum class EventType : uint8_t {
  kTrack = 0,
  kIdentify = 1,
  kGroup = 2,
  kPage = 3,
  kScreen = 4,
  kAlias = 5,
};

// The wire format family an event arrived in.
enum class Source : uint8_t {
  kSegment = 0,
  kPostHog = 1,
  kAmplitude = 2,
  kMixpanel = 3,
};

// Name of the bucket that contains events with no account of their own and no
// account link for their user. Such events are stored and counted, never
// dropped, but no rule is evaluated on this bucket.
inline constexpr char kUnattributedAccount[] = "(unattributed)";

// Longest message, user, anonymous, previous or account id accepted, in
// bytes. Ids travel in URLs (GET /v1/accounts/{id}) and in paging cursors,
// so they must fit a request head with room to spare.
inline constexpr size_t kMaxIdBytes = 1024;

struct Event {
  EventType type = EventType::kTrack;
  Source source = Source::kSegment;

  // Client-chosen id; together with the write key it is the dedup key.
  std::string message_id;

  // userId, or anonymousId when the call carries no userId.
  std::string user_id;
  std::string anonymous_id;

  // alias calls: the id being linked to `user_id`.
  std::string previous_id;

  // The account named by the event itself: groupId on group calls,
  // context.groupId on any call. Empty when the event names none.
  std::string group_id;

  // The account the event is counted under, set by attribution after
  // parsing: group_id, else the user's persisted account link, else
  // kUnattributedAccount.
  std::string account_id;

  // track: the event name. page and screen: the name field, else "page" or
  // "screen". identify, group and alias: "identify", "group", "alias".
  std::string name;

  // Index of the catalog feature this event name maps to, or -1. Set after
  // parsing from the configured catalog; not stored, so a catalog change
  // applies to old events on the next restart.
  int feature = -1;

  // Event time in milliseconds since the Unix epoch, UTC, after clock-skew
  // correction and clamping.
  int64_t timestamp_ms = 0;

  // When the request carrying the event arrived, milliseconds since epoch.
  int64_t received_ms = 0;

  // True when the corrected timestamp was in the future beyond the
  // tolerance and was replaced by received_ms.
  bool timestamp_clamped = false;

  // The raw JSON bytes of `properties` (track, page, screen) or `traits`
  // (identify, group), exactly as received; "{}" when absent.
  std::string properties;

  // group calls: the account's start time from traits.created_at or
  // traits.createdAt (ISO 8601 string, or Unix seconds as a number).
  std::optional<int64_t> created_at_ms;

  // group calls: plan, ARR and owner read from `properties` by
  // ExtractAccountTraits during attribution. Not stored, because replay
  // reads them again from the stored `properties`.
  std::optional<AccountTraits> account_traits;
};

}  // namespace uptake

#endif  // UPTAKE_PROTO_EVENT_H_
