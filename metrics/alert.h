// A churn alert: one episode of one rule in breach for one account.

#ifndef UPTAKE_METRICS_ALERT_H_
#define UPTAKE_METRICS_ALERT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "metrics/rule.h"

namespace uptake {

// kPending: the rule is in breach but has not held for the rule's `for`
// duration yet, so no one is notified. kFiring: notified. kResolved: the
// episode is over; a new breach starts a new alert with a new id.
enum class AlertState { kFiring, kResolved, kPending };

// One delivery step of an alert under the routing policy.
struct RouteStep {
  // "nudge", "owner" or "pool" for the first step, "escalated" for the
  // second.
  std::string step;
  int64_t at_ms = 0;
  std::string owner;                  // the CSM of an "owner" step; else empty
  std::vector<std::string> webhooks;  // the webhooks the step goes to
};

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

  // The rule's labels, copied, and its annotation templates rendered for
  // this account, for example {"summary": "..."}.
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;

  // AlertPriority of the rule's severity and the account's ARR when the
  // alert last changed, 1 to 9; see metrics/priority.h. 0 in alerts stored
  // before priorities existed.
  int priority = 0;
  // The account's CSM from its owner trait when the alert last changed;
  // empty when unknown.
  std::string owner;

  // The routing tier the account was in when the alert fired, and the
  // delivery steps taken so far, oldest first. Empty without a routing
  // policy, and while pending.
  std::string tier;
  std::vector<RouteStep> route;

  // Clock time when a firing alert escalated; 0 when it has not.
  int64_t escalated_at_ms = 0;

  int64_t active_since_ms = 0;  // clock time when the breach began (pending or firing)
  int64_t fired_at_ms = 0;      // clock time when it fired; 0 while pending
  int64_t resolved_at_ms = 0;   // clock time when it resolved; 0 while firing
  int64_t updated_at_ms = 0;    // clock time of the last change

  // Set by POST /v1/alerts/{id}/ack and kept for the rest of the episode.
  std::string acknowledged_by;  // empty while unacknowledged
  std::string acknowledgement_comment;
  int64_t acknowledged_at_ms = 0;
};

const char* AlertStateName(AlertState state);  // "firing", "resolved", "pending"

}  // namespace uptake

#endif  // UPTAKE_METRICS_ALERT_H_
