#include "proto/account_traits.h"

#include <gtest/gtest.h>

#include <string>

namespace uptake {
namespace {

constexpr int64_t kTime = 1'700'000'000'000;

TEST(ExtractAccountTraitsTest, ReadsPlanArrAndCsm) {
  auto traits = ExtractAccountTraits(
      R"({"name":"Acme","plan":"enterprise","arr":120000,"csm":"dana@example.com"})", kTime);
  ASSERT_TRUE(traits);
  EXPECT_EQ(traits->plan, "enterprise");
  EXPECT_EQ(traits->arr, 120000);
  EXPECT_EQ(traits->owner, "dana@example.com");
  EXPECT_EQ(traits->time_ms, kTime);
}

TEST(ExtractAccountTraitsTest, ReadsAliases) {
  auto upper = ExtractAccountTraits(R"({"ARR":5000.5,"owner":"lee"})", kTime);
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->arr, 5000.5);
  EXPECT_EQ(upper->owner, "lee");
  EXPECT_FALSE(upper->plan);

  auto long_names = ExtractAccountTraits(R"({"annual_revenue":0,"csm_email":"kim@x.io"})", kTime);
  ASSERT_TRUE(long_names);
  EXPECT_EQ(long_names->arr, 0);
  EXPECT_EQ(long_names->owner, "kim@x.io");
}

TEST(ExtractAccountTraitsTest, NoTraitsIsNullopt) {
  EXPECT_FALSE(ExtractAccountTraits("{}", kTime));
  EXPECT_FALSE(ExtractAccountTraits(R"({"name":"Acme","employees":40})", kTime));
  EXPECT_FALSE(ExtractAccountTraits(R"({"Plan":"pro","Csm":"x"})", kTime));
}

TEST(ExtractAccountTraitsTest, NotAnObjectIsNullopt) {
  EXPECT_FALSE(ExtractAccountTraits("", kTime));
  EXPECT_FALSE(ExtractAccountTraits("[]", kTime));
  EXPECT_FALSE(ExtractAccountTraits(R"("plan")", kTime));
  EXPECT_FALSE(ExtractAccountTraits(R"({"plan":"pro")", kTime));
}

TEST(ExtractAccountTraitsTest, InvalidArrIgnored) {
  const char* cases[] = {
      R"({"arr":-1})",   R"({"arr":"120000"})", R"({"arr":true})", R"({"arr":null})",
      R"({"arr":1e16})", R"({"arr":[1]})",      R"({"arr":{}})",
  };
  for (const char* json : cases) {
    EXPECT_FALSE(ExtractAccountTraits(json, kTime)) << json;
  }
  auto with_plan = ExtractAccountTraits(R"({"arr":-5,"plan":"pro"})", kTime);
  ASSERT_TRUE(with_plan);
  EXPECT_FALSE(with_plan->arr);
  EXPECT_EQ(with_plan->plan, "pro");
}

TEST(ExtractAccountTraitsTest, ArrAtMaximumAccepted) {
  auto traits = ExtractAccountTraits(R"({"arr":1e15})", kTime);
  ASSERT_TRUE(traits);
  EXPECT_EQ(traits->arr, kMaxAccountArr);
}

TEST(ExtractAccountTraitsTest, EmptyAndWrongTypeStringsIgnored) {
  EXPECT_FALSE(ExtractAccountTraits(R"({"plan":"","csm":""})", kTime));
  EXPECT_FALSE(ExtractAccountTraits(R"({"plan":3,"owner":{"name":"x"}})", kTime));
}

TEST(ExtractAccountTraitsTest, LastValidValueWins) {
  auto traits = ExtractAccountTraits(
      R"({"plan":"pro","arr":10,"csm":"a","plan":"enterprise","ARR":20,"owner":"b","arr":"x"})",
      kTime);
  ASSERT_TRUE(traits);
  EXPECT_EQ(traits->plan, "enterprise");
  EXPECT_EQ(traits->arr, 20);
  EXPECT_EQ(traits->owner, "b");
}

TEST(ExtractAccountTraitsTest, ReadsSetOperation) {
  auto traits =
      ExtractAccountTraits(R"({"$set":{"plan":"enterprise","arr":250000},"csm":"dana"})", kTime);
  ASSERT_TRUE(traits);
  EXPECT_EQ(traits->plan, "enterprise");
  EXPECT_EQ(traits->arr, 250000);
  EXPECT_EQ(traits->owner, "dana");
}

TEST(ExtractAccountTraitsTest, NumbersOutOfRangeElsewhereKeepTraits) {
  // A DOM parse rejects a whole document for one integer of 2^64 or more,
  // or one beyond a double's range. Such a number under another key must
  // not cost the account its plan, ARR and owner.
  const char* cases[] = {
      R"({"plan":"enterprise","csm":"dana","arr":150000,"external_id":18446744073709551616})",
      R"({"seats":1e400,"plan":"enterprise","csm":"dana","arr":150000})",
      R"({"plan":"enterprise","meta":{"big":-1e309},"csm":"dana","arr":150000})",
      R"({"$set":{"plan":"enterprise","huge":123456789012345678901234567890,"arr":1.5e5},"csm":"dana"})",
  };
  for (const char* json : cases) {
    auto traits = ExtractAccountTraits(json, kTime);
    ASSERT_TRUE(traits) << json;
    EXPECT_EQ(traits->plan, "enterprise") << json;
    EXPECT_EQ(traits->arr, 150000) << json;
    EXPECT_EQ(traits->owner, "dana") << json;
  }
}

TEST(ExtractAccountTraitsTest, ArrOutOfRangeIgnoredOthersKept) {
  for (const char* arr : {"1e400", "18446744073709551616", "-1e309"}) {
    const std::string json = std::string(R"({"arr":)") + arr + R"(,"plan":"pro"})";
    auto traits = ExtractAccountTraits(json, kTime);
    ASSERT_TRUE(traits) << json;
    EXPECT_FALSE(traits->arr) << json;
    EXPECT_EQ(traits->plan, "pro") << json;
  }
}

TEST(ExtractAccountTraitsTest, NestedObjectsNotRead) {
  EXPECT_FALSE(ExtractAccountTraits(R"({"company":{"plan":"pro","arr":5}})", kTime));
  EXPECT_FALSE(ExtractAccountTraits(R"({"$set":{"$set":{"plan":"pro"}}})", kTime));
}

}  // namespace
}  // namespace uptake
