// Routing policy: which tier an account's alert belongs to, who hears of
// it first, and who hears of it when usage has not recovered some days
// later.

#ifndef UPTAKE_METRICS_ROUTING_H_
#define UPTAKE_METRICS_ROUTING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/merged_traits.h"
#include "metrics/rule.h"

namespace uptake {

// The first delivery step of a tier's alerts.
enum class RouteAction {
  // An automated message to the account's users (email, in-app), for the
  // long tail no CSM watches.
  kNudge,
  // The account's own CSM, from its owner trait. An account without one
  // goes to the pool instead.
  kOwner,
  // The CS team's shared queue, for whoever is on duty.
  kPool,
};

// A second step for alerts still firing some time after the first.
struct Escalation {
  int64_t after_ms = 0;               // after the first step; at least one second
  std::vector<std::string> webhooks;  // names of configured webhooks
};

// One tier of accounts and how its alerts are delivered.
struct RoutingTier {
  std::string name;  // unique; put on alerts as "tier"
  // Both conditions unset: every account, so only the last tier may omit them.
  SegmentMatch match;
  RouteAction action = RouteAction::kNudge;
  std::vector<std::string> webhooks;  // the first step's; names of configured webhooks
  std::optional<Escalation> escalation;
};

// Returns whether `name` is one of the webhooks of the tier's first step
// or escalation.
bool TierNamesWebhook(const RoutingTier& tier, std::string_view name);

// "nudge", "owner", "pool".
const char* RouteActionName(RouteAction action);

// Returns the index of the first tier whose match is true of `traits`, or -1
// when none does. An account without traits matches only a tier without
// conditions.
int MatchTier(const std::vector<RoutingTier>& tiers, const MergedTraits* traits);

}  // namespace uptake

#endif  // UPTAKE_METRICS_ROUTING_H_
