#include "proto/json_writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace uptake {
namespace {

TEST(JsonWriterTest, EscapesSpecialCharacters) {
  std::string input = "q\" b\\ n\n r\r t\t b\b f\f x\x01 nul";
  input.push_back('\0');
  input += "end";
  JsonWriter writer;
  writer.String(input);
  EXPECT_EQ(writer.str(), "\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f x\\u0001 nul\\u0000end\"");
}

TEST(JsonWriterTest, KeepsUtf8AndEscapesUnitSeparator) {
  JsonWriter writer;
  writer.String("caf\xc3\xa9 \x1f");
  EXPECT_EQ(writer.str(), "\"caf\xc3\xa9 \\u001f\"");
}

TEST(JsonWriterTest, WritesNestedDocument) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("a");
  writer.Int(-42);
  writer.Key("list");
  writer.BeginArray();
  writer.Bool(true);
  writer.Null();
  writer.BeginObject();
  writer.EndObject();
  writer.Raw("{\"x\":1}");
  writer.EndArray();
  writer.Key("s");
  writer.String("v");
  writer.EndObject();
  EXPECT_EQ(writer.str(), "{\"a\":-42,\"list\":[true,null,{},{\"x\":1}],\"s\":\"v\"}");
}

TEST(JsonWriterTest, DoublesShortestAndNonFiniteNull) {
  JsonWriter writer;
  writer.BeginArray();
  writer.Double(0.1);
  writer.Double(2.5);
  writer.Double(1e300);
  writer.Double(std::numeric_limits<double>::infinity());
  writer.Double(-std::numeric_limits<double>::infinity());
  writer.Double(std::numeric_limits<double>::quiet_NaN());
  writer.EndArray();
  EXPECT_EQ(writer.str(), "[0.1,2.5,1e+300,null,null,null]");
}

TEST(JsonWriterTest, ReleaseMovesOutput) {
  JsonWriter writer;
  writer.Int(7);
  EXPECT_EQ(writer.Release(), "7");
}

}  // namespace
}  // namespace uptake
