// One shard of the aggregator: a slice of the accounts under one mutex,
// with its own name table and deadline heap.

#ifndef UPTAKE_METRICS_ACCOUNT_SHARD_H_
#define UPTAKE_METRICS_ACCOUNT_SHARD_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "metrics/account_state.h"
#include "metrics/account_table.h"
#include "metrics/account_view.h"
#include "metrics/alert.h"
#include "metrics/at_risk.h"
#include "metrics/catalog.h"
#include "metrics/deadline_queue.h"
#include "metrics/name_table.h"
#include "metrics/routing.h"
#include "metrics/rule.h"
#include "metrics/snapshot_codec.h"
#include "proto/event.h"

namespace uptake {

// A rule set shared by the shards that use it. Never changed once built, so
// a shard reads its rules under its own lock without copying them.
using RuleSet = std::shared_ptr<const std::vector<Rule>>;

// The aggregator-wide inputs of one evaluation pass. The rules are the
// shard's own.
struct EvalScope {
  const Catalog& catalog;
  const std::vector<RoutingTier>& tiers;
  std::atomic<uint64_t>& next_alert_id;
  int64_t now_ms;
};

// The aggregator-wide inputs of one account view.
struct ViewInput {
  const Catalog& catalog;
  int64_t now_ms;
};

// Every method except Init requires `mu` held by the caller.
class AccountShard {
 public:
  using Account = AccountTable::Account;

  // Sets the shard's rules and interns their event names first, in rule
  // order, so they get the same ids in every shard.
  void Init(RuleSet rules);

  // Sets the bounds on the names AddEvent counts. Default: NameLimits{}.
  void SetNameLimits(const NameLimits& limits) { name_limits_ = limits; }

  // The rules every evaluation, view and at-risk entry of this shard uses.
  // ReplaceRules swaps them under `mu`, so one call uses one set throughout.
  const std::vector<Rule>& rules() const { return *rules_; }

  // Returns the account, or nullptr when it has no events.
  Account* Find(std::string_view account_id);
  const Account* Find(std::string_view account_id) const;

  // Each prefetches part of what AddEvent reads, in three steps: the index
  // slot, the account, then the account's lists. A
  // caller with several events runs each step over all of them before the
  // next, so the cache misses of different accounts overlap. `account_hash`
  // is as for AddEvent.
  void PrefetchSlot(size_t account_hash) const { accounts_.PrefetchSlot(account_hash); }
  void PrefetchAccount(size_t account_hash) const { accounts_.PrefetchAccount(account_hash); }
  void PrefetchLists(std::string_view account_id, size_t account_hash) const {
    const Account* account = accounts_.Find(account_id, account_hash);
    if (account != nullptr) account->second.Prefetch();
  }

  // Adds one event to its account, creating the account on its first event.
  Account& AddEvent(const Event& event, const Catalog& catalog);

  // As above, with `account_hash` the std::hash<std::string_view> of the
  // event's account key (account_id, or the unattributed bucket), which the
  // aggregator has already computed to pick the shard.
  Account& AddEvent(const Event& event, const Catalog& catalog, size_t account_hash);

  // Evaluates every rule on `account`, opens, fires or resolves alerts, and
  // reschedules its next due time, including the `for` and
  // keep_firing_for deadlines of its open alerts. The unattributed bucket
  // is skipped.
  std::vector<Alert> Evaluate(Account& account, const EvalScope& scope);

  // Evaluates the accounts due at or before `scope.now_ms`.
  std::vector<Alert> EvaluateDue(const EvalScope& scope);

  // Evaluates and reschedules every account.
  std::vector<Alert> EvaluateEvery(const EvalScope& scope);

  // Records a pending or firing `alert` as the open alert of `rule`, whose
  // index is `rule_index`, on `account` unless that rule already has one. A
  // pending alert is queued to fire at its active_since plus the rule's
  // `for`, if the rule is still in breach then. A firing alert keeps its
  // route when `tiers` still has its tier, and is queued to escalate when
  // that tier escalates and it has not yet.
  void RestoreOpenAlert(Account& account, uint32_t rule_index, const Rule& rule,
                        const std::vector<RoutingTier>& tiers, const Alert& alert);

  // Switches the shard from its rules to `new_set`. Open alerts follow
  // their rule by name when a rule of that name and kind remains; the others
  // are closed and returned as resolved. The caller then evaluates every
  // account, which also reschedules the deadlines for the new rules.
  std::vector<Alert> RemapRules(RuleSet new_set, int64_t now_ms);

  // Copies one account's aggregates as of `now_ms`.
  AccountView View(const Account& account, const ViewInput& input) const;

  // Describes this shard's accounts with at least one firing alert that
  // rank after `after`, or all of them without a cursor, in no order.
  std::vector<AtRiskAccount> ListAtRisk(const std::optional<AtRiskCursor>& after) const;

  size_t size() const { return accounts_.size(); }

  // Marks the shard as owed to a snapshot of its state as of now: the
  // accounts and the name table size it has. Until the section is complete,
  // AddEvent saves an account that existed at the mark, and that no part
  // contains yet, before its first change. Nothing else changes what a snapshot
  // encodes: names are only appended, so ids at the mark stay valid, and
  // evaluation changes only open alerts and deadlines, which snapshots do
  // not contain. Drops what an unfinished snapshot kept.
  void MarkSnapshotOwed();

  // Encodes the next part of the section owed since MarkSnapshotOwed, or of
  // the current state without a mark, into `part`. The first part starts
  // with the names and the account count. Each part has the accounts saved
  // since the last one, then at most `max_accounts` more in the order they
  // were added. Returns true on the last part, which carries the section's
  // counts and clears the mark. The lock may be released between parts.
  bool TakeSnapshotPart(size_t max_accounts, SnapshotSection* part);

  // Accounts evaluated by Evaluate, and deadline heap entries popped by
  // EvaluateDue, since the shard was created. See EvaluationStats.
  uint64_t evaluations() const { return evaluations_; }
  uint64_t deadline_pops() const { return deadline_pops_; }

  // Events AddEvent added without counting their name, because a name
  // limit was reached, since the shard was created.
  uint64_t uncounted_name_events() const { return uncounted_name_events_; }

  std::mutex mu;

 private:
  friend class SnapshotCodec;

  // The pending snapshot's record of this shard, from MarkSnapshotOwed to
  // the last TakeSnapshotPart.
  struct OwedSnapshot {
    // A constructor instead of member defaults, because clang 14 does not
    // see a nested struct with member defaults as default-constructible
    // inside its own enclosing class, and std::optional::emplace needs it.
    OwedSnapshot(size_t name_count, size_t account_count)
        : names(name_count), accounts(account_count) {}

    size_t names;          // name table size at the mark
    size_t accounts;       // account count at the mark
    bool started = false;  // true once a part has written the names and the count
    size_t next = 0;       // index of the next account a part encodes or skips
    // Encodings of the accounts changed since the last part, taken before
    // their first change since the mark, one after another.
    std::string saved_bytes;
    size_t saved = 0;  // accounts saved since the mark
  };

  // Saves the encoding of `account` for the owed snapshot before its first
  // change since the mark, unless a part already contains it.
  void SaveBeforeChange(Account& account);

  // Sets the name id of an event named `name` and the names its account may
  // count (see NameLimits). A rule's name is always counted and takes no
  // slot of either limit. Another name is counted when the account counts
  // it already. Failing that, the account needs fewer than per_account names
  // besides rules' names, and a name new to the shard needs room in the
  // table too. A name that its account cannot count is not added to the
  // table, so an account at its limit does not fill it for the others.
  void ResolveName(std::string_view name, const AccountState& state, EventFacts* facts);
  // Returns true when a rule of this shard counts events named `name_id`.
  bool IsRuleName(uint32_t name_id) const;
  // Distinct names `state` may hold: per_account plus its rules' names.
  uint32_t AccountNameBound(const AccountState& state) const;

  std::optional<Alert> Transition(Account& account, uint32_t rule_index, const EvalScope& scope);
  void Schedule(Account& account, const EvalScope& scope);
  // Adds `account` to at_risk_ when one of its open alerts is firing, and
  // removes it otherwise.
  void UpdateAtRisk(Account& account);

  AccountTable accounts_;
  NameTable names_;
  DeadlineQueue<Account> deadlines_;
  // Accounts with a firing alert, so the at-risk list does not scan every
  // account. Accounts are never erased, so the pointers stay valid.
  std::unordered_set<Account*> at_risk_;
  RuleSet rules_;
  // Name ids of each rule's `events`, indexed like rules_.
  std::vector<std::vector<uint32_t>> rule_event_ids_;
  // The same ids, sorted and unique: names every account counts without
  // taking a slot of either limit, so a rule counts all its events.
  std::vector<uint32_t> rule_name_ids_;
  NameLimits name_limits_;
  uint64_t evaluations_ = 0;
  uint64_t deadline_pops_ = 0;
  uint64_t uncounted_name_events_ = 0;
  std::optional<OwedSnapshot> owed_;
  // Raised by every MarkSnapshotOwed. An account whose snapshot generation
  // equals it was created after the mark, or is encoded or saved already.
  uint32_t snapshot_generation_ = 0;
};

}  // namespace uptake

#endif  // UPTAKE_METRICS_ACCOUNT_SHARD_H_
