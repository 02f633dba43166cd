// Rule reload for one shard: open alerts follow their rule by name.

#include <unordered_map>
#include <utility>

#include "metrics/account_shard.h"

namespace uptake {
namespace {

Alert ClosedByRemoval(const AccountShard::Account& account, const Rule& rule, const OpenAlert& open,
                      int64_t now_ms) {
  Alert alert;
  alert.id = open.id;
  alert.rule = rule.name;
  alert.kind = rule.kind;
  alert.account_id = account.first;
  alert.severity = rule.severity;
  alert.state = AlertState::kResolved;
  alert.labels = rule.labels;
  alert.summary = "Rule " + rule.name + " was removed from the configuration, so the alert on " +
                  account.first + " is closed.";
  alert.active_since_ms = open.active_since_ms;
  // Zero for a pending alert, which was never notified.
  alert.fired_at_ms = open.fired_at_ms;
  alert.resolved_at_ms = now_ms;
  alert.updated_at_ms = now_ms;
  return alert;
}

}  // namespace

std::vector<Alert> AccountShard::RemapRules(RuleSet new_set, int64_t now_ms) {
  // Held until the open alerts are remapped, because once every shard has
  // switched this may be the last reference to the old set.
  const RuleSet old_set = rules_;
  Init(std::move(new_set));
  const std::vector<Rule>& old_rules = *old_set;
  const std::vector<Rule>& new_rules = *rules_;

  // A rule keeps its alerts when a rule of the same name and kind remains.
  // Its thresholds may change, so the next evaluation judges them anew.
  std::unordered_map<std::string, uint32_t> new_index;
  for (uint32_t i = 0; i < new_rules.size(); ++i) new_index[new_rules[i].name] = i;

  std::vector<Alert> closed;
  for (Account& account : accounts_) {
    std::vector<OpenAlert>& open_alerts = account.second.open_alerts();
    std::vector<OpenAlert> kept;
    for (OpenAlert& open : open_alerts) {
      const Rule& old_rule = old_rules[open.rule_index];
      auto it = new_index.find(old_rule.name);
      if (it != new_index.end() && new_rules[it->second].kind == old_rule.kind) {
        open.rule_index = it->second;
        kept.push_back(open);
      } else {
        closed.push_back(ClosedByRemoval(account, old_rule, open, now_ms));
      }
    }
    open_alerts = std::move(kept);
  }
  return closed;
}

}  // namespace uptake
