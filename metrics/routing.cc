#include "metrics/routing.h"

#include <algorithm>

#include "metrics/rule_eval.h"

namespace uptake {

const char* RouteActionName(RouteAction action) {
  switch (action) {
    case RouteAction::kNudge:
      return "nudge";
    case RouteAction::kOwner:
      return "owner";
    case RouteAction::kPool:
      return "pool";
  }
  return "nudge";
}

bool TierNamesWebhook(const RoutingTier& tier, std::string_view name) {
  auto names = [&](const std::vector<std::string>& webhooks) {
    return std::find(webhooks.begin(), webhooks.end(), name) != webhooks.end();
  };
  return names(tier.webhooks) || (tier.escalation && names(tier.escalation->webhooks));
}

int MatchTier(const std::vector<RoutingTier>& tiers, const MergedTraits* traits) {
  static const MergedTraits kNoTraits;
  for (size_t i = 0; i < tiers.size(); ++i) {
    if (SegmentMatches(tiers[i].match, traits ? *traits : kNoTraits)) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace uptake
