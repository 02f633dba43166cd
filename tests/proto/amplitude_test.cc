#include "proto/amplitude.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <optional>
#include <string>
#include <vector>

namespace uptake {
namespace {

// 2026-01-15T12:00:00Z.
constexpr int64_t kReceivedMs = 1768478400000;

ParsedRequest Parse(const std::string& body, const IngestLimits& limits = IngestLimits()) {
  return ParseAmplitude(body, kReceivedMs, limits, AmplitudeOptions());
}

std::string Request(const std::string& events) {
  return "{\"api_key\":\"key-1\",\"events\":[" + events + "]}";
}

// A valid event with extra members appended.
std::string Track(const std::string& extra = "") {
  return "{\"event_type\":\"Login\",\"user_id\":\"user-1\"" + extra + "}";
}

// `count` valid events, comma-separated.
std::string Tracks(size_t count) {
  std::string events;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) events.push_back(',');
    events.append(Track());
  }
  return events;
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

// The shape @amplitude/analytics-node 1.x posts to /2/httpapi.
const char kNodeSdkBody[] = R"({
  "api_key": "a1b2c3d4e5",
  "events": [
    {
      "event_type": "Report Exported",
      "user_id": "user-20391",
      "device_id": "7f3c9a1e-2b4d-4e8f-9a0b-1c2d3e4f5a6b",
      "time": 1768474800123,
      "insert_id": "0a6e4c2b-9f1d-4b8e-a7c3-5d2e1f0b9a88",
      "event_properties": {"format": "csv", "rows": 12000000000000000001},
      "groups": {"company": "acme"},
      "library": "amplitude-ts-node/1.3.5",
      "platform": "Node.js",
      "os_name": "darwin",
      "ip": "$remote",
      "event_id": 7,
      "session_id": -1
    },
    {
      "event_type": "Dashboard Viewed",
      "device_id": "7f3c9a1e-2b4d-4e8f-9a0b-1c2d3e4f5a6b",
      "time": 1768474801000,
      "insert_id": "b8d1f0e2-4c6a-4e2b-9d3f-7a1c5e9b2d40",
      "library": "amplitude-ts-node/1.3.5"
    }
  ],
  "options": {"min_id_length": 1}
})";

TEST(AmplitudeTest, NodeSdkBatch) {
  const ParsedRequest parsed = Parse(kNodeSdkBody);
  ASSERT_FALSE(parsed.error) << parsed.error->message;
  EXPECT_EQ(parsed.body_write_key, "a1b2c3d4e5");
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_TRUE(parsed.rejected.empty());
  EXPECT_EQ(parsed.indices, (std::vector<size_t>{0, 1}));

  const Event& first = parsed.events[0];
  EXPECT_EQ(first.source, Source::kAmplitude);
  EXPECT_EQ(first.type, EventType::kTrack);
  EXPECT_EQ(first.name, "Report Exported");
  EXPECT_EQ(first.message_id, "0a6e4c2b-9f1d-4b8e-a7c3-5d2e1f0b9a88");
  EXPECT_EQ(first.user_id, "user-20391");
  EXPECT_EQ(first.anonymous_id, "7f3c9a1e-2b4d-4e8f-9a0b-1c2d3e4f5a6b");
  EXPECT_EQ(first.group_id, "acme");
  EXPECT_EQ(first.timestamp_ms, 1768474800123);
  EXPECT_EQ(first.received_ms, kReceivedMs);
  EXPECT_FALSE(first.timestamp_clamped);
  EXPECT_EQ(first.properties, R"({"format": "csv", "rows": 12000000000000000001})");

  const Event& second = parsed.events[1];
  EXPECT_EQ(second.user_id, "7f3c9a1e-2b4d-4e8f-9a0b-1c2d3e4f5a6b");
  EXPECT_EQ(second.group_id, "");
  EXPECT_EQ(second.properties, "{}");
}

TEST(AmplitudeTest, IdentifyKeepsUserProperties) {
  const ParsedRequest parsed =
      Parse(Request(R"({"event_type":"$identify","user_id":"user-1","event_properties":{"x":1},)"
                    R"("user_properties":{"$set":{"plan":"pro"},"$add":{"logins":1}}})"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].type, EventType::kIdentify);
  EXPECT_EQ(parsed.events[0].name, "identify");
  EXPECT_EQ(parsed.events[0].properties, R"({"$set":{"plan":"pro"},"$add":{"logins":1}})");
}

TEST(AmplitudeTest, GroupIdentifyKeepsGroupProperties) {
  const ParsedRequest parsed = Parse(
      Request(R"({"event_type":"$groupidentify","user_id":"user-1","groups":{"company":"acme"},)"
              R"("group_properties":{"$set":{"seats":40}}})"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].type, EventType::kGroup);
  EXPECT_EQ(parsed.events[0].name, "group");
  EXPECT_EQ(parsed.events[0].group_id, "acme");
  EXPECT_EQ(parsed.events[0].properties, R"({"$set":{"seats":40}})");
}

TEST(AmplitudeTest, GroupIdentifyCreatedAt) {
  struct Case {
    std::string group_properties;
    std::optional<int64_t> created_at_ms;
  };
  const Case cases[] = {
      {R"({"$set":{"created_at":"2024-03-01T00:00:00Z"}})", 1709251200000},
      {R"({"$set":{"plan":"pro"},"createdAt":1709251200})", 1709251200000},
      {R"({"created_at":1709251200000,"$set":{"created_at":"2020-01-01"}})", 1709251200000},
      {R"({"$set":{"created_at":"soon"}})", std::nullopt},
      {R"({"$set":{"seats":40}})", std::nullopt},
      {R"({"$setOnce":{"created_at":"2024-03-01"}})", std::nullopt},
  };
  for (const Case& c : cases) {
    const ParsedRequest parsed = Parse(
        Request(R"({"event_type":"$groupidentify","user_id":"user-1","groups":{"company":"acme"},)"
                R"("group_properties":)" +
                c.group_properties + "}"));
    ASSERT_EQ(parsed.events.size(), 1u) << c.group_properties;
    EXPECT_EQ(parsed.events[0].created_at_ms, c.created_at_ms) << c.group_properties;
    EXPECT_EQ(parsed.events[0].properties, c.group_properties);
  }
}

TEST(AmplitudeTest, GroupPropertiesTooDeep) {
  const ParsedRequest parsed =
      Parse(Request(R"({"event_type":"$groupidentify","user_id":"u","groups":{"company":"acme"},)"
                    R"("group_properties":{"$set":)" +
                    Nested(40) + "}}"));
  EXPECT_TRUE(parsed.events.empty());
  EXPECT_EQ(FirstRejection(parsed), "too_deep");
}

TEST(AmplitudeTest, GroupIdentifyOtherTypeIsTrack) {
  const ParsedRequest parsed =
      Parse(Request(R"({"event_type":"$groupidentify","user_id":"user-1","groups":{"team":"red"},)"
                    R"("group_properties":{"$set":{"size":4}}})"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].type, EventType::kTrack);
  EXPECT_EQ(parsed.events[0].name, "$groupidentify");
  EXPECT_EQ(parsed.events[0].group_id, "");
  EXPECT_EQ(parsed.events[0].properties, R"({"$set":{"size":4}})");
}

TEST(AmplitudeTest, GroupValueForms) {
  struct Case {
    std::string groups;
    std::string group_id;
  };
  const Case cases[] = {
      {R"({"company":"acme"})", "acme"},
      {R"({"company":12345678901234567890})", "12345678901234567890"},
      {R"({"company":["acme","globex"]})", "acme"},
      {R"({"company":[]})", ""},
      {R"({"team":"red","company":"acme","company":"globex"})", "acme"},
      {R"({"team":"red"})", ""},
      {"null", ""},
  };
  for (const Case& c : cases) {
    const ParsedRequest parsed = Parse(Request(Track(",\"groups\":" + c.groups)));
    ASSERT_EQ(parsed.events.size(), 1u) << c.groups << " " << FirstRejection(parsed);
    EXPECT_EQ(parsed.events[0].group_id, c.group_id) << c.groups;
  }
}

TEST(AmplitudeTest, ConfiguredGroupType) {
  AmplitudeOptions options;
  options.group_type = "org";
  const ParsedRequest parsed =
      ParseAmplitude(Request(Track(R"(,"groups":{"company":"acme","org":"o-1"})")), kReceivedMs,
                     IngestLimits(), options);
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].group_id, "o-1");
}

TEST(AmplitudeTest, MissingTimeUsesReceived) {
  const ParsedRequest parsed = Parse(Request(Track() + "," + Track(",\"time\":null")));
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_EQ(parsed.events[0].timestamp_ms, kReceivedMs);
  EXPECT_EQ(parsed.events[1].timestamp_ms, kReceivedMs);
}

TEST(AmplitudeTest, SecondsTimeRejected) {
  // 1.7e9 is seconds in 2023, or January 1970 read as milliseconds.
  const ParsedRequest parsed =
      Parse(Request(Track(",\"time\":1700000000") + "," + Track(",\"time\":1.7e9")));
  EXPECT_TRUE(parsed.events.empty());
  ASSERT_EQ(parsed.rejected.size(), 2u);
  EXPECT_EQ(parsed.rejected[0].code, "timestamp_out_of_range");
  EXPECT_EQ(parsed.rejected[1].code, "timestamp_out_of_range");
  EXPECT_EQ(parsed.rejected[1].index, 1u);
}

TEST(AmplitudeTest, FutureTimeClamped) {
  const int64_t hour_ahead = kReceivedMs + 3600 * 1000;
  const ParsedRequest parsed = Parse(Request(Track(",\"time\":" + std::to_string(hour_ahead))));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].timestamp_ms, kReceivedMs);
  EXPECT_TRUE(parsed.events[0].timestamp_clamped);
}

TEST(AmplitudeTest, InsertIdGenerated) {
  const ParsedRequest parsed = Parse(Request(Track() + "," + Track()));
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_EQ(parsed.events[0].message_id.rfind("uptake-", 0), 0u);
  EXPECT_NE(parsed.events[0].message_id, parsed.events[1].message_id);
}

TEST(AmplitudeTest, OptionsAndUnknownKeysIgnored) {
  const ParsedRequest parsed =
      Parse(R"({"options":{"min_id_length":1},"events":[{"event_type":"e","user_id":"u"}],)"
            R"("client_upload_time":"2026-01-15T11:00:00Z","api_key":"k"})");
  ASSERT_FALSE(parsed.error);
  EXPECT_EQ(parsed.body_write_key, "k");
  EXPECT_EQ(parsed.events.size(), 1u);
}

TEST(AmplitudeTest, PerEventRejections) {
  struct Case {
    std::string event;
    std::string code;
  };
  const Case cases[] = {
      {"42", "invalid_event"},
      {"[1,2]", "invalid_event"},
      {R"({"user_id":"u"})", "missing_field"},
      {R"({"event_type":"","user_id":"u"})", "missing_field"},
      {R"({"event_type":"e"})", "missing_user"},
      {R"({"event_type":"e","user_id":"","device_id":null})", "missing_user"},
      {R"({"event_type":7,"user_id":"u"})", "invalid_event"},
      {R"({"event_type":"e","user_id":{"id":1}})", "invalid_event"},
      {Track(R"(,"groups":"acme")"), "invalid_event"},
      {Track(R"(,"groups":{"company":{"id":1}})"), "invalid_event"},
      {Track(R"(,"event_properties":[1])"), "invalid_event"},
      {Track(R"(,"time":"2026-01-15T11:00:00Z")"), "invalid_timestamp"},
      {Track(R"(,"time":1e300)"), "invalid_timestamp"},
      // Beyond a double's range: no date, not a missing time.
      {Track(R"(,"time":1e400)"), "invalid_timestamp"},
      {Track(R"(,"time":-1e400)"), "invalid_timestamp"},
      {Track(R"(,"time":-1)"), "timestamp_out_of_range"},
      {Track(R"(,"user_id":"other")"), "duplicate_key"},
      {Track(R"(,"time":1,"time":2)"), "duplicate_key"},
      {Track(",\"event_properties\":" + Nested(40)), "too_deep"},
      {Track(",\"library\":" + Nested(40)), "too_deep"},
      {Track(R"(,"event_properties":{"s":"\ud800"})"), "invalid_unicode_escape"},
      {Track(R"(,"\udc00":1)"), "invalid_unicode_escape"},
      {Track(",\"event_properties\":{\"s\":\"" + std::string(40 * 1024, 'x') + "\"}"),
       "event_too_large"},
  };
  for (const Case& c : cases) {
    const ParsedRequest parsed = Parse(Request(c.event));
    EXPECT_FALSE(parsed.error) << c.event.substr(0, 80);
    EXPECT_TRUE(parsed.events.empty()) << c.event.substr(0, 80);
    EXPECT_EQ(FirstRejection(parsed), c.code) << c.event.substr(0, 80);
  }
}

TEST(AmplitudeTest, PartialBatchKeepsValid) {
  const ParsedRequest parsed = Parse(Request(Track() + R"(,{"user_id":"u"},)" + Track()));
  ASSERT_FALSE(parsed.error);
  EXPECT_EQ(parsed.indices, (std::vector<size_t>{0, 2}));
  ASSERT_EQ(parsed.rejected.size(), 1u);
  EXPECT_EQ(parsed.rejected[0].index, 1u);
  EXPECT_EQ(parsed.rejected[0].code, "missing_field");
  EXPECT_NE(parsed.rejected[0].message.find("'event_type'"), std::string::npos);
}

TEST(AmplitudeTest, NulInStringKept) {
  const ParsedRequest parsed = Parse(Request(Track(R"(,"event_properties":{"s":"a\u0000b"})")));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].properties, R"({"s":"a\u0000b"})");
}

TEST(AmplitudeTest, WholeRequestErrors) {
  struct Case {
    std::string body;
    std::string code;
  };
  const Case cases[] = {
      {"", "empty_batch"},
      {"{}", "empty_batch"},
      {R"({"api_key":"k"})", "empty_batch"},
      {R"({"api_key":"k","events":[]})", "empty_batch"},
      {R"({"api_key":"k","events":{}})", "invalid_batch"},
      {R"({"api_key":"k","events":[],"events":[]})", "invalid_batch"},
      {R"({"api_key":7,"events":[{"event_type":"e","user_id":"u"}]})", "invalid_batch"},
      {"[" + Track() + "]", "invalid_batch"},
      {"42", "invalid_batch"},
      {R"({"events":[{"event_type":"e","user_id":"u"}]})", "missing_api_key"},
      {R"({"api_key":"","events":[{"event_type":"e","user_id":"u"}]})", "missing_api_key"},
      {"{\"api_key\":\"k\",\"events\":[", "malformed_json"},
      {Request(Track()) + " x", "malformed_json"},
      {Request(Track(R"(,"event_properties":{"n":01})")), "malformed_json"},
      {Request(Track(R"(,"library":tru)")), "malformed_json"},
      {R"({"api_key":"k","options":{"min_id_length":1.},"events":[)" + Track() + "]}",
       "malformed_json"},
      {Request(Track(",\"event_properties\":{\"s\":\"\xff\"}")), "invalid_utf8"},
  };
  for (const Case& c : cases) {
    const ParsedRequest parsed = Parse(c.body);
    EXPECT_EQ(ErrorCode(parsed), c.code) << c.body;
    ASSERT_TRUE(parsed.error) << c.body;
    EXPECT_EQ(parsed.error->http_status, 400) << c.body;
    EXPECT_TRUE(parsed.events.empty()) << c.body;
  }
}

TEST(AmplitudeTest, RequestTooLarge) {
  IngestLimits limits;
  limits.max_amplitude_request_bytes = 64;
  const ParsedRequest parsed = Parse(Request(Track() + "," + Track()), limits);
  ASSERT_TRUE(parsed.error);
  EXPECT_EQ(parsed.error->code, "request_too_large");
  EXPECT_EQ(parsed.error->http_status, 413);
}

TEST(AmplitudeTest, DefaultByteLimitIsOneMegabyte) {
  const std::string body = Request(Tracks(1024 * 1024 / Track().size() + 1));
  ASSERT_GT(body.size(), 1024u * 1024u);
  const ParsedRequest parsed = Parse(body);
  ASSERT_TRUE(parsed.error);
  EXPECT_EQ(parsed.error->http_status, 413);
}

TEST(AmplitudeTest, TooManyEvents) {
  EXPECT_EQ(ErrorCode(Parse(Request(Tracks(2000)))), "");

  const ParsedRequest parsed = Parse(Request(Tracks(2001)));
  ASSERT_TRUE(parsed.error);
  EXPECT_EQ(parsed.error->code, "too_many_events");
  EXPECT_EQ(parsed.error->http_status, 413);
}

TEST(AmplitudeTest, IsAmplitudeBody) {
  EXPECT_TRUE(IsAmplitudeBody(kNodeSdkBody));
  EXPECT_TRUE(IsAmplitudeBody(Request(Track())));
  EXPECT_FALSE(IsAmplitudeBody(R"({"api_key":"phc_1","batch":[{"event":"e"}]})"));
  EXPECT_FALSE(IsAmplitudeBody(R"({"api_key":"k","batch":[],"events":[]})"));
  EXPECT_FALSE(IsAmplitudeBody(R"({"api_key":"k","events":{}})"));
  EXPECT_FALSE(IsAmplitudeBody("[" + Track() + "]"));
  EXPECT_FALSE(IsAmplitudeBody("{\"events\":["));
  EXPECT_FALSE(IsAmplitudeBody(""));
}

simdjson::dom::element ParseJson(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element root;
  EXPECT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  return root;
}

TEST(AmplitudeTest, EncodeSuccess) {
  const std::vector<EventRejection> rejected = {
      {1, "missing_field", "'event_type' is missing or empty."},
      {3, "invalid_timestamp", "'time' must be a number of milliseconds since the Unix epoch."},
      {4, "missing_field", "'event_type' is missing or empty."},
  };
  const std::string json = EncodeAmplitudeSuccess(2, 512, kReceivedMs, 1, rejected);
  simdjson::dom::parser parser;
  const simdjson::dom::element root = ParseJson(parser, json);
  EXPECT_EQ(int64_t(root["code"]), 200);
  EXPECT_EQ(int64_t(root["events_ingested"]), 2);
  EXPECT_EQ(int64_t(root["payload_size_bytes"]), 512);
  EXPECT_EQ(int64_t(root["server_upload_time"]), kReceivedMs);
  EXPECT_EQ(int64_t(root["duplicates"]), 1);
  EXPECT_EQ(simdjson::dom::array(root["rejected"]).size(), 3u);
  EXPECT_EQ(std::string_view(root["rejected"].at(1)["error"]), "invalid_timestamp");
  EXPECT_EQ(int64_t(root["events_with_invalid_fields"]["time"].at(0)), 3);
  EXPECT_EQ(simdjson::dom::array(root["events_with_missing_fields"]["event_type"]).size(), 2u);
}

TEST(AmplitudeTest, EncodeSuccessWithoutRejections) {
  EXPECT_EQ(EncodeAmplitudeSuccess(3, 100, 5, 0, {}),
            R"({"code":200,"events_ingested":3,"payload_size_bytes":100,)"
            R"("server_upload_time":5,"duplicates":0,"rejected":[]})");
}

TEST(AmplitudeTest, EncodeErrors) {
  simdjson::dom::parser parser;
  const std::string too_large =
      EncodeAmplitudeError(RequestError{413, "request_too_large", "The body is too large."});
  simdjson::dom::element root = ParseJson(parser, too_large);
  EXPECT_EQ(int64_t(root["code"]), 413);
  EXPECT_EQ(std::string_view(root["error"]), "The body is too large.");
  EXPECT_EQ(std::string_view(root["error_code"]), "request_too_large");

  const std::string no_key =
      EncodeAmplitudeError(RequestError{400, "missing_api_key", "The body has no 'api_key'."});
  root = ParseJson(parser, no_key);
  EXPECT_EQ(int64_t(root["code"]), 400);
  EXPECT_EQ(std::string_view(root["missing_field"]), "api_key");

  const std::string throttled =
      EncodeAmplitudeError(RequestError{429, "rate_limited", "Too many requests; retry later."});
  root = ParseJson(parser, throttled);
  EXPECT_EQ(int64_t(root["code"]), 429);
  EXPECT_EQ(std::string_view(root["error"]), "Too many requests; retry later.");
}

}  // namespace
}  // namespace uptake
