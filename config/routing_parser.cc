#include "config/routing_parser.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "config/rule_parser.h"

namespace uptake {
namespace config_internal {
namespace {

constexpr std::array<std::string_view, 5> kTierKeys = {"tier", "match", "action", "webhooks",
                                                       "escalate"};
constexpr std::array<std::string_view, 2> kEscalateKeys = {"after", "webhooks"};
// Same order as RouteAction.
constexpr std::array<std::string_view, 3> kActionNames = {"nudge", "owner", "pool"};

// Escalation waits at least a second and at most ten years.
constexpr int64_t kMaxEscalationMs = int64_t{3650} * 86'400'000;

}  // namespace

std::optional<std::vector<RoutingTier>> RoutingParser::ParseList(const Field& field) {
  std::optional<std::vector<Field>> items = reader_->ReadSequence(field);
  if (!items) return std::nullopt;

  std::vector<RoutingTier> tiers;
  for (const Field& item : *items) {
    if (!tiers.empty() && !tiers.back().match.plan && !tiers.back().match.arr_at_least) {
      reader_->Fail(item, "no account can reach this tier: tier \"" + tiers.back().name +
                              "\" before it has no match, so it takes every account");
      return std::nullopt;
    }
    std::optional<RoutingTier> tier = ParseTier(item);
    if (!tier) return std::nullopt;
    for (size_t i = 0; i < tiers.size(); ++i) {
      if (tiers[i].name != tier->name) continue;
      reader_->Fail(item, "duplicate tier name \"" + tier->name + "\"; it is already used by " +
                              ItemKey("routing", i));
      return std::nullopt;
    }
    tiers.push_back(std::move(*tier));
  }
  return tiers;
}

std::optional<RoutingTier> RoutingParser::ParseTier(const Field& item) {
  std::optional<FieldMap> fields = reader_->ReadMapping(item, kTierKeys);
  if (!fields) return std::nullopt;

  RoutingTier tier;
  const Field* name = reader_->RequireField(*fields, item, "tier", "it names the tier on alerts");
  if (name == nullptr) return std::nullopt;
  std::optional<std::string> name_text = reader_->ReadName(*name);
  if (!name_text) return std::nullopt;
  tier.name = std::move(*name_text);

  if (const Field* match = FindField(*fields, "match")) {
    std::optional<SegmentMatch> parsed = ParseSegmentMatch(*reader_, *match);
    if (!parsed) return std::nullopt;
    tier.match = std::move(*parsed);
  }

  const Field* action =
      reader_->RequireField(*fields, item, "action", "it says who hears of an alert first");
  if (action == nullptr) return std::nullopt;
  std::optional<size_t> choice = reader_->ReadChoice(*action, kActionNames);
  if (!choice) return std::nullopt;
  tier.action = static_cast<RouteAction>(*choice);

  const Field* webhooks =
      reader_->RequireField(*fields, item, "webhooks", "they deliver the first step");
  if (webhooks == nullptr) return std::nullopt;
  std::optional<std::vector<std::string>> names = ParseWebhookNames(*webhooks);
  if (!names) return std::nullopt;
  tier.webhooks = std::move(*names);

  if (const Field* escalate = FindField(*fields, "escalate")) {
    tier.escalation = ParseEscalation(*escalate);
    if (!tier.escalation) return std::nullopt;
  }
  return tier;
}

std::optional<std::vector<std::string>> RoutingParser::ParseWebhookNames(const Field& field) {
  std::optional<std::vector<std::string>> names = reader_->ReadNameList(field, /*secret=*/false);
  if (!names) return std::nullopt;
  if (names->empty()) {
    reader_->Fail(field, "must name at least one webhook");
    return std::nullopt;
  }
  for (const std::string& name : *names) {
    const bool known =
        std::any_of(webhooks_.begin(), webhooks_.end(),
                    [&](const WebhookConfig& webhook) { return webhook.name == name; });
    if (!known) {
      reader_->Fail(field, "no webhook is named \"" + name + "\"");
      return std::nullopt;
    }
  }
  return names;
}

std::optional<Escalation> RoutingParser::ParseEscalation(const Field& field) {
  std::optional<FieldMap> fields = reader_->ReadMapping(field, kEscalateKeys);
  if (!fields) return std::nullopt;

  Escalation escalation;
  const Field* after =
      reader_->RequireField(*fields, field, "after", "it is how long usage has to recover");
  if (after == nullptr) return std::nullopt;
  std::optional<int64_t> after_ms = reader_->ReadDurationMs(*after, kMaxEscalationMs);
  if (!after_ms) return std::nullopt;
  if (*after_ms < 1000) {
    reader_->Fail(*after, "must be at least 1s, got " + after->value.Scalar());
    return std::nullopt;
  }
  escalation.after_ms = *after_ms;

  const Field* webhooks =
      reader_->RequireField(*fields, field, "webhooks", "they deliver the escalation");
  if (webhooks == nullptr) return std::nullopt;
  std::optional<std::vector<std::string>> names = ParseWebhookNames(*webhooks);
  if (!names) return std::nullopt;
  escalation.webhooks = std::move(*names);
  return escalation;
}

}  // namespace config_internal
}  // namespace uptake
