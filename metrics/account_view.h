// A read-only copy of one account's aggregates at a point in time.

#ifndef UPTAKE_METRICS_ACCOUNT_VIEW_H_
#define UPTAKE_METRICS_ACCOUNT_VIEW_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace uptake {

struct DayActivity {
  int64_t day = 0;  // days since the Unix epoch, UTC
  int64_t events = 0;
  int64_t logins = 0;
};

struct AccountView {
  std::string account_id;
  int64_t first_seen_ms = 0;  // minimum event time
  int64_t last_seen_ms = 0;   // maximum event time
  int64_t created_at_ms = 0;  // created_at trait, 0 when unknown
  int64_t start_ms = 0;       // created_at when known, else first_seen
  int64_t event_count = 0;
  int64_t user_count = 0;  // distinct users over the lifetime

  // Merged group-call traits; unset when no group call carried them.
  std::optional<std::string> plan;
  std::optional<double> arr;
  std::optional<std::string> owner;

  // Distinct users with an event in the last 1, 7 and 30 days before now.
  int64_t active_users_1d = 0;
  int64_t active_users_7d = 0;
  int64_t active_users_30d = 0;

  // Logins in the last 7 and 30 UTC days, today included.
  int64_t logins_7d = 0;
  int64_t logins_30d = 0;
  int64_t last_login_ms = 0;  // 0 when the account never logged in

  // Whole days from last_seen to now.
  int64_t days_since_last_activity = 0;

  std::vector<std::string> features_used;  // lifetime, sorted by id

  // Catalog features first used within `adoption_window_days` of start,
  // sorted by id. The window is the longest kFeatureAdoption rule's, or 30
  // days without one.
  int adoption_window_days = 30;
  std::vector<std::string> features_in_window;

  std::vector<std::pair<std::string, int64_t>> counts;  // per event name, sorted
  // Events not in `counts`, because a NameLimits bound was reached when
  // they came.
  int64_t uncounted_name_events = 0;
  std::vector<DayActivity> days;  // days with activity, oldest first, at most 120
};

}  // namespace uptake

#endif  // UPTAKE_METRICS_ACCOUNT_VIEW_H_
