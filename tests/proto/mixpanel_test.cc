#include "proto/mixpanel.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

namespace uptake {
namespace {

// 2026-01-15T12:00:00Z.
constexpr int64_t kReceivedMs = 1768478400000;
// One hour before kReceivedMs, in seconds.
constexpr int64_t kEventSeconds = 1768474800;

ParsedRequest Parse(const std::string& body, std::string_view content_type = "application/json",
                    const IngestLimits& limits = IngestLimits()) {
  return ParseMixpanel(body, content_type, kReceivedMs, limits, MixpanelOptions());
}

// A valid event with extra properties appended.
std::string Item(const std::string& extra = "") {
  return R"({"event":"Signup","properties":{"time":)" + std::to_string(kEventSeconds) +
         R"(,"distinct_id":"user-1")" + extra + "}}";
}

std::string Nested(int levels) {
  std::string json;
  for (int i = 0; i < levels; ++i) json += "{\"a\":";
  json += "1";
  for (int i = 0; i < levels; ++i) json += "}";
  return json;
}

std::string ErrorCode(const ParsedRequest& parsed) {
  return parsed.error ? parsed.error->code : "";
}

std::string FirstRejection(const ParsedRequest& parsed) {
  return parsed.rejected.empty() ? "" : parsed.rejected[0].code;
}

// Mixpanel's documented /import example, with its times moved near
// kReceivedMs.
const char kArrayBody[] = R"([
  {"event": "Signup", "properties": {"time": 1768474800000, "distinct_id": "91304156-cafc-4673-a237-623d1129c801", "$insert_id": "29fc2962-6d9c-455d-95ad-95b84f09b9e4", "token": "tok-1", "company": "acme", "Referred by": "Friend"}},
  {"event": "Purchase", "properties": {"time": 1768474801, "distinct_id": "91304156-cafc-4673-a237-623d1129c801", "$insert_id": "935d87b1-00cd-41b7-be34-b9d98dd08b42", "Item": "Coffee", "Amount": 5.0}}
])";

TEST(MixpanelTest, ArrayBody) {
  const ParsedRequest parsed = Parse(kArrayBody);
  ASSERT_FALSE(parsed.error) << parsed.error->message;
  EXPECT_EQ(parsed.body_write_key, "tok-1");
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_EQ(parsed.indices, (std::vector<size_t>{0, 1}));

  const Event& first = parsed.events[0];
  EXPECT_EQ(first.source, Source::kMixpanel);
  EXPECT_EQ(first.type, EventType::kTrack);
  EXPECT_EQ(first.name, "Signup");
  EXPECT_EQ(first.message_id, "29fc2962-6d9c-455d-95ad-95b84f09b9e4");
  EXPECT_EQ(first.user_id, "91304156-cafc-4673-a237-623d1129c801");
  EXPECT_EQ(first.group_id, "acme");
  EXPECT_EQ(first.timestamp_ms, 1768474800000);
  EXPECT_EQ(first.received_ms, kReceivedMs);
  EXPECT_EQ(first.properties.front(), '{');
  EXPECT_NE(first.properties.find("\"Referred by\": \"Friend\""), std::string::npos);
  EXPECT_EQ(first.properties.back(), '}');

  EXPECT_EQ(parsed.events[1].timestamp_ms, 1768474801000);
  EXPECT_EQ(parsed.events[1].group_id, "");
}

TEST(MixpanelTest, NdjsonBody) {
  const std::string body =
      Item(R"(,"$insert_id":"a")") + "\r\n\n  \n" + Item(R"(,"$insert_id":"b")") + "\n";
  for (std::string_view type : {"application/x-ndjson", "application/json", ""}) {
    const ParsedRequest parsed = Parse(body, type);
    ASSERT_FALSE(parsed.error) << type << ": " << parsed.error->message;
    ASSERT_EQ(parsed.events.size(), 2u) << type;
    EXPECT_EQ(parsed.events[0].message_id, "a");
    EXPECT_EQ(parsed.events[1].message_id, "b");
    EXPECT_EQ(parsed.indices, (std::vector<size_t>{0, 1}));
  }
}

TEST(MixpanelTest, NdjsonTypeOverridesArray) {
  // Under application/x-ndjson a line holding an array is not an event.
  const ParsedRequest parsed = Parse("[" + Item() + "]", "Application/X-NDJSON; charset=utf-8");
  ASSERT_FALSE(parsed.error);
  EXPECT_TRUE(parsed.events.empty());
  EXPECT_EQ(FirstRejection(parsed), "invalid_event");
}

TEST(MixpanelTest, PropertiesKeptWhole) {
  const std::string properties =
      R"({"time":1768474800,"distinct_id":"u","big":12345678901234567890123,"s":"a\u0000b"})";
  const ParsedRequest parsed = Parse("[{\"event\":\"e\",\"properties\":" + properties + "}]");
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].properties, properties);
}

TEST(MixpanelTest, TimeUnits) {
  struct Case {
    std::string time;
    int64_t ms;
  };
  const Case cases[] = {
      {"1768474800", 1768474800000},
      {"1768474800.5", 1768474800500},
      {"1768474800123", 1768474800123},
  };
  for (const Case& c : cases) {
    const ParsedRequest parsed =
        Parse(R"({"event":"e","properties":{"distinct_id":"u","time":)" + c.time + "}}");
    ASSERT_EQ(parsed.events.size(), 1u) << c.time << " " << FirstRejection(parsed);
    EXPECT_EQ(parsed.events[0].timestamp_ms, c.ms) << c.time;
  }
}

TEST(MixpanelTest, FirstPropertyWins) {
  const ParsedRequest parsed =
      Parse(Item(R"(,"distinct_id":"other","$insert_id":"a","$insert_id":"b")"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].user_id, "user-1");
  EXPECT_EQ(parsed.events[0].message_id, "a");
}

TEST(MixpanelTest, AccountProperty) {
  MixpanelOptions options;
  options.account_property = "org_id";
  const ParsedRequest parsed =
      ParseMixpanel(Item(R"(,"org_id":42,"company":"acme")") + "\n" + Item(R"(,"org_id":{"id":1})"),
                    "application/x-ndjson", kReceivedMs, IngestLimits(), options);
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_EQ(parsed.events[0].group_id, "42");
  EXPECT_EQ(parsed.events[1].group_id, "");
}

TEST(MixpanelTest, InsertIdGenerated) {
  const ParsedRequest parsed = Parse(Item() + "\n" + Item());
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_EQ(parsed.events[0].message_id.rfind("uptake-", 0), 0u);
  EXPECT_NE(parsed.events[0].message_id, parsed.events[1].message_id);
}

TEST(MixpanelTest, FutureTimeClamped) {
  const ParsedRequest parsed = Parse(R"({"event":"e","properties":{"distinct_id":"u","time":)" +
                                     std::to_string(kEventSeconds + 7200) + "}}");
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].timestamp_ms, kReceivedMs);
  EXPECT_TRUE(parsed.events[0].timestamp_clamped);
}

TEST(MixpanelTest, PerEventRejections) {
  struct Case {
    std::string event;
    std::string code;
  };
  const Case cases[] = {
      {"42", "invalid_event"},
      {"[1,2]", "invalid_event"},
      {R"({"properties":{"time":1768474800,"distinct_id":"u"}})", "missing_field"},
      {R"({"event":"","properties":{"time":1768474800,"distinct_id":"u"}})", "missing_field"},
      {R"({"event":7,"properties":{"time":1768474800,"distinct_id":"u"}})", "invalid_event"},
      {R"({"event":"e"})", "missing_user"},
      {R"({"event":"e","properties":{"time":1768474800}})", "missing_user"},
      {R"({"event":"e","properties":{"time":1768474800,"distinct_id":""}})", "missing_user"},
      {R"({"event":"e","properties":{"distinct_id":"u"}})", "missing_field"},
      {R"({"event":"e","properties":[1]})", "invalid_event"},
      {Item(R"(,"distinct_id":"x")"), ""},
      {R"({"event":"e","properties":{"time":"2026-01-15","distinct_id":"u"}})",
       "invalid_timestamp"},
      {R"({"event":"e","properties":{"time":1700,"distinct_id":"u"}})", "timestamp_out_of_range"},
      {R"({"event":"e","properties":{"time":1e400,"distinct_id":"u"}})", "invalid_timestamp"},
      {R"({"event":"e","properties":{"time":1768474800,"distinct_id":["u"]}})", "invalid_event"},
      {R"({"event":"e","event":"f","properties":{"time":1768474800,"distinct_id":"u"}})",
       "duplicate_key"},
      {R"({"event":"e","properties":{"time":1768474800,"distinct_id":"u"},"properties":{}})",
       "duplicate_key"},
      {Item(",\"deep\":" + Nested(40)), "too_deep"},
      {Item(R"x(,"company":"(unattributed)")x"), "invalid_event"},
      {Item(",\"company\":\"" + std::string(kMaxIdBytes + 1, 'a') + "\""), "invalid_event"},
      {Item(R"(,"s":"\udfff")"), "invalid_unicode_escape"},
      {Item(R"(,"\ud800x":1)"), "invalid_unicode_escape"},
      {Item(",\"s\":\"" + std::string(40 * 1024, 'x') + "\""), "event_too_large"},
  };
  for (const Case& c : cases) {
    for (const std::string& body : {"[" + c.event + "]", c.event + "\n"}) {
      const ParsedRequest parsed = Parse(body, body[0] == '[' ? "application/json" : "");
      const std::string label = body.substr(0, 80);
      EXPECT_FALSE(parsed.error) << label;
      EXPECT_EQ(FirstRejection(parsed), c.code) << label;
      EXPECT_EQ(parsed.events.size(), c.code.empty() ? 1u : 0u) << label;
    }
  }
}

TEST(MixpanelTest, RejectionIndexInNdjson) {
  const ParsedRequest parsed = Parse(Item() + "\n\n" + R"({"event":"e"})" + "\n" + Item());
  EXPECT_EQ(parsed.indices, (std::vector<size_t>{0, 2}));
  ASSERT_EQ(parsed.rejected.size(), 1u);
  EXPECT_EQ(parsed.rejected[0].index, 1u);
  EXPECT_EQ(parsed.rejected[0].code, "missing_user");
}

TEST(MixpanelTest, WholeRequestErrors) {
  struct Case {
    std::string body;
    std::string code;
  };
  const Case cases[] = {
      {"", "empty_batch"},
      {"\n \n", "empty_batch"},
      {"[]", "empty_batch"},
      {"[" + Item(), "malformed_json"},
      {"[" + Item() + "] x", "malformed_json"},
      {"[" + Item() + ",]", "malformed_json"},
      {Item() + "\n{\"event\":", "malformed_json"},
      {Item() + " " + Item(), "malformed_json"},
      {Item(R"(,"n":01)"), "malformed_json"},
      {Item(R"(,"n":tru)"), "malformed_json"},
      {"nul\n", "malformed_json"},
      {Item(",\"s\":\"\xff\""), "invalid_utf8"},
      {"[" + Item(",\"s\":\"\xff\"") + "]", "invalid_utf8"},
  };
  for (const Case& c : cases) {
    const ParsedRequest parsed = Parse(c.body);
    EXPECT_EQ(ErrorCode(parsed), c.code) << c.body;
    ASSERT_TRUE(parsed.error) << c.body;
    EXPECT_EQ(parsed.error->http_status, 400) << c.body;
    EXPECT_TRUE(parsed.events.empty()) << c.body;
  }
}

TEST(MixpanelTest, RequestTooLarge) {
  IngestLimits limits;
  limits.max_request_bytes = 64;
  const ParsedRequest parsed = Parse(Item() + "\n" + Item(), "", limits);
  ASSERT_TRUE(parsed.error);
  EXPECT_EQ(parsed.error->code, "request_too_large");
  EXPECT_EQ(parsed.error->http_status, 400);
}

TEST(MixpanelTest, TooManyEvents) {
  IngestLimits limits;
  limits.max_batch_events = 2;
  EXPECT_EQ(ErrorCode(Parse(Item() + "\n" + Item(), "", limits)), "");
  const ParsedRequest ndjson = Parse(Item() + "\n" + Item() + "\n" + Item(), "", limits);
  EXPECT_EQ(ErrorCode(ndjson), "too_many_events");
  const ParsedRequest array = Parse("[" + Item() + "," + Item() + "," + Item() + "]", "", limits);
  EXPECT_EQ(ErrorCode(array), "too_many_events");
}

TEST(MixpanelTest, StrictAnswer) {
  const std::vector<EventRejection> rejected = {
      {1, "missing_user", "'properties.distinct_id' is missing or empty."},
      {2, "invalid_event", "The event must be a JSON object."},
  };
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(EncodeMixpanelAnswer(/*strict=*/true, 3, rejected)).get(root),
            simdjson::SUCCESS);
  EXPECT_EQ(int64_t(root["code"]), 400);
  EXPECT_EQ(int64_t(root["num_records_imported"]), 3);
  EXPECT_EQ(std::string_view(root["status"]), "Bad Request");
  EXPECT_EQ(simdjson::dom::array(root["failed_records"]).size(), 2u);
  EXPECT_EQ(int64_t(root["failed_records"].at(0)["index"]), 1);
  EXPECT_EQ(std::string_view(root["failed_records"].at(0)["field"]), "properties.distinct_id");
  EXPECT_EQ(std::string_view(root["failed_records"].at(0)["error"]), "missing_user");
  EXPECT_EQ(std::string_view(root["failed_records"].at(1)["field"]), "event");
}

TEST(MixpanelTest, NonStrictAnswer) {
  EXPECT_EQ(EncodeMixpanelAnswer(/*strict=*/false, 5, {}),
            R"({"code":200,"num_records_imported":5,"status":"OK"})");
  EXPECT_EQ(EncodeMixpanelAnswer(/*strict=*/true, 5, {}),
            R"({"code":200,"num_records_imported":5,"status":"OK"})");

  // Without strict the status is 200, but dropped events are still listed.
  const std::vector<EventRejection> rejected = {
      {0, "missing_field", "'event' is missing or empty."}};
  const std::string json = EncodeMixpanelAnswer(/*strict=*/false, 0, rejected);
  EXPECT_EQ(json.rfind(R"({"code":200,)", 0), 0u) << json;
  EXPECT_NE(json.find(R"("failed_records":[{"index":0,"field":"event")"), std::string::npos)
      << json;
}

}  // namespace
}  // namespace uptake
