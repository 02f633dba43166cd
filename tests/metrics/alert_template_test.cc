#include "metrics/alert_template.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace uptake {
namespace {

TemplateValues SampleValues() {
  TemplateValues values;
  values.account = "acme";
  values.rule = "inactive";
  values.severity = "critical";
  values.observed = 21.25;
  values.threshold = 14;
  values.state = "firing";
  return values;
}

TEST(AlertTemplateTest, RendersEveryPlaceholder) {
  EXPECT_EQ(RenderTemplate("{{account}}|{{rule}}|{{severity}}|{{observed}}|{{threshold}}|{{state}}",
                           SampleValues()),
            "acme|inactive|critical|21.2|14|firing");
}

TEST(AlertTemplateTest, SpacesInsideBracesAllowed) {
  EXPECT_EQ(FindTemplateError("{{ account }} and {{state  }}"), std::nullopt);
  EXPECT_EQ(RenderTemplate("{{ account }} is {{state  }}", SampleValues()), "acme is firing");
}

TEST(AlertTemplateTest, PlainTextUnchanged) {
  EXPECT_EQ(FindTemplateError("no placeholders } here {"), std::nullopt);
  EXPECT_EQ(RenderTemplate("no placeholders } here {", SampleValues()), "no placeholders } here {");
  EXPECT_EQ(RenderTemplate("", SampleValues()), "");
}

TEST(AlertTemplateTest, UnknownPlaceholderRejected) {
  const std::optional<std::string> error = FindTemplateError("{{account}} {{acount}}");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(*error,
            "unknown placeholder {{acount}}; expected one of account, rule, severity, observed, "
            "threshold, state");
}

TEST(AlertTemplateTest, EmptyPlaceholderRejected) {
  const std::optional<std::string> error = FindTemplateError("a {{}} b");
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find("unknown placeholder {{}}"), std::string::npos) << *error;
}

TEST(AlertTemplateTest, UnclosedPlaceholderRejected) {
  const std::optional<std::string> error = FindTemplateError("ok {{account}} then {{rule");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(*error, "\"{{\" at offset 20 is not closed by \"}}\"");
}

TEST(AlertTemplateTest, FormatIndicatorDecimals) {
  EXPECT_EQ(FormatIndicator(5), "5");
  EXPECT_EQ(FormatIndicator(0), "0");
  EXPECT_EQ(FormatIndicator(33.333), "33.3");
  EXPECT_EQ(FormatIndicator(-2), "-2");
}

}  // namespace
}  // namespace uptake
