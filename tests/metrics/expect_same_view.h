// A field-by-field comparison of account views shared by the snapshot
// tests, so a failure names the field and the account.

#ifndef UPTAKE_TESTS_METRICS_EXPECT_SAME_VIEW_H_
#define UPTAKE_TESTS_METRICS_EXPECT_SAME_VIEW_H_

#include <gtest/gtest.h>

#include <string>

#include "metrics/account_view.h"

namespace uptake::testing {

inline void ExpectSameView(const AccountView& want, const AccountView& got, const std::string& id) {
  EXPECT_EQ(got.first_seen_ms, want.first_seen_ms) << id;
  EXPECT_EQ(got.last_seen_ms, want.last_seen_ms) << id;
  EXPECT_EQ(got.created_at_ms, want.created_at_ms) << id;
  EXPECT_EQ(got.start_ms, want.start_ms) << id;
  EXPECT_EQ(got.event_count, want.event_count) << id;
  EXPECT_EQ(got.user_count, want.user_count) << id;
  EXPECT_EQ(got.plan, want.plan) << id;
  EXPECT_EQ(got.arr, want.arr) << id;
  EXPECT_EQ(got.owner, want.owner) << id;
  EXPECT_EQ(got.active_users_1d, want.active_users_1d) << id;
  EXPECT_EQ(got.active_users_7d, want.active_users_7d) << id;
  EXPECT_EQ(got.active_users_30d, want.active_users_30d) << id;
  EXPECT_EQ(got.logins_7d, want.logins_7d) << id;
  EXPECT_EQ(got.logins_30d, want.logins_30d) << id;
  EXPECT_EQ(got.last_login_ms, want.last_login_ms) << id;
  EXPECT_EQ(got.features_used, want.features_used) << id;
  EXPECT_EQ(got.features_in_window, want.features_in_window) << id;
  EXPECT_EQ(got.counts, want.counts) << id;
  ASSERT_EQ(got.days.size(), want.days.size()) << id;
  for (size_t i = 0; i < want.days.size(); ++i) {
    EXPECT_EQ(got.days[i].day, want.days[i].day) << id;
    EXPECT_EQ(got.days[i].events, want.days[i].events) << id;
    EXPECT_EQ(got.days[i].logins, want.days[i].logins) << id;
  }
}

}  // namespace uptake::testing

#endif  // UPTAKE_TESTS_METRICS_EXPECT_SAME_VIEW_H_
