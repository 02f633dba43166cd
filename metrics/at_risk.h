// The at-risk account list: accounts with at least one firing alert,
// ranked so the most valuable accounts in trouble come first.

#ifndef UPTAKE_METRICS_AT_RISK_H_
#define UPTAKE_METRICS_AT_RISK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/rule.h"

namespace uptake {

// One firing alert of an at-risk account.
struct AtRiskAlert {
  uint64_t id = 0;
  std::string rule;
  Severity severity = Severity::kWarning;
  int64_t fired_at_ms = 0;
};

struct AtRiskAccount {
  std::string account_id;
  // The highest AlertPriority among the firing alerts, from the account's
  // current ARR, so it follows an ARR change before the alerts change state.
  int priority = 0;
  std::optional<std::string> plan;
  std::optional<double> arr;
  std::optional<std::string> owner;
  std::vector<AtRiskAlert> open_alerts;  // firing only, in id order
};

// A position in the ranking: the last account of a page.
struct AtRiskCursor {
  int priority = 0;
  std::string account_id;
};

struct AtRiskPage {
  std::vector<AtRiskAccount> accounts;  // highest priority first, ties by account id
  std::optional<AtRiskCursor> next;     // set when more accounts follow
};

// Returns whether (priority_a, account_a) comes before (priority_b,
// account_b) in the ranking: higher priority first, then account id
// ascending.
inline bool RanksBefore(int priority_a, std::string_view account_a, int priority_b,
                        std::string_view account_b) {
  if (priority_a != priority_b) return priority_a > priority_b;
  return account_a < account_b;
}

}  // namespace uptake

#endif  // UPTAKE_METRICS_AT_RISK_H_
