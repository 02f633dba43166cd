#include "proto/detail/strict_json.h"

#include <gtest/gtest.h>

#include <string>

namespace uptake::detail {
namespace {

struct TextCase {
  const char* text;
  JsonFault expected;
};

TEST(ValidateTextTest, Cases) {
  const TextCase cases[] = {
      {"{}", JsonFault::kNone},
      {"[]", JsonFault::kNone},
      {" {\"a\":[1,-2.5e+3,true,false,null,\"s\\n\\u00e9\"],\"b\":{}} ", JsonFault::kNone},
      {"[\"\\ud83d\\ude00\"]", JsonFault::kNone},
      {"[\"\\ud800\"]", JsonFault::kBadEscape},
      {"[\"\\udc00\"]", JsonFault::kBadEscape},
      {"{\"\\ud800x\":1}", JsonFault::kBadEscape},
      {"[\"\\ud800\", 1 2]", JsonFault::kMalformed},
      {"[1 2]", JsonFault::kMalformed},
      {"[1,]", JsonFault::kMalformed},
      {"{\"a\":1,}", JsonFault::kMalformed},
      {"{\"a\" 1}", JsonFault::kMalformed},
      {"{1:2}", JsonFault::kMalformed},
      {"[1}", JsonFault::kMalformed},
      {"{\"a\":1]", JsonFault::kMalformed},
      {"[[1]", JsonFault::kMalformed},
      {"[1]]", JsonFault::kMalformed},
      {"[01]", JsonFault::kMalformed},
      {"[tru]", JsonFault::kMalformed},
      {"[nulll]", JsonFault::kMalformed},
      {"[\"\\x\"]", JsonFault::kMalformed},
      {"[\"\\u12\"]", JsonFault::kMalformed},
      {"[\"a\tb\"]", JsonFault::kMalformed},
      {"[\"open]", JsonFault::kMalformed},
      {"", JsonFault::kMalformed},
  };
  for (const TextCase& c : cases) {
    EXPECT_EQ(ValidateText(c.text), c.expected) << c.text;
  }
}

TEST(ValidateTextTest, DeepNestingWithoutRecursion) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(ValidateText(deep), JsonFault::kNone);
}

TEST(JsonNumberTest, Grammar) {
  EXPECT_TRUE(IsJsonNumber("0"));
  EXPECT_TRUE(IsJsonNumber("-0.5"));
  EXPECT_TRUE(IsJsonNumber("12345678901234567890"));
  EXPECT_TRUE(IsJsonNumber("1E-7"));
  EXPECT_FALSE(IsJsonNumber("+1"));
  EXPECT_FALSE(IsJsonNumber("-"));
  EXPECT_FALSE(IsJsonNumber(".5"));
  EXPECT_FALSE(IsJsonNumber("1e"));
  EXPECT_FALSE(IsJsonNumber("0x10"));
}

}  // namespace
}  // namespace uptake::detail
