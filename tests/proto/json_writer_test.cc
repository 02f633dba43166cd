#include "proto/json_writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

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

// Found by http_fuzzer: a 404 answer echoed a request path with bytes
// 0xff into its message, which made the answer invalid JSON.
TEST(JsonWriterTest, ReplacesIllFormedUtf8) {
  const std::pair<std::string, std::string> cases[] = {
      {"/v1\xff\xff/x", R"("/v1\ufffd\ufffd/x")"},
      {"a\x80"
       "b",
       R"("a\ufffdb")"},                                      // stray continuation byte
      {"\xc3", R"("\ufffd")"},                                // truncated sequence
      {"\xc0\xaf", R"("\ufffd\ufffd")"},                      // overlong '/'
      {"\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")"},            // surrogate U+D800
      {"\xf4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},  // past U+10FFFF
      {"caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\""},  // kept
  };
  for (const auto& [input, expected] : cases) {
    JsonWriter writer;
    writer.String(input);
    EXPECT_EQ(writer.str(), expected);
  }

  JsonWriter keys;
  keys.BeginObject();
  keys.Key("k\xfe");
  keys.Int(1);
  keys.EndObject();
  EXPECT_EQ(keys.str(), R"({"k\ufffd":1})");
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

TEST(JsonWriterTest, WholeDoublesPlain) {
  struct Case {
    double value;
    const char* json;
  };
  const std::vector<Case> cases = {
      {500000.0, "500000"},
      {900000.0, "900000"},
      {50000.0, "50000"},
      {-2000000.0, "-2000000"},
      {0.0, "0"},
      {-0.0, "0"},
      {1e15, "1000000000000000"},
      {-1e15, "-1000000000000000"},
      {1e16, "1e+16"},
      {500000.5, "500000.5"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1.5e-7, "1.5e-07"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.json);
    JsonWriter writer;
    writer.Double(test_case.value);
    EXPECT_EQ(writer.str(), test_case.json);
  }
}

TEST(JsonWriterTest, ReleaseMovesOutput) {
  JsonWriter writer;
  writer.Int(7);
  EXPECT_EQ(writer.Release(), "7");
}

}  // namespace
}  // namespace uptake
