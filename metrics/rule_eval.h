// Evaluates one churn rule on one account's aggregates at a given time.

#ifndef UPTAKE_METRICS_RULE_EVAL_H_
#define UPTAKE_METRICS_RULE_EVAL_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/account_state.h"
#include "metrics/catalog.h"
#include "metrics/merged_traits.h"
#include "metrics/rule.h"

namespace uptake {

// The outcome of one rule on one account, in the fields an Alert carries.
struct Verdict {
  bool breach = false;
  // The data cannot decide either way, so an open alert stays open and no
  // new one fires. Set by kLoginDrop when the earlier week is below the
  // baseline.
  bool undecided = false;
  double observed = 0;
  double threshold = 0;
  std::string summary;                // a breach when `breach` is set, else a recovery
  std::vector<std::string> evidence;  // kFeatureAdoption only
};

// Everything a rule reads besides the rule itself.
struct RuleInput {
  const Catalog& catalog;
  std::string_view account_id;
  const AccountState& state;
  // Shard name ids of the rule's `events`, for kEventCount.
  std::span<const uint32_t> event_name_ids;
  int64_t now_ms;
  // The account's segment of the rule, from MatchSegment, whose thresholds
  // replace the rule's; nullptr for the rule's own.
  const Segment* segment = nullptr;
};

// Returns whether every condition set in `match` holds on `traits`.
bool SegmentMatches(const SegmentMatch& match, const MergedTraits& traits);

// Returns the first of the rule's segments whose match holds on `traits`,
// or nullptr when none does or the account has no traits.
const Segment* MatchSegment(const Rule& rule, const MergedTraits* traits);

// Decides whether `rule` is in breach at `input.now_ms`. The caller checks
// min_account_events first.
Verdict EvaluateRule(const Rule& rule, const RuleInput& input);

// Returns the earliest time after `now_ms` at which `rule`, with the
// thresholds of `segment` when not nullptr, can change its verdict on
// `state` without a new event, or kNoDeadline.
int64_t NextDueMs(const Rule& rule, const Segment* segment, const AccountState& state,
                  int64_t now_ms);

}  // namespace uptake

#endif  // UPTAKE_METRICS_RULE_EVAL_H_
