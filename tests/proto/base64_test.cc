#include "proto/detail/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace uptake::detail {
namespace {

std::string Decoded(std::string text) {
  if (!DecodeBase64InPlace(text)) return "<invalid>";
  return text;
}

TEST(Base64Test, PaddedAndUnpadded) {
  EXPECT_EQ(Decoded(""), "");
  EXPECT_EQ(Decoded("YQ=="), "a");
  EXPECT_EQ(Decoded("YQ"), "a");
  EXPECT_EQ(Decoded("YWI="), "ab");
  EXPECT_EQ(Decoded("YWI"), "ab");
  EXPECT_EQ(Decoded("YWJj"), "abc");
  EXPECT_EQ(Decoded("W3siZXZlbnQiOiJ4In1d"), "[{\"event\":\"x\"}]");
  EXPECT_EQ(Decoded("+/+/"), "\xfb\xff\xbf");
}

TEST(Base64Test, InvalidInput) {
  EXPECT_EQ(Decoded("Y"), "<invalid>");
  EXPECT_EQ(Decoded("YWJjZ"), "<invalid>");
  EXPECT_EQ(Decoded("YQ="), "<invalid>");
  EXPECT_EQ(Decoded("YQ=a"), "<invalid>");
  EXPECT_EQ(Decoded("Y Q=="), "<invalid>");
  EXPECT_EQ(Decoded("YQ-_"), "<invalid>");
  EXPECT_EQ(Decoded("YWJj="), "<invalid>");
}

}  // namespace
}  // namespace uptake::detail
