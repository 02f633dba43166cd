#include "metrics/account_shard.h"

#include <algorithm>
#include <iterator>

#include "metrics/rule_eval.h"

namespace uptake {

namespace {

// The identity and timestamps of one alert change.
struct AlertStamp {
  uint64_t id;
  AlertState state;
  int64_t fired_at_ms;
  int64_t resolved_at_ms;
  int64_t updated_at_ms;
};

Alert MakeAlert(const Rule& rule, std::string_view account_id, Verdict verdict,
                const AlertStamp& stamp) {
  Alert alert;
  alert.id = stamp.id;
  alert.rule = rule.name;
  alert.kind = rule.kind;
  alert.account_id = std::string(account_id);
  alert.severity = rule.severity;
  alert.state = stamp.state;
  alert.observed = verdict.observed;
  alert.threshold = verdict.threshold;
  alert.summary = std::move(verdict.summary);
  alert.evidence = std::move(verdict.evidence);
  alert.fired_at_ms = stamp.fired_at_ms;
  alert.resolved_at_ms = stamp.resolved_at_ms;
  alert.updated_at_ms = stamp.updated_at_ms;
  return alert;
}

// Feature masks are 64 bits wide and FeatureUse keeps the index in a byte.
int FeatureIndex(const Event& event, const Catalog& catalog) {
  const int feature = event.feature >= 0 ? event.feature : catalog.FeatureOf(event.name);
  const bool valid = feature >= 0 && static_cast<size_t>(feature) < catalog.size() &&
                     static_cast<size_t>(feature) < Catalog::kMaxFeatures;
  return valid ? feature : -1;
}

bool IsEvaluated(std::string_view account_id) { return account_id != kUnattributedAccount; }

void Append(std::vector<Alert>& to, std::vector<Alert> from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

void AccountShard::Init(const std::vector<Rule>& rules) {
  rule_event_ids_.clear();
  for (const Rule& rule : rules) {
    std::vector<uint32_t> ids;
    for (const std::string& name : rule.events) {
      ids.push_back(names_.Intern(name));
    }
    rule_event_ids_.push_back(std::move(ids));
  }
}

AccountShard::Account* AccountShard::Find(std::string_view account_id) {
  auto it = accounts_.find(account_id);
  return it == accounts_.end() ? nullptr : &*it;
}

const AccountShard::Account* AccountShard::Find(std::string_view account_id) const {
  auto it = accounts_.find(account_id);
  return it == accounts_.end() ? nullptr : &*it;
}

AccountShard::Account& AccountShard::AddEvent(const Event& event, const Catalog& catalog) {
  std::string_view account_id = event.account_id;
  if (account_id.empty()) {
    account_id = kUnattributedAccount;
  }
  auto it = accounts_.find(account_id);
  if (it == accounts_.end()) {
    it = accounts_.emplace(std::string(account_id), AccountState{}).first;
  }

  EventFacts facts;
  facts.name_id = names_.Intern(event.name);
  facts.feature = FeatureIndex(event, catalog);
  facts.login = catalog.IsLogin(event.name);
  it->second.Add(event, facts);
  return *it;
}

std::vector<Alert> AccountShard::Evaluate(Account& account, const EvalScope& scope) {
  std::vector<Alert> alerts;
  if (!IsEvaluated(account.first)) {
    return alerts;
  }

  for (uint32_t i = 0; i < scope.rules.size(); ++i) {
    if (account.second.event_count() < scope.rules[i].min_account_events) {
      continue;
    }
    std::optional<Alert> change = Transition(account, i, scope);
    if (change.has_value()) {
      alerts.push_back(std::move(*change));
    }
  }

  Schedule(account, scope);
  return alerts;
}

std::vector<Alert> AccountShard::EvaluateDue(const EvalScope& scope) {
  std::vector<Alert> alerts;
  while (deadlines_.HasDue(scope.now_ms)) {
    auto [due_ms, account] = deadlines_.Pop();
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

void AccountShard::RestoreOpenAlert(Account& account, uint32_t rule_index, const Alert& alert) {
  AccountState& state = account.second;
  if (!IsEvaluated(account.first) || state.FindOpenAlert(rule_index) != nullptr) {
    return;
  }
  state.open_alerts().push_back({rule_index, alert.id, alert.fired_at_ms});
}

std::optional<Alert> AccountShard::Transition(Account& account, uint32_t rule_index,
                                              const EvalScope& scope) {
  const Rule& rule = scope.rules[rule_index];
  AccountState& state = account.second;
  const RuleInput input{scope.catalog, account.first, state, rule_event_ids_[rule_index],
                        scope.now_ms};
  Verdict verdict = EvaluateRule(rule, input);

  std::vector<OpenAlert>& open_alerts = state.open_alerts();
  OpenAlert* open = state.FindOpenAlert(rule_index);
  if (open == nullptr && verdict.breach) {
    const uint64_t id = scope.next_alert_id.fetch_add(1);
    open_alerts.push_back({rule_index, id, scope.now_ms});
    const AlertStamp stamp{id, AlertState::kFiring, scope.now_ms, 0, scope.now_ms};
    return MakeAlert(rule, account.first, std::move(verdict), stamp);
  }
  if (open != nullptr && !verdict.breach && !verdict.undecided) {
    const AlertStamp stamp{open->id, AlertState::kResolved, open->fired_at_ms, scope.now_ms,
                           scope.now_ms};
    open_alerts.erase(open_alerts.begin() + (open - open_alerts.data()));
    return MakeAlert(rule, account.first, std::move(verdict), stamp);
  }
  return std::nullopt;
}

void AccountShard::Schedule(Account& account, const EvalScope& scope) {
  AccountState& state = account.second;
  state.next_due_ms = kNoDeadline;
  for (const Rule& rule : scope.rules) {
    if (state.event_count() >= rule.min_account_events) {
      state.next_due_ms = std::min(state.next_due_ms, NextDueMs(rule, state, scope.now_ms));
    }
  }

  // An earlier entry already queued pops first and re-pushes the later time,
  // so only a due time that moved earlier needs a new heap entry.
  if (state.next_due_ms < state.queued_due_ms) {
    deadlines_.Push(state.next_due_ms, &account);
    state.queued_due_ms = state.next_due_ms;
  }
}

}  // namespace uptake
