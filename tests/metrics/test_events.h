// Event and catalog builders shared by the metrics tests.

#ifndef UPTAKE_TESTS_METRICS_TEST_EVENTS_H_
#define UPTAKE_TESTS_METRICS_TEST_EVENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "metrics/catalog.h"
#include "metrics/rule.h"
#include "proto/event.h"

namespace uptake::testing {

inline constexpr int64_t kDay = 86'400'000;
inline constexpr int64_t kHour = 3'600'000;

// 2023-11-14T00:00:00Z, a UTC midnight, so day arithmetic in tests is exact.
inline constexpr int64_t kT0 = 19'675 * kDay;

// Returns prefix followed by n, for generated account and user ids.
inline std::string Numbered(const std::string& prefix, int n) {
  std::string id = prefix;
  id += std::to_string(n);
  return id;
}

inline Catalog TestCatalog() {
  return Catalog({{"Reports", {"Report Created"}},
                  {"Dashboards", {"Dashboard Viewed"}},
                  {"Exports", {"Export Run"}},
                  {"Alerts", {"Alert Set"}}},
                 {"Logged In"});
}

inline Event Track(const std::string& account, const std::string& name, int64_t ms,
                   const std::string& user = "u1") {
  Event event;
  event.type = EventType::kTrack;
  event.account_id = account;
  event.name = name;
  event.user_id = user;
  event.timestamp_ms = ms;
  event.received_ms = ms;
  static const Catalog catalog = TestCatalog();
  event.feature = catalog.FeatureOf(name);
  return event;
}

inline Event Group(const std::string& account, int64_t ms, int64_t created_at_ms) {
  Event event = Track(account, "group", ms);
  event.type = EventType::kGroup;
  event.group_id = account;
  event.created_at_ms = created_at_ms;
  return event;
}

// A group call carrying plan, ARR and owner traits but no created_at, so
// the account's start stays its first event.
inline Event TraitsGroup(const std::string& account, int64_t ms, AccountTraits traits) {
  Event event = Track(account, "group", ms);
  event.type = EventType::kGroup;
  event.group_id = account;
  traits.time_ms = ms;
  event.account_traits = std::move(traits);
  return event;
}

inline Rule InactivityRule(int days) {
  Rule rule;
  rule.name = "inactive";
  rule.kind = RuleKind::kInactivity;
  rule.days = days;
  return rule;
}

inline Rule AdoptionRule(int days, int min_features) {
  Rule rule;
  rule.name = "adoption";
  rule.kind = RuleKind::kFeatureAdoption;
  rule.severity = Severity::kCritical;
  rule.days = days;
  rule.min_features = min_features;
  return rule;
}

inline Rule EventCountRule(int days, std::vector<std::string> events, int64_t min_count) {
  Rule rule;
  rule.name = "reports";
  rule.kind = RuleKind::kEventCount;
  rule.days = days;
  rule.events = std::move(events);
  rule.min_count = min_count;
  return rule;
}

inline Rule LoginDropRule(double percent, int64_t min_baseline) {
  Rule rule;
  rule.name = "login-drop";
  rule.kind = RuleKind::kLoginDrop;
  rule.percent = percent;
  rule.min_baseline = min_baseline;
  return rule;
}

}  // namespace uptake::testing

#endif  // UPTAKE_TESTS_METRICS_TEST_EVENTS_H_
