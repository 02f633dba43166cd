// A churn alert: one episode of one rule in breach for one account.

#ifndef UPTAKE_METRICS_ALERT_H_
#define UPTAKE_METRICS_ALERT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "metrics/rule.h"

namespace uptake {

enum class AlertState { kFiring, kResolved };

struct Alert {
  uint64_t id = 0;  // unique across the server's life, increasing
  std::string rule;
  RuleKind kind = RuleKind::kInactivity;
  std::string account_id;
  Severity severity = Severity::kWarning;
  AlertState state = AlertState::kFiring;

  // The indicator's value when the alert last changed, and the rule's
  // threshold, in the rule's unit (features, events, days, or percent).
  double observed = 0;
  double threshold = 0;

  // One sentence a CSM understands, for example "acme has used 2 of 14
  // features in its first 30 days; the rule expects at least 5."
  std::string summary;

  // kFeatureAdoption: the catalog feature ids the account has not used in
  // the window. Empty for the other kinds.
  std::vector<std::string> evidence;

  int64_t fired_at_ms = 0;     // clock time when it fired
  int64_t resolved_at_ms = 0;  // clock time when it resolved; 0 while firing
  int64_t updated_at_ms = 0;   // clock time of the last change
};

const char* AlertStateName(AlertState state);  // "firing", "resolved"

}  // namespace uptake

#endif  // UPTAKE_METRICS_ALERT_H_
