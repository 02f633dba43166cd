// The aggregates kept for one account, packed small because every account
// stays in memory.

#ifndef UPTAKE_METRICS_ACCOUNT_STATE_H_
#define UPTAKE_METRICS_ACCOUNT_STATE_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "metrics/day_series.h"
#include "metrics/merged_traits.h"
#include "metrics/name_table.h"
#include "metrics/routing.h"
#include "proto/event.h"

namespace uptake {

inline constexpr int64_t kDayMs = 86'400'000;

// Due time of an account with no pending time-driven change.
inline constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();

struct NameCount {
  uint32_t name_id;  // index in the shard's name table
  uint32_t count;    // saturates at UINT32_MAX
};

struct UserActivity {
  uint64_t user_hash;      // 64-bit hash of user_id
  uint32_t last_active_s;  // maximum event time, Unix seconds
};

struct FeatureUse {
  uint8_t feature;       // catalog index
  uint32_t first_use_s;  // minimum event time, Unix seconds
};

// The alert of one rule that is pending or firing on an account.
struct OpenAlert {
  uint32_t rule_index = 0;
  uint64_t id = 0;
  bool firing = false;          // false while pending
  int64_t active_since_ms = 0;  // when the breach began
  int64_t fired_at_ms = 0;      // 0 while pending
  // When the breach of a firing alert ended, while it waits out the rule's
  // keep_firing_for. Unset while the breach holds.
  std::optional<int64_t> breach_ended_ms = std::nullopt;

  // Routing, fixed when the alert fires: the index of the account's tier
  // then (-1 without a routing policy or a matching tier), the first step
  // taken, and for kOwner the CSM it went to. escalated_at_ms stays 0 until
  // the alert escalates.
  int32_t tier = -1;
  RouteAction first_step = RouteAction::kNudge;
  std::string first_owner = {};
  int64_t escalated_at_ms = 0;
};

// Facts the shard resolves about an event before the account adds it.
struct EventFacts {
  uint32_t name_id = 0;  // kUncountedName when the name is not in the table
  int feature = -1;      // catalog index, or -1
  bool login = false;
  // Distinct names the account may count, so a new name past it is not
  // counted by name.
  uint32_t max_names = std::numeric_limits<uint32_t>::max();
};

// Lifetime aggregates of one account. Not thread-safe, so the owning
// shard's mutex guards it.
class AccountState {
 public:
  // Adds one event. Times are event times, so a late event updates the
  // minimums and its own day, never last_seen unless it is the newest.
  // Returns false when the event's name is not counted by name: the name
  // is kUncountedName, or new to an account with `facts.max_names` names.
  bool Add(const Event& event, const EventFacts& facts);

  // Prefetches the lists that Add reads, for a caller about to add events to
  // several accounts in turn.
  void Prefetch() const;

  // created_at when a group trait set it, else first_seen.
  int64_t StartMs() const { return has_created_at_ ? created_at_ms_ : first_seen_ms_; }

  int64_t first_seen_ms() const { return first_seen_ms_; }
  int64_t last_seen_ms() const { return last_seen_ms_; }
  bool has_created_at() const { return has_created_at_; }
  int64_t created_at_ms() const { return created_at_ms_; }
  int64_t event_count() const { return event_count_; }
  int64_t last_login_ms() const { return last_login_ms_; }  // 0 when never logged in

  // Lifetime count of events named `name_id`.
  int64_t CountOf(uint32_t name_id) const;

  // Bit i is set when catalog feature i was first used before `limit_ms`.
  uint64_t FeaturesUsedBefore(int64_t limit_ms) const;

  // Logins in UTC days first_day..last_day, both included.
  int64_t LoginsBetween(int64_t first_day, int64_t last_day) const;

  // Users whose last event is at or after `since_ms`.
  int64_t UsersActiveSince(int64_t since_ms) const;

  // The account's merged plan, ARR and owner, or nullptr before any group
  // call carried one of them.
  const MergedTraits* traits() const { return traits_.get(); }

  // Returns the open alert of rule `rule_index`, or nullptr.
  OpenAlert* FindOpenAlert(uint32_t rule_index);

  const std::vector<NameCount>& counts() const { return counts_; }
  const std::vector<UserActivity>& users() const { return users_; }
  const std::vector<FeatureUse>& features() const { return features_; }
  const DaySeries& days() const { return days_; }
  std::vector<OpenAlert>& open_alerts() { return open_alerts_; }
  const std::vector<OpenAlert>& open_alerts() const { return open_alerts_; }

  // Earliest time a rule's outcome can change without a new event, and the
  // due time of this account's earliest entry in the shard's deadline heap.
  int64_t next_due_ms = kNoDeadline;
  int64_t queued_due_ms = kNoDeadline;

  // The shard's snapshot number when the account was created, encoded or
  // saved for a snapshot. AccountShard compares it with its current one.
  uint32_t snapshot_generation() const { return snapshot_generation_; }
  void set_snapshot_generation(uint32_t generation) { snapshot_generation_ = generation; }

 private:
  friend class SnapshotCodec;

  void AddCreatedAt(int64_t created_at_ms, int64_t event_ms);
  bool AddName(uint32_t name_id, uint32_t max_names);
  void AddUser(uint64_t user_hash, uint32_t event_s);
  void AddFeature(int feature, uint32_t event_s);

  int64_t first_seen_ms_ = std::numeric_limits<int64_t>::max();
  int64_t last_seen_ms_ = std::numeric_limits<int64_t>::min();
  int64_t created_at_ms_ = 0;
  // Event time of the trait that set created_at_ms_, because the latest wins.
  int64_t created_at_event_ms_ = std::numeric_limits<int64_t>::min();
  int64_t event_count_ = 0;
  int64_t last_login_ms_ = 0;
  bool has_created_at_ = false;
  uint32_t snapshot_generation_ = 0;
  // Allocated on the first traits, because most accounts never get any and
  // every account stays in memory.
  std::unique_ptr<MergedTraits> traits_;

  std::vector<NameCount> counts_;     // unsorted, usually a few dozen names
  std::vector<UserActivity> users_;   // sorted by user_hash
  std::vector<FeatureUse> features_;  // unsorted, at most one per feature
  DaySeries days_;
  std::vector<OpenAlert> open_alerts_;
};

}  // namespace uptake

#endif  // UPTAKE_METRICS_ACCOUNT_STATE_H_
