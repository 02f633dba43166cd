#include "metrics/account_shard.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <utility>

#include "metrics/alert_template.h"
#include "metrics/priority.h"
#include "metrics/rule_eval.h"

namespace uptake {

namespace {

// One rule evaluated on one account at one time.
struct Step {
  const Rule& rule;
  const std::vector<RoutingTier>& tiers;
  std::string_view account_id;
  int64_t now_ms;
  const Segment* segment;      // the account's segment of the rule, or nullptr
  const MergedTraits* traits;  // the account's traits, or nullptr
};

std::map<std::string, std::string> RenderAnnotations(
    const Alert& alert, const std::map<std::string, std::string>& templates) {
  const TemplateValues values{alert.account_id, alert.rule,      SeverityName(alert.severity),
                              alert.observed,   alert.threshold, AlertStateName(alert.state)};
  std::map<std::string, std::string> annotations;
  for (const auto& [key, text] : templates) {
    annotations.emplace(key, RenderTemplate(text, values));
  }
  return annotations;
}

// The tier of `open`, or nullptr when it has none.
const RoutingTier* TierOf(const OpenAlert& open, const std::vector<RoutingTier>& tiers) {
  if (open.tier < 0 || static_cast<size_t>(open.tier) >= tiers.size()) return nullptr;
  return &tiers[open.tier];
}

// Fixes the route of an alert that fires now: the account's tier, and its
// first step. An owner step for an account without an owner goes to the
// pool, so the alert still reaches a person.
void StartRoute(const Step& step, OpenAlert& open) {
  open.tier = MatchTier(step.tiers, step.traits);
  const RoutingTier* tier = TierOf(open, step.tiers);
  if (tier == nullptr) return;
  open.first_step = tier->action;
  if (tier->action != RouteAction::kOwner) return;
  if (step.traits && step.traits->owner()) {
    open.first_owner = *step.traits->owner();
  } else {
    open.first_step = RouteAction::kPool;
  }
}

// Writes the tier and delivery steps of `open` onto `alert`.
void AddRoute(const OpenAlert& open, const std::vector<RoutingTier>& tiers, Alert& alert) {
  const RoutingTier* tier = TierOf(open, tiers);
  if (!open.firing || tier == nullptr) return;
  alert.tier = tier->name;
  alert.route.push_back(
      {RouteActionName(open.first_step), open.fired_at_ms, open.first_owner, tier->webhooks});
  if (open.escalated_at_ms != 0 && tier->escalation) {
    alert.route.push_back({"escalated", open.escalated_at_ms, "", tier->escalation->webhooks});
  }
  alert.escalated_at_ms = open.escalated_at_ms;
}

// Returns when a firing alert whose breach continues escalates, or
// kNoDeadline when its tier does not escalate or it already has.
int64_t EscalationDueMs(const OpenAlert& open, const std::vector<RoutingTier>& tiers) {
  const RoutingTier* tier = TierOf(open, tiers);
  if (!open.firing || open.breach_ended_ms || open.escalated_at_ms != 0 || tier == nullptr ||
      !tier->escalation) {
    return kNoDeadline;
  }
  return open.fired_at_ms + tier->escalation->after_ms;
}

// Builds the change of `open` to `state`, as the alert the caller returns.
Alert MakeAlert(const Step& step, Verdict verdict, const OpenAlert& open, AlertState state) {
  Alert alert;
  alert.id = open.id;
  alert.rule = step.rule.name;
  alert.kind = step.rule.kind;
  alert.account_id = std::string(step.account_id);
  alert.severity = step.rule.severity;
  alert.state = state;
  alert.observed = verdict.observed;
  alert.threshold = verdict.threshold;
  alert.summary = std::move(verdict.summary);
  alert.evidence = std::move(verdict.evidence);
  alert.labels = step.rule.labels;
  if (step.segment != nullptr) alert.labels.insert_or_assign("segment", step.segment->name);
  const std::optional<double> arr = step.traits ? step.traits->arr() : std::nullopt;
  alert.priority = AlertPriority(step.rule.severity, arr);
  if (step.traits && step.traits->owner()) alert.owner = *step.traits->owner();
  alert.annotations = RenderAnnotations(alert, step.rule.annotations);
  if (auto it = alert.annotations.find("summary"); it != alert.annotations.end()) {
    alert.summary = it->second;
  }
  AddRoute(open, step.tiers, alert);
  alert.active_since_ms = open.active_since_ms;
  alert.fired_at_ms = open.fired_at_ms;
  alert.resolved_at_ms = state == AlertState::kResolved ? step.now_ms : 0;
  alert.updated_at_ms = step.now_ms;
  return alert;
}

// Opens an episode for a breach first seen now. It fires at once when the
// rule's `for` is 0, else it waits as pending.
OpenAlert StartEpisode(const Step& step, uint32_t rule_index, uint64_t id) {
  const bool firing = step.rule.for_ms == 0;
  OpenAlert open{
      .rule_index = rule_index,
      .id = id,
      .firing = firing,
      .active_since_ms = step.now_ms,
      .fired_at_ms = firing ? step.now_ms : 0,
  };
  if (firing) StartRoute(step, open);
  return open;
}

// Applies one verdict to an open alert. Returns the state to report when it
// changed, or nullopt. On kResolved the caller removes `open`. For a pending
// alert, kResolved means the breach ended before `for` elapsed.
std::optional<AlertState> Advance(const Step& step, const Verdict& verdict, OpenAlert& open) {
  if (verdict.breach) {
    // A breach back within keep_firing_for continues the same episode.
    open.breach_ended_ms.reset();
    if (open.firing) {
      // Usage has not recovered since the first step: escalate once due.
      if (step.now_ms < EscalationDueMs(open, step.tiers)) return std::nullopt;
      open.escalated_at_ms = step.now_ms;
      return AlertState::kFiring;
    }
    if (step.now_ms < open.active_since_ms + step.rule.for_ms) return std::nullopt;
    open.firing = true;
    open.fired_at_ms = step.now_ms;
    StartRoute(step, open);
    return AlertState::kFiring;
  }

  // Undecided data neither confirms a pending breach nor ends a firing one.
  if (verdict.undecided) return std::nullopt;
  if (!open.firing) return AlertState::kResolved;
  if (!open.breach_ended_ms) open.breach_ended_ms = step.now_ms;
  if (step.now_ms < *open.breach_ended_ms + step.rule.keep_firing_for_ms) return std::nullopt;
  return AlertState::kResolved;
}

// Returns when `open` changes state by the passing of time alone, or
// kNoDeadline. A pending alert whose `for` elapsed while undecided waits
// for a verdict that some other deadline or event brings.
int64_t OpenAlertDueMs(const Rule& rule, const std::vector<RoutingTier>& tiers,
                       const OpenAlert& open, int64_t now_ms) {
  int64_t due = kNoDeadline;
  if (!open.firing) {
    due = open.active_since_ms + rule.for_ms;
  } else if (open.breach_ended_ms) {
    due = *open.breach_ended_ms + rule.keep_firing_for_ms;
  } else {
    due = EscalationDueMs(open, tiers);
  }
  return due > now_ms ? due : kNoDeadline;
}

// Feature masks are 64 bits wide and FeatureUse keeps the index in a byte.
int FeatureIndex(const Event& event, const Catalog& catalog) {
  const int feature = event.feature >= 0 ? event.feature : catalog.FeatureOf(event.name);
  const bool valid = feature >= 0 && static_cast<size_t>(feature) < catalog.size() &&
                     static_cast<size_t>(feature) < Catalog::kMaxFeatures;
  return valid ? feature : -1;
}

// Describes an account with a firing alert, ranked by its current ARR.
AtRiskAccount DescribeAtRisk(const AccountShard::Account& account, const std::vector<Rule>& rules) {
  const MergedTraits* traits = account.second.traits();
  AtRiskAccount entry;
  entry.account_id = account.first;
  if (traits != nullptr) {
    entry.plan = traits->plan();
    entry.arr = traits->arr();
    entry.owner = traits->owner();
  }

  std::vector<OpenAlert> firing;
  for (const OpenAlert& open : account.second.open_alerts()) {
    if (open.firing) firing.push_back(open);
  }
  std::sort(firing.begin(), firing.end(),
            [](const OpenAlert& a, const OpenAlert& b) { return a.id < b.id; });
  for (const OpenAlert& open : firing) {
    const Rule& rule = rules[open.rule_index];
    entry.priority = std::max(entry.priority, AlertPriority(rule.severity, entry.arr));
    entry.open_alerts.push_back({open.id, rule.name, rule.severity, open.fired_at_ms});
  }
  return entry;
}

// Takes back the route stored on a firing alert: the tier by name, so a
// tier renamed or removed since leaves the alert without escalation.
void RestoreRoute(const Alert& alert, const std::vector<RoutingTier>& tiers, OpenAlert& open) {
  for (size_t i = 0; i < tiers.size(); ++i) {
    if (tiers[i].name == alert.tier) open.tier = static_cast<int32_t>(i);
  }
  if (open.tier < 0 || alert.route.empty()) {
    open.tier = -1;
    return;
  }
  const RouteStep& first = alert.route.front();
  for (RouteAction action : {RouteAction::kNudge, RouteAction::kOwner, RouteAction::kPool}) {
    if (first.step == RouteActionName(action)) open.first_step = action;
  }
  open.first_owner = first.owner;
  open.escalated_at_ms = alert.escalated_at_ms;
}

bool IsEvaluated(std::string_view account_id) { return account_id != kUnattributedAccount; }

void Append(std::vector<Alert>& to, std::vector<Alert> from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

void AccountShard::Init(RuleSet rules) {
  rules_ = std::move(rules);
  rule_event_ids_.clear();
  rule_name_ids_.clear();
  for (const Rule& rule : *rules_) {
    std::vector<uint32_t> ids;
    for (const std::string& name : rule.events) {
      ids.push_back(names_.Intern(name));
    }
    rule_name_ids_.insert(rule_name_ids_.end(), ids.begin(), ids.end());
    rule_event_ids_.push_back(std::move(ids));
  }
  std::sort(rule_name_ids_.begin(), rule_name_ids_.end());
  rule_name_ids_.erase(std::unique(rule_name_ids_.begin(), rule_name_ids_.end()),
                       rule_name_ids_.end());
}

AccountShard::Account* AccountShard::Find(std::string_view account_id) {
  return accounts_.Find(account_id, StringHash{}(account_id));
}

const AccountShard::Account* AccountShard::Find(std::string_view account_id) const {
  return accounts_.Find(account_id, StringHash{}(account_id));
}

AccountShard::Account& AccountShard::AddEvent(const Event& event, const Catalog& catalog) {
  std::string_view account_id = event.account_id;
  if (account_id.empty()) {
    account_id = kUnattributedAccount;
  }
  return AddEvent(event, catalog, std::hash<std::string_view>{}(account_id));
}

AccountShard::Account& AccountShard::AddEvent(const Event& event, const Catalog& catalog,
                                              size_t account_hash) {
  std::string_view account_id = event.account_id;
  if (account_id.empty()) {
    account_id = kUnattributedAccount;
  }
  Account* account = accounts_.Find(account_id, account_hash);
  if (account == nullptr) {
    std::string id(account_id);
    AccountState state;
    account = accounts_.TryEmplace(id, account_hash, state).first;
    account->second.set_snapshot_generation(snapshot_generation_);
  } else if (owed_) {
    SaveBeforeChange(*account);
  }

  EventFacts facts;
  ResolveName(event.name, account->second, &facts);
  facts.feature = FeatureIndex(event, catalog);
  facts.login = catalog.IsLogin(event.name);
  if (!account->second.Add(event, facts)) ++uncounted_name_events_;
  return *account;
}

bool AccountShard::IsRuleName(uint32_t name_id) const {
  return std::binary_search(rule_name_ids_.begin(), rule_name_ids_.end(), name_id);
}

uint32_t AccountShard::AccountNameBound(const AccountState& state) const {
  const std::vector<NameCount>& counts = state.counts();
  if (counts.size() < name_limits_.per_account) return name_limits_.per_account;
  // The account is full unless some of its names are rules' names, which
  // take no slot. Only accounts at the limit pay for this scan.
  uint32_t rule_names = 0;
  for (const NameCount& entry : counts) rule_names += IsRuleName(entry.name_id) ? 1 : 0;
  return name_limits_.per_account + rule_names;
}

void AccountShard::ResolveName(std::string_view name, const AccountState& state,
                               EventFacts* facts) {
  uint32_t id = names_.Find(name);
  if (id != kUncountedName && IsRuleName(id)) {
    facts->name_id = id;
    facts->max_names = std::numeric_limits<uint32_t>::max();
    return;
  }

  const uint32_t bound = AccountNameBound(state);
  if (id == kUncountedName) {
    // Rules' names are all in the table, so the other names in it are the
    // table's size less the rules' names.
    const bool account_has_room = state.counts().size() < bound;
    const bool table_has_room = names_.size() < name_limits_.per_shard + rule_name_ids_.size();
    if (account_has_room && table_has_room) id = names_.Intern(name);
  }
  facts->name_id = id;
  facts->max_names = bound;
}

void AccountShard::MarkSnapshotOwed() {
  ++snapshot_generation_;
  owed_.emplace(names_.size(), accounts_.size());
}

bool AccountShard::TakeSnapshotPart(size_t max_accounts, SnapshotSection* part) {
  if (!owed_) MarkSnapshotOwed();
  const bool last = SnapshotCodec::EncodeSectionPart(*this, max_accounts, part);
  if (last) owed_.reset();
  return last;
}

void AccountShard::SaveBeforeChange(Account& account) {
  if (account.second.snapshot_generation() == snapshot_generation_) return;
  account.second.set_snapshot_generation(snapshot_generation_);
  SnapshotCodec::AppendAccount(account, owed_->saved_bytes);
  ++owed_->saved;
}

std::vector<Alert> AccountShard::Evaluate(Account& account, const EvalScope& scope) {
  std::vector<Alert> alerts;
  if (!IsEvaluated(account.first)) {
    return alerts;
  }

  ++evaluations_;
  const std::vector<Rule>& rules = *rules_;
  for (uint32_t i = 0; i < rules.size(); ++i) {
    if (account.second.event_count() < rules[i].min_account_events) {
      continue;
    }
    std::optional<Alert> change = Transition(account, i, scope);
    if (change.has_value()) {
      alerts.push_back(std::move(*change));
    }
  }

  Schedule(account, scope);
  UpdateAtRisk(account);
  return alerts;
}

std::vector<Alert> AccountShard::EvaluateDue(const EvalScope& scope) {
  std::vector<Alert> alerts;
  while (deadlines_.HasDue(scope.now_ms)) {
    auto [due_ms, account] = deadlines_.Pop();
    ++deadline_pops_;
    AccountState& state = account->second;
    if (due_ms != state.queued_due_ms) {
      continue;  // superseded by an entry pushed after it
    }

    state.queued_due_ms = kNoDeadline;
    if (state.next_due_ms <= scope.now_ms) {
      Append(alerts, Evaluate(*account, scope));
    } else if (state.next_due_ms != kNoDeadline) {
      // The due time moved later after this entry was pushed.
      deadlines_.Push(state.next_due_ms, account);
      state.queued_due_ms = state.next_due_ms;
    }
  }
  return alerts;
}

std::vector<Alert> AccountShard::EvaluateEvery(const EvalScope& scope) {
  std::vector<Alert> alerts;
  for (Account& account : accounts_) {
    Append(alerts, Evaluate(account, scope));
  }
  return alerts;
}

void AccountShard::RestoreOpenAlert(Account& account, uint32_t rule_index, const Rule& rule,
                                    const std::vector<RoutingTier>& tiers, const Alert& alert) {
  AccountState& state = account.second;
  if (!IsEvaluated(account.first) || state.FindOpenAlert(rule_index) != nullptr) {
    return;
  }

  // Alerts stored before active_since existed were active from when they fired.
  const int64_t active_since =
      alert.active_since_ms != 0 ? alert.active_since_ms : alert.fired_at_ms;
  const bool firing = alert.state == AlertState::kFiring;
  OpenAlert& open = state.open_alerts().emplace_back(OpenAlert{
      .rule_index = rule_index,
      .id = alert.id,
      .firing = firing,
      .active_since_ms = active_since,
      .fired_at_ms = firing ? alert.fired_at_ms : 0,
  });
  if (firing) RestoreRoute(alert, tiers, open);
  if (firing) UpdateAtRisk(account);

  // The `for` timer resumes from the stored active_since, and an escalation
  // from the stored first step; each must run out even if no later
  // evaluation reschedules this account.
  const int64_t due = firing ? EscalationDueMs(open, tiers) : active_since + rule.for_ms;
  if (due == kNoDeadline) return;
  state.next_due_ms = std::min(state.next_due_ms, due);
  if (due < state.queued_due_ms) {
    deadlines_.Push(due, &account);
    state.queued_due_ms = due;
  }
}

std::optional<Alert> AccountShard::Transition(Account& account, uint32_t rule_index,
                                              const EvalScope& scope) {
  const Rule& rule = (*rules_)[rule_index];
  AccountState& state = account.second;
  // The segment is chosen again at each evaluation, so a trait change in the
  // middle of an episode applies the new thresholds to the same alert.
  const Segment* segment = MatchSegment(rule, state.traits());
  const RuleInput input{scope.catalog, account.first, state, rule_event_ids_[rule_index],
                        scope.now_ms,  segment};
  Verdict verdict = EvaluateRule(rule, input);
  const Step step{rule, scope.tiers, account.first, scope.now_ms, segment, state.traits()};

  std::vector<OpenAlert>& open_alerts = state.open_alerts();
  OpenAlert* open = state.FindOpenAlert(rule_index);
  if (open == nullptr) {
    if (!verdict.breach) return std::nullopt;
    open_alerts.push_back(StartEpisode(step, rule_index, scope.next_alert_id.fetch_add(1)));
    const OpenAlert& started = open_alerts.back();
    const AlertState reported = started.firing ? AlertState::kFiring : AlertState::kPending;
    return MakeAlert(step, std::move(verdict), started, reported);
  }

  const std::optional<AlertState> changed = Advance(step, verdict, *open);
  if (!changed) return std::nullopt;
  Alert alert = MakeAlert(step, std::move(verdict), *open, *changed);
  if (*changed == AlertState::kResolved) {
    open_alerts.erase(open_alerts.begin() + (open - open_alerts.data()));
  }
  return alert;
}

void AccountShard::Schedule(Account& account, const EvalScope& scope) {
  AccountState& state = account.second;
  state.next_due_ms = kNoDeadline;
  const std::vector<Rule>& rules = *rules_;
  for (const Rule& rule : rules) {
    if (state.event_count() >= rule.min_account_events) {
      const Segment* segment = MatchSegment(rule, state.traits());
      state.next_due_ms =
          std::min(state.next_due_ms, NextDueMs(rule, segment, state, scope.now_ms));
    }
  }
  for (const OpenAlert& open : state.open_alerts()) {
    const Rule& rule = rules[open.rule_index];
    state.next_due_ms =
        std::min(state.next_due_ms, OpenAlertDueMs(rule, scope.tiers, open, scope.now_ms));
  }

  // An earlier entry already queued pops first and re-pushes the later time,
  // so only a due time that moved earlier needs a new heap entry.
  if (state.next_due_ms < state.queued_due_ms) {
    deadlines_.Push(state.next_due_ms, &account);
    state.queued_due_ms = state.next_due_ms;
  }
}

void AccountShard::UpdateAtRisk(Account& account) {
  const std::vector<OpenAlert>& open_alerts = account.second.open_alerts();
  const bool firing = std::any_of(open_alerts.begin(), open_alerts.end(),
                                  [](const OpenAlert& open) { return open.firing; });
  if (firing) {
    at_risk_.insert(&account);
  } else {
    at_risk_.erase(&account);
  }
}

std::vector<AtRiskAccount> AccountShard::ListAtRisk(
    const std::optional<AtRiskCursor>& after) const {
  std::vector<AtRiskAccount> accounts;
  for (Account* account : at_risk_) {
    AtRiskAccount entry = DescribeAtRisk(*account, *rules_);
    if (after &&
        !RanksBefore(after->priority, after->account_id, entry.priority, entry.account_id)) {
      continue;
    }
    accounts.push_back(std::move(entry));
  }
  return accounts;
}

}  // namespace uptake
