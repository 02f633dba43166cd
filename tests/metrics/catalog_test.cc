#include "metrics/catalog.h"

#include <gtest/gtest.h>

#include <string>

#include "metrics/alert.h"
#include "metrics/rule.h"

namespace uptake {
namespace {

TEST(CatalogTest, MapsEventNamesToFeatures) {
  Catalog catalog({{"Reports", {"Report Created", "Report Shared"}}, {"Exports", {"Export Run"}}},
                  {"Logged In"});

  EXPECT_EQ(catalog.size(), 2u);
  EXPECT_EQ(catalog.FeatureOf("Report Shared"), 0);
  EXPECT_EQ(catalog.FeatureOf("Export Run"), 1);
  EXPECT_EQ(catalog.FeatureOf("Unknown"), -1);
  EXPECT_EQ(catalog.FeatureId(1), "Exports");
}

TEST(CatalogTest, SharedEventNameMapsToFirst) {
  Catalog catalog({{"Reports", {"Shared"}}, {"Exports", {"Shared"}}}, {});

  EXPECT_EQ(catalog.FeatureOf("Shared"), 0);
}

TEST(CatalogTest, RecognizesLoginEvents) {
  Catalog catalog({}, {"Logged In", "Signed In"});

  EXPECT_TRUE(catalog.IsLogin("Signed In"));
  EXPECT_FALSE(catalog.IsLogin("Report Created"));
}

TEST(CatalogTest, EmptyByDefault) {
  Catalog catalog;

  EXPECT_EQ(catalog.size(), 0u);
  EXPECT_EQ(catalog.FeatureOf("Report Created"), -1);
  EXPECT_FALSE(catalog.IsLogin("Logged In"));
}

TEST(NamesTest, KindSeverityAndState) {
  EXPECT_STREQ(RuleKindName(RuleKind::kFeatureAdoption), "feature_adoption");
  EXPECT_STREQ(RuleKindName(RuleKind::kEventCount), "event_count");
  EXPECT_STREQ(RuleKindName(RuleKind::kInactivity), "inactivity");
  EXPECT_STREQ(RuleKindName(RuleKind::kLoginDrop), "login_drop");
  EXPECT_STREQ(SeverityName(Severity::kInfo), "info");
  EXPECT_STREQ(SeverityName(Severity::kWarning), "warning");
  EXPECT_STREQ(SeverityName(Severity::kCritical), "critical");
  EXPECT_STREQ(AlertStateName(AlertState::kFiring), "firing");
  EXPECT_STREQ(AlertStateName(AlertState::kResolved), "resolved");
}

}  // namespace
}  // namespace uptake
