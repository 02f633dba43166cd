#include "proto/posthog.h"

#include <gtest/gtest.h>

#include <string>

#include "proto/time.h"

namespace uptake {
namespace {

// 2024-06-10T06:13:20Z.
constexpr int64_t kReceivedMs = 1718000000000;

ParsedRequest Parse(const std::string& body, const IngestLimits& limits = IngestLimits()) {
  return ParsePostHog(body, kReceivedMs, limits, PostHogOptions());
}

// Joins events into a JSON array body.
std::string Array(std::initializer_list<std::string> items) {
  std::string body = "[";
  for (const std::string& item : items) {
    if (body.size() > 1) body += ',';
    body += item;
  }
  body += ']';
  return body;
}

std::string ErrorCode(const ParsedRequest& parsed) {
  return parsed.error ? parsed.error->code : "";
}
int ErrorStatus(const ParsedRequest& parsed) {
  return parsed.error ? parsed.error->http_status : 0;
}
std::string FirstRejection(const ParsedRequest& parsed) {
  return parsed.rejected.empty() ? "" : parsed.rejected[0].code;
}

// A posthog-node 5.x capture item with extra members appended.
std::string NodeItem(const std::string& extra = "") {
  return R"({"distinct_id":"user-1","event":"Report Exported","properties":{"format":"csv",)"
         R"("$groups":{"company":"acme"},"$lib":"posthog-node","$lib_version":"5.1.0"},)"
         R"("type":"capture","library":"posthog-node","library_version":"5.1.0",)"
         R"("timestamp":"2024-06-10T06:13:10.000Z","uuid":"0190a1b2-0000-7000-8000-000000000001")" +
         extra + "}";
}

std::string NodeBatch(const std::string& items, const std::string& sent_at = "") {
  std::string body = R"({"api_key":"phc_node","batch":[)" + items + "]";
  if (!sent_at.empty()) body += R"(,"sent_at":")" + sent_at + "\"";
  return body + "}";
}

// A posthog-js event, which carries its key and user inside properties.
std::string JsItem(const std::string& event, const std::string& extra_properties = "",
                   const std::string& extra = "") {
  return R"({"uuid":"0190a1b2-0000-7000-8000-00000000000a","event":")" + event +
         R"(","properties":{"$os":"Mac OS X","token":"phc_js","distinct_id":"anon-7",)"
         R"("$groups":{"company":"acme","project":"p1"})" +
         extra_properties + R"(},"offset":1500)" + extra + "}";
}

TEST(PostHogTest, NodeBatch) {
  const ParsedRequest parsed =
      Parse(NodeBatch(NodeItem() + "," + NodeItem(R"(,"extra":1)"), "2024-06-10T06:13:10.000Z"));
  ASSERT_FALSE(parsed.error) << ErrorCode(parsed);
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_TRUE(parsed.rejected.empty());
  EXPECT_EQ(parsed.body_write_key, "phc_node");

  const Event& event = parsed.events[0];
  EXPECT_EQ(event.type, EventType::kTrack);
  EXPECT_EQ(event.source, Source::kPostHog);
  EXPECT_EQ(event.name, "Report Exported");
  EXPECT_EQ(event.user_id, "user-1");
  EXPECT_EQ(event.group_id, "acme");
  EXPECT_EQ(event.message_id, "0190a1b2-0000-7000-8000-000000000001");
  EXPECT_EQ(event.properties,
            R"({"format":"csv","$groups":{"company":"acme"},"$lib":"posthog-node",)"
            R"("$lib_version":"5.1.0"})");
  // sent_at equals the timestamp, so the event happened on receipt.
  EXPECT_EQ(event.timestamp_ms, kReceivedMs);
  EXPECT_EQ(event.received_ms, kReceivedMs);
  EXPECT_EQ(parsed.indices[1], 1u);
}

TEST(PostHogTest, JsArrayBody) {
  const ParsedRequest parsed = Parse(Array({JsItem("$pageview"), JsItem("clicked")}));
  ASSERT_FALSE(parsed.error) << ErrorCode(parsed);
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_EQ(parsed.body_write_key, "phc_js");

  const Event& page = parsed.events[0];
  EXPECT_EQ(page.type, EventType::kPage);
  EXPECT_EQ(page.name, "page");
  EXPECT_EQ(page.user_id, "anon-7");
  EXPECT_EQ(page.group_id, "acme");
  EXPECT_EQ(page.timestamp_ms, kReceivedMs - 1500);
  EXPECT_EQ(parsed.events[1].type, EventType::kTrack);
  EXPECT_EQ(parsed.events[1].name, "clicked");
}

TEST(PostHogTest, SingleEventObject) {
  const ParsedRequest parsed =
      Parse(R"({"api_key":"phc_single","event":"signed_up","distinct_id":42,"properties":{}})");
  ASSERT_FALSE(parsed.error) << ErrorCode(parsed);
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.body_write_key, "phc_single");
  EXPECT_EQ(parsed.events[0].user_id, "42");
  EXPECT_EQ(parsed.events[0].group_id, "");
  EXPECT_EQ(parsed.events[0].timestamp_ms, kReceivedMs);
  EXPECT_TRUE(parsed.single_event);
  EXPECT_FALSE(Parse(R"({"api_key":"k","batch":[{"event":"e","distinct_id":"u"}]})").single_event);
  EXPECT_FALSE(Parse(R"([{"api_key":"k","event":"e","distinct_id":"u"}])").single_event);
  // Without a uuid each event gets a fresh id.
  EXPECT_EQ(parsed.events[0].message_id.rfind("uptake-", 0), 0u);
  EXPECT_NE(parsed.events[0].message_id,
            Parse(R"({"event":"e","distinct_id":"u"})").events[0].message_id);
}

TEST(PostHogTest, KeySources) {
  EXPECT_EQ(Parse(R"({"token":"t1","event":"e","distinct_id":"u"})").body_write_key, "t1");
  // api_key wins over token, and a top-level key over an event's key.
  EXPECT_EQ(Parse(R"({"batch":[{"event":"e","distinct_id":"u","api_key":"e1"}],"token":"t1",)"
                  R"("api_key":"a1"})")
                .body_write_key,
            "a1");
  EXPECT_EQ(Parse(R"({"batch":[{"event":"e","distinct_id":"u","api_key":"e1"}]})").body_write_key,
            "e1");
  EXPECT_EQ(Parse(R"([{"event":"e","distinct_id":"u"},{"event":"e","properties":)"
                  R"({"distinct_id":"u","token":"phc_2"}}])")
                .body_write_key,
            "phc_2");
  EXPECT_EQ(ErrorCode(Parse(R"({"api_key":7,"event":"e","distinct_id":"u"})")), "invalid_batch");
}

TEST(PostHogTest, IdentifyTraits) {
  // posthog-node puts $set inside properties.
  const ParsedRequest node = Parse(NodeBatch(
      R"({"distinct_id":"user-1","event":"$identify","properties":{"$set":{"plan":"pro"},)"
      R"("$anon_distinct_id":"anon-7"}})"));
  ASSERT_EQ(node.events.size(), 1u);
  EXPECT_EQ(node.events[0].type, EventType::kIdentify);
  EXPECT_EQ(node.events[0].name, "identify");
  EXPECT_EQ(node.events[0].properties, R"({"plan":"pro"})");
  EXPECT_EQ(node.events[0].anonymous_id, "anon-7");

  // posthog-js puts it beside properties.
  const ParsedRequest js = Parse(JsItem("$identify", "", R"(,"$set":{"email":"a@b.c"})"));
  ASSERT_EQ(js.events.size(), 1u);
  EXPECT_EQ(js.events[0].properties, R"({"email":"a@b.c"})");

  const ParsedRequest bare = Parse(R"({"event":"$identify","distinct_id":"u"})");
  ASSERT_EQ(bare.events.size(), 1u);
  EXPECT_EQ(bare.events[0].properties, "{}");
}

TEST(PostHogTest, GroupIdentifyOwnType) {
  const ParsedRequest parsed =
      Parse(NodeBatch(R"({"distinct_id":"$company_acme","event":"$groupidentify","properties":{)"
                      R"("$group_set":{"name":"Acme","created_at":"2023-01-02T00:00:00Z"},)"
                      R"("$group_type":"company","$group_key":"acme"}})"));
  ASSERT_EQ(parsed.events.size(), 1u) << FirstRejection(parsed);
  const Event& event = parsed.events[0];
  EXPECT_EQ(event.type, EventType::kGroup);
  EXPECT_EQ(event.name, "group");
  EXPECT_EQ(event.group_id, "acme");
  EXPECT_EQ(event.properties, R"({"name":"Acme","created_at":"2023-01-02T00:00:00Z"})");
  EXPECT_EQ(event.created_at_ms, ParseIso8601Ms("2023-01-02T00:00:00Z"));

  const ParsedRequest numeric =
      Parse(R"({"event":"$groupidentify","distinct_id":"u","properties":{"$group_type":"company",)"
            R"("$group_key":1234567890123456789012,"$group_set":{"createdAt":1700000000}}})");
  ASSERT_EQ(numeric.events.size(), 1u);
  EXPECT_EQ(numeric.events[0].group_id, "1234567890123456789012");
  EXPECT_EQ(numeric.events[0].created_at_ms, 1700000000000);
}

TEST(PostHogTest, GroupIdentifyOtherType) {
  const ParsedRequest parsed =
      Parse(JsItem("$groupidentify", R"(,"$group_type":"project","$group_key":"p1")"));
  ASSERT_EQ(parsed.events.size(), 1u);
  const Event& event = parsed.events[0];
  EXPECT_EQ(event.type, EventType::kTrack);
  EXPECT_EQ(event.name, "$groupidentify");
  // The project key names no account; the event's $groups still does.
  EXPECT_EQ(event.group_id, "acme");

  const ParsedRequest no_groups =
      Parse(R"({"event":"$groupidentify","distinct_id":"u","properties":{"$group_type":"project",)"
            R"("$group_key":"p1"}})");
  ASSERT_EQ(no_groups.events.size(), 1u);
  EXPECT_EQ(no_groups.events[0].group_id, "");
}

TEST(PostHogTest, ConfiguredGroupType) {
  PostHogOptions options;
  options.group_type = "organization";
  const ParsedRequest parsed = ParsePostHog(
      R"({"event":"e","distinct_id":"u","properties":{"$groups":{"company":"a","organization":"o"}}})",
      kReceivedMs, IngestLimits(), options);
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].group_id, "o");
}

TEST(PostHogTest, ScreenAndAlias) {
  const ParsedRequest screen = Parse(JsItem("$screen", R"(,"$screen_name":"Settings")"));
  ASSERT_EQ(screen.events.size(), 1u);
  EXPECT_EQ(screen.events[0].type, EventType::kScreen);
  EXPECT_EQ(screen.events[0].name, "Settings");

  const ParsedRequest alias =
      Parse(R"({"event":"$create_alias","properties":{"distinct_id":"user-1","alias":"anon-7"}})");
  ASSERT_EQ(alias.events.size(), 1u);
  EXPECT_EQ(alias.events[0].type, EventType::kAlias);
  EXPECT_EQ(alias.events[0].user_id, "user-1");
  EXPECT_EQ(alias.events[0].previous_id, "anon-7");
  EXPECT_EQ(alias.events[0].properties, "{}");
}

TEST(PostHogTest, UserSources) {
  EXPECT_EQ(Parse(R"({"event":"e","properties":{"$distinct_id":"d"}})").events[0].user_id, "d");
  // The event's own distinct_id wins over the properties.
  EXPECT_EQ(Parse(R"({"event":"e","distinct_id":"top","properties":{"distinct_id":"p"}})")
                .events[0]
                .user_id,
            "top");
  // Inside properties the first occurrence wins.
  EXPECT_EQ(Parse(R"({"event":"e","properties":{"distinct_id":"a","distinct_id":"b"}})")
                .events[0]
                .user_id,
            "a");
}

TEST(PostHogTest, SentAtCorrectsClockSkew) {
  // The device clock runs one hour fast: sent_at and timestamp both carry it.
  const ParsedRequest parsed = Parse(NodeBatch(
      NodeItem() + "," +
          R"({"event":"e","distinct_id":"u","timestamp":"2024-06-10T07:13:15Z","sent_at":"2024-06-10T07:13:20Z"})",
      "2024-06-10T07:13:20.000Z"));
  ASSERT_EQ(parsed.events.size(), 2u) << FirstRejection(parsed);
  EXPECT_EQ(parsed.events[0].timestamp_ms, kReceivedMs - 3600000 - 10000);
  EXPECT_EQ(parsed.events[1].timestamp_ms, kReceivedMs - 5000);
}

TEST(PostHogTest, TimeSources) {
  // Without sent_at the timestamp is trusted as sent, and wins over offset.
  const ParsedRequest timestamp =
      Parse(R"({"event":"e","distinct_id":"u","timestamp":"2024-06-10T06:00:00Z","offset":5})");
  EXPECT_EQ(timestamp.events[0].timestamp_ms, ParseIso8601Ms("2024-06-10T06:00:00Z"));

  const ParsedRequest fractional = Parse(R"({"event":"e","distinct_id":"u","offset":2.5e3})");
  EXPECT_EQ(fractional.events[0].timestamp_ms, kReceivedMs - 2500);

  const ParsedRequest future =
      Parse(R"({"event":"e","distinct_id":"u","timestamp":"2024-06-10T09:00:00Z"})");
  EXPECT_EQ(future.events[0].timestamp_ms, kReceivedMs);
  EXPECT_TRUE(future.events[0].timestamp_clamped);

  const ParsedRequest old =
      Parse(R"({"event":"e","distinct_id":"u","timestamp":"1970-01-20T12:00:00Z"})");
  EXPECT_EQ(FirstRejection(old), "timestamp_out_of_range");
}

TEST(PostHogTest, InvalidTopLevelSentAt) {
  const ParsedRequest parsed =
      Parse(R"({"batch":[{"event":"e","distinct_id":"u"},{"event":"e","distinct_id":"u",)"
            R"("sent_at":"2024-06-10T06:13:20Z"}],"sent_at":"yesterday"})");
  ASSERT_EQ(parsed.rejected.size(), 1u);
  EXPECT_EQ(parsed.rejected[0].index, 0u);
  EXPECT_EQ(parsed.rejected[0].code, "invalid_timestamp");
  ASSERT_EQ(parsed.events.size(), 1u);
}

struct ErrorCase {
  std::string body;
  std::string code;
};

TEST(PostHogTest, WholeRequestErrors) {
  const ErrorCase cases[] = {
      {"", "empty_batch"},
      {"  ", "empty_batch"},
      {"{}", "empty_batch"},
      {"[]", "empty_batch"},
      {R"({"batch":[]})", "empty_batch"},
      {R"({"api_key":"k","batch":[]})", "empty_batch"},
      {R"({"batch":{}})", "invalid_batch"},
      {R"({"batch":[],"batch":[]})", "invalid_batch"},
      {"42", "invalid_batch"},
      {R"("text")", "invalid_batch"},
      {Array({NodeItem(), "\"\xff\""}), "invalid_utf8"},
      {std::string("[").append(NodeItem()), "malformed_json"},
      {Array({NodeItem()}) + " x", "malformed_json"},
      {R"([{"event":"e","distinct_id":"u","properties":{"a":tru}}])", "malformed_json"},
      {R"([{"event":"e","distinct_id":"u","properties":{"$groups":{"company":[1 2]}}}])",
       "malformed_json"},
      {R"([{"event":"e","distinct_id":"u","offset":01}])", "malformed_json"},
  };
  for (const ErrorCase& test : cases) {
    const ParsedRequest parsed = Parse(test.body);
    EXPECT_EQ(ErrorCode(parsed), test.code) << test.body;
    EXPECT_EQ(ErrorStatus(parsed), 400) << test.body;
    EXPECT_TRUE(parsed.events.empty()) << test.body;
  }
}

TEST(PostHogTest, PerEventRejections) {
  std::string deep = "1";
  for (int i = 0; i < 40; ++i) deep = "[" + deep + "]";
  const ErrorCase cases[] = {
      {R"({"distinct_id":"u"})", "missing_field"},
      {R"({"event":"","distinct_id":"u"})", "missing_field"},
      {R"({"event":"e"})", "missing_user"},
      {R"({"event":"e","distinct_id":""})", "missing_user"},
      {R"({"event":"e","distinct_id":{"id":1}})", "invalid_event"},
      {R"({"event":7,"distinct_id":"u"})", "invalid_event"},
      {R"({"event":"e","distinct_id":"u","uuid":5})", "invalid_event"},
      {R"({"event":"e","distinct_id":"u","properties":[]})", "invalid_event"},
      {"\"not an object\"", "invalid_event"},
      {R"({"event":"e","event":"f","distinct_id":"u"})", "duplicate_key"},
      {R"({"event":"e","distinct_id":"u","uuid":"a","uuid":"b"})", "duplicate_key"},
      {R"({"event":"e","distinct_id":"u","properties":{"a":)" + deep + "}}", "too_deep"},
      {R"({"event":"e","distinct_id":"u","properties":{"$groups":{"company":)" + deep + "}}}",
       "too_deep"},
      {R"({"event":"e","distinct_id":"u","properties":{"a":"\ud800"}})", "invalid_unicode_escape"},
      {R"({"event":"e","distinct_id":"u","\udc00":1})", "invalid_unicode_escape"},
      {R"({"event":"e","distinct_id":"u","timestamp":"June"})", "invalid_timestamp"},
      {R"({"event":"e","distinct_id":"u","timestamp":1718000000})", "invalid_timestamp"},
      {R"({"event":"e","distinct_id":"u","offset":"5"})", "invalid_timestamp"},
      {R"({"event":"e","distinct_id":"u","offset":1e300})", "invalid_timestamp"},
      {R"({"event":"$groupidentify","distinct_id":"u","properties":{"$group_type":"company"}})",
       "missing_field"},
      {R"({"event":"$create_alias","distinct_id":"u","properties":{}})", "missing_field"},
  };
  for (const ErrorCase& test : cases) {
    const ParsedRequest parsed = Parse(Array({NodeItem(), test.body}));
    ASSERT_FALSE(parsed.error) << test.body << ": " << ErrorCode(parsed);
    ASSERT_EQ(parsed.events.size(), 1u) << test.body;
    ASSERT_EQ(parsed.rejected.size(), 1u) << test.body;
    EXPECT_EQ(parsed.rejected[0].index, 1u) << test.body;
    EXPECT_EQ(parsed.rejected[0].code, test.code) << test.body;
  }
}

TEST(PostHogTest, EventTooLarge) {
  IngestLimits limits;
  limits.max_event_bytes = 500;
  const std::string padding(600, 'x');
  const std::string big =
      R"({"event":"e","distinct_id":"u","properties":{"p":")" + padding + "\"}}";
  const ParsedRequest parsed = Parse(Array({NodeItem(), big}), limits);
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(FirstRejection(parsed), "event_too_large");
}

TEST(PostHogTest, RequestTooLarge) {
  IngestLimits limits;
  limits.max_posthog_request_bytes = 100;
  const ParsedRequest parsed = Parse(NodeBatch(NodeItem()), limits);
  EXPECT_EQ(ErrorCode(parsed), "request_too_large");
  EXPECT_EQ(ErrorStatus(parsed), 413);

  // The Segment request limit does not apply to PostHog bodies.
  limits.max_posthog_request_bytes = 1 << 20;
  limits.max_request_bytes = 100;
  EXPECT_FALSE(Parse(NodeBatch(NodeItem()), limits).error);
}

TEST(PostHogTest, TooManyEvents) {
  IngestLimits limits;
  limits.max_batch_events = 2;
  EXPECT_EQ(Parse(NodeBatch(NodeItem() + "," + NodeItem()), limits).events.size(), 2u);
  const ParsedRequest parsed =
      Parse(NodeBatch(NodeItem() + "," + NodeItem() + "," + NodeItem()), limits);
  EXPECT_EQ(ErrorCode(parsed), "too_many_events");
  EXPECT_EQ(ErrorStatus(parsed), 413);
}

TEST(PostHogTest, NulAndBigNumbersKept) {
  const ParsedRequest parsed =
      Parse(R"({"event":"e","distinct_id":"a\u0000b","properties":{"n":12345678901234567890123}})");
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].user_id, std::string("a\0b", 3));
  EXPECT_EQ(parsed.events[0].properties, R"({"n":12345678901234567890123})");
}

}  // namespace
}  // namespace uptake
