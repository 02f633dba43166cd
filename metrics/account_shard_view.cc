#include <algorithm>

#include "metrics/account_shard.h"
#include "proto/time.h"

namespace uptake {

namespace {

// Default adoption window when no kFeatureAdoption rule sets one.
constexpr int kDefaultAdoptionWindowDays = 30;

int AdoptionWindowDays(const std::vector<Rule>& rules) {
  int days = 0;
  for (const Rule& rule : rules) {
    if (rule.kind == RuleKind::kFeatureAdoption) {
      days = std::max(days, rule.days);
    }
  }
  return days > 0 ? days : kDefaultAdoptionWindowDays;
}

std::vector<std::string> SortedFeatureIds(uint64_t mask, const Catalog& catalog) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < catalog.size(); ++i) {
    if ((mask & (uint64_t{1} << i)) != 0) {
      ids.push_back(catalog.FeatureId(static_cast<int>(i)));
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

AccountView AccountShard::View(const Account& account, const ViewInput& input) const {
  const AccountState& state = account.second;
  const int64_t now = input.now_ms;
  const int64_t today = UtcDay(now);

  AccountView view;
  view.account_id = account.first;
  view.first_seen_ms = state.first_seen_ms();
  view.last_seen_ms = state.last_seen_ms();
  view.created_at_ms = state.has_created_at() ? state.created_at_ms() : 0;
  view.start_ms = state.StartMs();
  view.event_count = state.event_count();
  view.user_count = static_cast<int64_t>(state.users().size());
  if (const MergedTraits* traits = state.traits()) {
    view.plan = traits->plan();
    view.arr = traits->arr();
    view.owner = traits->owner();
  }

  view.active_users_1d = state.UsersActiveSince(now - kDayMs);
  view.active_users_7d = state.UsersActiveSince(now - 7 * kDayMs);
  view.active_users_30d = state.UsersActiveSince(now - 30 * kDayMs);
  view.logins_7d = state.LoginsBetween(today - 6, today);
  view.logins_30d = state.LoginsBetween(today - 29, today);
  view.last_login_ms = state.last_login_ms();
  view.days_since_last_activity = std::max<int64_t>(0, (now - state.last_seen_ms()) / kDayMs);

  view.features_used = SortedFeatureIds(state.FeaturesUsedBefore(kNoDeadline), input.catalog);
  view.adoption_window_days = AdoptionWindowDays(*rules_);
  const int64_t window_end = state.StartMs() + view.adoption_window_days * kDayMs;
  view.features_in_window = SortedFeatureIds(state.FeaturesUsedBefore(window_end), input.catalog);

  int64_t counted = 0;
  for (const NameCount& entry : state.counts()) {
    view.counts.emplace_back(names_.Name(entry.name_id), entry.count);
    counted += entry.count;
  }
  // A name's count stops at UINT32_MAX, and the events it misses then
  // show up here too.
  view.uncounted_name_events = std::max<int64_t>(0, state.event_count() - counted);
  std::sort(view.counts.begin(), view.counts.end());
  view.days.reserve(state.days().size());
  state.days().ForEachDay([&view](const DayCount& entry) {
    view.days.push_back({entry.day, entry.events, entry.logins});
  });
  return view;
}

}  // namespace uptake
