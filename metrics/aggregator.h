// Per-account adoption aggregates and rule evaluation, held in memory.

#ifndef UPTAKE_METRICS_AGGREGATOR_H_
#define UPTAKE_METRICS_AGGREGATOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "metrics/account_view.h"
#include "metrics/alert.h"
#include "metrics/at_risk.h"
#include "metrics/catalog.h"
#include "metrics/routing.h"
#include "metrics/rule.h"
#include "metrics/snapshot_codec.h"
#include "proto/event.h"

namespace uptake {

// Counts of rule-evaluation work since the aggregator was created, so tests
// can check that Tick's work follows the due accounts, and so an operator
// endpoint can export them. Each shard counts under the lock it already
// holds, so keeping them costs an increment per evaluation.
struct EvaluationStats {
  // Accounts evaluated: one per account each time Apply, Tick, EvaluateAll
  // or ReplaceRules runs its rules. The unattributed bucket is not counted.
  uint64_t evaluations = 0;
  // Deadline heap entries Tick popped, including stale ones it skipped
  // without evaluating the account.
  uint64_t deadline_pops = 0;
};

// A snapshot begun by Aggregator::BeginSnapshot and not yet finished.
struct PendingSnapshot {
  uint64_t log_position = 0;
};

// Receives the alert changes of one shard step of Aggregator::ReplaceRules,
// in id order and possibly none, while that shard's lock is held.
using ReloadStepSink = std::function<void(std::span<const Alert> changes)>;

// Accounts that Aggregator::FinishSnapshot encodes under one shard lock by
// default. On the 2-core development machine a shard of 15,600 accounts
// took about 24 ms to encode, so a part takes about 1.6 ms at that rate.
inline constexpr size_t kSnapshotPartAccounts = 1024;

// Counts from one Aggregator::FinishSnapshot call.
struct SnapshotSummary {
  size_t accounts = 0;
  // Accounts that Apply or Replay encoded before changing them, because
  // the snapshot had not reached them yet.
  size_t accounts_saved_early = 0;
};

// Owns the aggregates of every account and the open alert of each
// (account, rule) pair. Accounts are split over shards, each with its own
// mutex, so concurrent callers touching different accounts do not contend.
//
// No clock of its own: every call that evaluates rules takes `now_ms`, so
// tests and the event clock control time. All methods are thread-safe.
class Aggregator {
 public:
  // `tiers` is the routing policy, fixed for the aggregator's life: each
  // alert that fires takes the first tier its account matches, and a
  // firing alert whose breach continues for the tier's escalation delay after
  // it fired is returned again, still kFiring, with escalated_at_ms set.
  // Default: no tiers, so alerts carry no route and never escalate.
  // `name_limits` bounds the event names each account and each shard
  // count one by one (see NameLimits).
  Aggregator(Catalog catalog, std::vector<Rule> rules, std::vector<RoutingTier> tiers = {},
             NameLimits name_limits = {});
  ~Aggregator();

  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;

  // Adds stored events (each with account_id and feature set) to their
  // accounts, then evaluates every rule on the accounts they touched at
  // `now_ms`. Returns the alerts that changed state, in id order:
  //  - kPending: a breach began on a rule whose `for` is not 0. The caller
  //    stores it, so a restart resumes it, but sends no notification.
  //  - kFiring: a breach began on a rule with `for` 0, or a pending alert's
  //    breach held for `for`. The id is the pending alert's, if it had one.
  //  - kFiring again, with escalated_at_ms now: the alert escalated (see
  //    the constructor).
  //  - kResolved: a firing alert's breach ended, and stayed away for the
  //    rule's keep_firing_for. Also a pending alert whose breach ended
  //    before `for` elapsed, with fired_at_ms 0, which was never notified.
  // A breach after a resolve starts a new alert with a new id.
  std::vector<Alert> Apply(std::span<const Event> events, int64_t now_ms);
  // As above, for events gathered from several lists, such as the requests
  // of one shared commit.
  std::vector<Alert> Apply(std::span<const Event* const> events, int64_t now_ms);

  // Adds one stored event without evaluating rules. Used while rebuilding
  // from the event log at startup.
  void Replay(const Event& event);

  // Reinstates an alert read back from storage. A firing or pending alert
  // becomes the open alert of its (account, rule), so the episode keeps its
  // id and active_since and is not reported again until it changes state.
  // A pending alert fires at active_since plus the rule's `for` if its
  // breach still holds. Resolved ones are ignored. Ids issued later are
  // greater than `alert.id`.
  // NOTE: the time a firing alert's breach ended is not stored, so after a
  // restart its keep_firing_for window starts again at the first
  // evaluation without a breach.
  void RestoreAlert(const Alert& alert);

  // Evaluates every rule on every account once. Used after a rebuild;
  // ordinary operation uses Apply and Tick.
  std::vector<Alert> EvaluateAll(int64_t now_ms);

  // Evaluates the accounts whose next time-driven change is due at or
  // before `now_ms`, and returns changes as Apply does. Such a change is an
  // inactivity limit reached, an age threshold passed, a day boundary for
  // login windows, or a pending alert's `for` or a firing alert's
  // keep_firing_for elapsed, or a firing alert due to escalate. Cost is
  // proportional to the number of due accounts, not to the number of
  // accounts.
  std::vector<Alert> Tick(int64_t now_ms);

  // Replaces the rules while the server runs. Open alerts of a rule that
  // keeps its name and kind stay open with their ids; those of removed
  // rules are returned resolved. Every account is then evaluated under the
  // new rules at `now_ms`, and the resulting changes are returned too, in
  // id order.
  //
  // Works through the shards one at a time, each under its own lock only.
  // In each step the shard switches to the new rules, remaps its open
  // alerts and evaluates its accounts. Then the step passes its changes to
  // `on_step` (when set) and releases the lock. Calls on other shards run
  // meanwhile, so until the reload returns some shards evaluate under the
  // old rules and some under the new, though each call into one shard uses
  // one set. A caller that records the changes in `on_step` records them
  // before any later change of the same alerts can be computed. `on_step`
  // must not wait for a call into the shard whose lock it runs under.
  // Concurrent reloads run one after the other.
  std::vector<Alert> ReplaceRules(std::vector<Rule> rules, int64_t now_ms,
                                  const ReloadStepSink& on_step = {});

  // Returns a copy of one account's aggregates as of `now_ms`, or nullopt
  // for an account with no events.
  std::optional<AccountView> View(std::string_view account_id, int64_t now_ms) const;

  // Returns up to `limit` accounts with at least one firing alert, ranked
  // by priority (highest first, ties by account id), starting after
  // `after`, or from the top without a cursor. Page.next is set when more
  // accounts follow. Priorities come from the current traits, so an ARR
  // change between two pages can move an account across the cursor. Cost
  // is proportional to the number of such accounts, not of all accounts.
  // During a reload, accounts of shards already reloaded are described
  // under the new rules and the others under the old.
  AtRiskPage ListAtRisk(const std::optional<AtRiskCursor>& after, size_t limit) const;

  size_t account_count() const;

  // Starts a snapshot of every account's aggregates (not open alerts or
  // deadlines) as they are now, to be recorded with `log_position`. Holds
  // every shard lock only to mark each shard as owed, which costs no
  // encoding. Afterwards Apply and Replay encode an account of a shard
  // still owed before its first change, under the shard's lock, so the
  // snapshot shows each account as it was here. The caller keeps Apply and
  // Replay from running during this call when a batch must not be split
  // (the server's snapshot gate does), and passes the result to
  // FinishSnapshot before beginning another snapshot.
  [[nodiscard]] PendingSnapshot BeginSnapshot(uint64_t log_position) const;

  // Writes the snapshot to `sink`: the state at BeginSnapshot, in the
  // format LoadSnapshot reads. Encodes one shard at a time, in parts of at
  // most `part_accounts` accounts, each part under the shard's lock. Calls
  // `sink` with no lock held. Returns what it wrote.
  SnapshotSummary FinishSnapshot(const PendingSnapshot& pending, const SnapshotSink& sink,
                                 size_t part_accounts = kSnapshotPartAccounts) const;

  // Begins and finishes a snapshot in one call, and returns the number of
  // accounts written.
  size_t WriteSnapshot(uint64_t log_position, const SnapshotSink& sink) const;

  // Adds the accounts of a snapshot written by WriteSnapshot. Requires an
  // aggregator with no accounts. Returns false with `error` set when the
  // snapshot is truncated, malformed, of another format version, or was
  // written under another catalog (see AggregateFingerprint). On failure
  // some accounts may have been added, so the caller discards this
  // aggregator and builds a new one.
  bool LoadSnapshot(const SnapshotSource& source, SnapshotInfo* info, std::string* error);

  // Sums the shards' counters. Locks each shard in turn, so a call running
  // beside Apply or Tick may count only part of their work.
  EvaluationStats evaluation_stats() const;

  // Events added without counting their name, because a NameLimits bound
  // was reached, since the aggregator was created. Locks each shard in turn.
  uint64_t uncounted_name_events() const;

  const Catalog& catalog() const { return catalog_; }

 private:
  struct Shard;

  Shard& ShardFor(std::string_view account_id) const;

  const Catalog catalog_;
  const std::vector<RoutingTier> tiers_;
  // Held by ReplaceRules for its whole run, and taken before any shard
  // lock, so one reload never overtakes another between two shards. The
  // rules themselves belong to each shard (AccountShard::rules).
  std::mutex reload_mu_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<uint64_t> next_alert_id_{1};
};

}  // namespace uptake

#endif  // UPTAKE_METRICS_AGGREGATOR_H_
