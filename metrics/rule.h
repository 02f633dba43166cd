// Churn rules: which leading indicator to watch and the threshold that
// counts as a breach.

#ifndef UPTAKE_METRICS_RULE_H_
#define UPTAKE_METRICS_RULE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace uptake {

enum class RuleKind {
  // Fewer than `min_features` catalog features used within the first
  // `days` days after the account's start; decided once the account is
  // `days` days old.
  kFeatureAdoption,
  // The summed lifetime count of `events` is below `min_count` once the
  // account is `days` days old.
  kEventCount,
  // No event (or, with `logins_only`, no login) for more than `days` days.
  // Fires from the passing of time alone.
  kInactivity,
  // Logins in the last 7 days are below `percent` % of the 7 days before,
  // considered only when the earlier week had at least `min_baseline`
  // logins.
  kLoginDrop,
};

enum class Severity { kInfo, kWarning, kCritical };

// The conditions on an account's traits that put it in a segment. Every
// condition that is set must hold, and config validation requires one.
struct SegmentMatch {
  std::optional<std::string> plan;     // the plan trait equals this, case-sensitive
  std::optional<double> arr_at_least;  // the ARR trait is set and at least this
};

// Thresholds of a rule for the accounts of one segment, for example a
// shorter inactivity limit for enterprise accounts. An unset threshold
// keeps the rule's value. Each is one of the rule's kind's keys.
struct Segment {
  std::string name;  // unique within the rule, put on alerts as label "segment"
  SegmentMatch match;
  std::optional<int> days;
  std::optional<int> min_features;
  std::optional<int64_t> min_count;
  std::optional<double> percent;
  std::optional<int64_t> min_baseline;
};

struct Rule {
  std::string name;  // unique, used in alerts and API responses
  RuleKind kind = RuleKind::kInactivity;
  Severity severity = Severity::kWarning;

  int days = 0;                     // kFeatureAdoption, kEventCount, kInactivity
  int min_features = 0;             // kFeatureAdoption
  std::vector<std::string> events;  // kEventCount
  int64_t min_count = 0;            // kEventCount
  bool logins_only = false;         // kInactivity
  double percent = 0;               // kLoginDrop
  int64_t min_baseline = 1;         // kLoginDrop

  // Accounts with fewer lifetime events are too small to judge and are not
  // evaluated by this rule. Default: 0, every account.
  int64_t min_account_events = 0;

  // How long a breach must hold before its alert fires, in milliseconds.
  // Until then the alert is kPending, and it is dropped if the breach ends
  // first. Default: 0, the alert fires on the first breach.
  int64_t for_ms = 0;

  // How long a firing alert stays firing after its breach ends, in
  // milliseconds. A breach that returns within this time continues the same
  // alert. Default: 0, the alert resolves as soon as the breach ends.
  int64_t keep_firing_for_ms = 0;

  // Copied to every alert of the rule. Default: empty.
  std::map<std::string, std::string> labels;

  // Templates rendered into each alert's annotations; see alert_template.h
  // for the placeholders. A "summary" entry also replaces Alert::summary.
  // Default: empty.
  std::map<std::string, std::string> annotations;

  // Per-segment thresholds. For each account the first segment whose match
  // holds on the account's current traits overrides the thresholds above,
  // and its name is added to the alert's labels as "segment". Default:
  // empty, every account uses the rule's thresholds.
  std::vector<Segment> segments;
};

const char* RuleKindName(RuleKind kind);      // "feature_adoption", ...
const char* SeverityName(Severity severity);  // "info", "warning", "critical"

}  // namespace uptake

#endif  // UPTAKE_METRICS_RULE_H_
