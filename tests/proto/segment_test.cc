#include "proto/segment.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <string>
#include <vector>

#include "proto/time.h"

namespace uptake {
namespace {

// 2015-02-22T22:00:00Z, one hour after the real sample starts.
constexpr int64_t kReceivedMs = 1424642400000;

ParsedRequest Parse(const std::string& body, SegmentCall call = SegmentCall::kBatch,
                    const IngestLimits& limits = IngestLimits()) {
  return ParseSegment(call, body, kReceivedMs, limits);
}

std::string Batch(const std::string& items) { return "{\"batch\":[" + items + "]}"; }

// A valid track item with extra members appended.
std::string Track(const std::string& extra = "") {
  return "{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"Login\"" + extra + "}";
}

std::string Nested(int levels) {
  std::string json;
  for (int i = 0; i < levels; ++i) json += "{\"a\":";
  json += "1";
  for (int i = 0; i < levels; ++i) json += "}";
  return json;
}

std::string RequestErrorCode(const ParsedRequest& parsed) {
  return parsed.error ? parsed.error->code : "";
}

std::string FirstRejection(const ParsedRequest& parsed) {
  return parsed.rejected.empty() ? "" : parsed.rejected[0].code;
}

struct ErrorCase {
  std::string body;
  std::string code;
};

TEST(SegmentTest, WholeRequestErrors) {
  const ErrorCase cases[] = {
      {"{\"batch\":[" + Track() + ",\"\xff\"]}", "invalid_utf8"},
      {"{\"batch\":[", "malformed_json"},
      {Batch(Track()) + " x", "malformed_json"},
      {Batch(Track()) + "{}", "malformed_json"},
      {Batch(Track() + ","), "malformed_json"},
      {Batch(Track(",\"properties\":{\"s\":\"a\tb\"}")), "malformed_json"},
      {Batch(Track(",\"properties\":{\"n\":[1 2]}")), "malformed_json"},
      {Batch(Track(",\"properties\":{\"n\":tru}")), "malformed_json"},
      {Batch(Track(",\"properties\":{\"n\":01}")), "malformed_json"},
      {Batch(Track(",\"properties\":{\"n\":1.}")), "malformed_json"},
      {Batch(Track(",\"properties\":{\"n\" 1}")), "malformed_json"},
      {Batch(Track(",\"properties\":{\"s\":\"\\x\"}")), "malformed_json"},
      {Batch(Track(",\"properties\":{\"n\":[1}}")), "malformed_json"},
      {"{\"batch\":[" + Track() + "],\"integrations\":{\"All\":fals}}", "malformed_json"},
      {"", "empty_batch"},
      {"  \n", "empty_batch"},
      {"{}", "empty_batch"},
      {"{\"batch\":[]}", "empty_batch"},
      {"{\"writeKey\":\"k\"}", "empty_batch"},
      {"{\"batch\":{}}", "invalid_batch"},
      {"[" + Track() + "]", "invalid_batch"},
      {"42", "invalid_batch"},
      {"\"text\"", "invalid_batch"},
  };
  for (const ErrorCase& c : cases) {
    const ParsedRequest parsed = Parse(c.body);
    EXPECT_EQ(RequestErrorCode(parsed), c.code) << c.body;
    EXPECT_TRUE(parsed.events.empty()) << c.body;
  }
}

TEST(SegmentTest, InvalidBatchNamesField) {
  const ParsedRequest parsed = Parse("{\"batch\":{}}");
  ASSERT_TRUE(parsed.error);
  EXPECT_EQ(parsed.error->http_status, 400);
  EXPECT_NE(parsed.error->message.find("'batch'"), std::string::npos) << parsed.error->message;
}

TEST(SegmentTest, RequestTooLargeCheckedFirst) {
  IngestLimits limits;
  limits.max_request_bytes = 64;
  const ParsedRequest parsed =
      Parse("{\"batch\":[" + std::string(100, ' ') + "not json", SegmentCall::kBatch, limits);
  EXPECT_EQ(RequestErrorCode(parsed), "request_too_large");
}

TEST(SegmentTest, TooManyEvents) {
  IngestLimits limits;
  limits.max_batch_events = 2;
  EXPECT_EQ(RequestErrorCode(Parse(Batch(Track() + "," + Track()), SegmentCall::kBatch, limits)),
            "");
  const ParsedRequest parsed =
      Parse(Batch(Track() + "," + Track() + "," + Track()), SegmentCall::kBatch, limits);
  EXPECT_EQ(RequestErrorCode(parsed), "too_many_events");
}

TEST(SegmentTest, PerEventRejections) {
  const ErrorCase cases[] = {
      {"42", "invalid_event"},
      {"[1,2]", "invalid_event"},
      {"{\"userId\":\"u\",\"event\":\"e\"}", "invalid_type"},
      {"{\"type\":\"fly\",\"userId\":\"u\"}", "invalid_type"},
      {"{\"type\":7,\"userId\":\"u\"}", "invalid_type"},
      {"{\"type\":\"track\",\"event\":\"e\"}", "missing_user"},
      {"{\"type\":\"track\",\"userId\":null,\"anonymousId\":\"\",\"event\":\"e\"}", "missing_user"},
      {"{\"type\":\"track\",\"userId\":\"u\"}", "missing_field"},
      {"{\"type\":\"track\",\"userId\":\"u\",\"event\":\"\"}", "missing_field"},
      {"{\"type\":\"group\",\"userId\":\"u\"}", "missing_field"},
      {"{\"type\":\"alias\",\"userId\":\"u\"}", "missing_field"},
      {Track(",\"userId\":\"u2\""), "duplicate_key"},
      {Track(",\"type\":\"track\""), "duplicate_key"},
      {Track(",\"originalTimestamp\":null,\"originalTimestamp\":null"), "duplicate_key"},
      {Track(",\"context\":{},\"context\":{}"), "duplicate_key"},
      {Track(",\"properties\":" + Nested(33)), "too_deep"},
      {Track(",\"context\":" + Nested(33)), "too_deep"},
      {"{\"type\":\"identify\",\"userId\":\"u\",\"traits\":" + Nested(33) + "}", "too_deep"},
      {Track(",\"other\":" + Nested(33)), "too_deep"},
      {Track(",\"properties\":{\"a\":{\"\\ud800\":1}}"), "invalid_unicode_escape"},
      {Track(",\"properties\":{\"a\":[\"\\udc00x\"]}"), "invalid_unicode_escape"},
      {Track(",\"\\ud800\":1"), "invalid_unicode_escape"},
      {"{\"type\":\"track\",\"userId\":\"\\ud800\",\"event\":\"e\"}", "invalid_unicode_escape"},
      {Track(",\"timestamp\":\"yesterday\""), "invalid_timestamp"},
      {Track(",\"timestamp\":1424642400"), "invalid_timestamp"},
      {Track(",\"sentAt\":\"2015-02-30T00:00:00Z\""), "invalid_timestamp"},
      {Track(",\"timestamp\":\"1970-01-17T11:04:02Z\""), "timestamp_out_of_range"},
      {Track(",\"properties\":[]"), "invalid_event"},
      {Track(",\"properties\":null"), "invalid_event"},
      {"{\"type\":\"identify\",\"userId\":\"u\",\"traits\":\"x\"}", "invalid_event"},
      {Track(",\"userId2\":1,\"messageId\":{}"), "invalid_event"},
  };
  for (const ErrorCase& c : cases) {
    const ParsedRequest parsed = Parse(Batch(Track() + "," + c.body));
    ASSERT_EQ(RequestErrorCode(parsed), "") << c.body;
    ASSERT_EQ(parsed.events.size(), 1u) << c.body;
    ASSERT_EQ(parsed.rejected.size(), 1u) << c.body;
    EXPECT_EQ(parsed.rejected[0].index, 1u) << c.body;
    EXPECT_EQ(parsed.rejected[0].code, c.code) << c.body;
    EXPECT_FALSE(parsed.rejected[0].message.empty()) << c.body;
  }
}

TEST(SegmentTest, ReservedAccountIdRejected) {
  // The bucket of events with no account must not merge with a real one.
  const ParsedRequest parsed =
      Parse(Batch(Track(",\"context\":{\"groupId\":\"(unattributed)\"}") + "," +
                  R"x({"type":"group","userId":"u1","groupId":"(unattributed)"})x" + "," +
                  Track(",\"context\":{\"groupId\":\"acme\"}")));
  ASSERT_EQ(parsed.rejected.size(), 2u);
  EXPECT_EQ(parsed.rejected[0].index, 0u);
  EXPECT_EQ(parsed.rejected[1].index, 1u);
  EXPECT_NE(parsed.rejected[0].message.find("reserved"), std::string::npos);
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].group_id, "acme");
}

TEST(SegmentTest, IdsOverTheLimitRejected) {
  const std::string at_limit(kMaxIdBytes, 'a');
  const std::string over_limit(kMaxIdBytes + 1, 'a');
  const ParsedRequest parsed =
      Parse(Batch(Track(",\"context\":{\"groupId\":\"" + at_limit + "\"}") + "," +
                  Track(",\"context\":{\"groupId\":\"" + over_limit + "\"}") + "," +
                  Track(",\"messageId\":\"" + over_limit + "\"") + "," +
                  R"({"type":"track","event":"Login","userId":")" + over_limit + "\"}"));
  ASSERT_EQ(parsed.events.size(), 1u);
  ASSERT_EQ(parsed.rejected.size(), 3u);
  EXPECT_NE(parsed.rejected[0].message.find("account id is 1025 bytes"), std::string::npos)
      << parsed.rejected[0].message;
  EXPECT_NE(parsed.rejected[1].message.find("message id"), std::string::npos);
  EXPECT_NE(parsed.rejected[2].message.find("user id"), std::string::npos);
}

TEST(SegmentTest, RejectionMessageNamesField) {
  const ParsedRequest parsed = Parse(Batch(Track(",\"properties\":[]")));
  ASSERT_EQ(parsed.rejected.size(), 1u);
  EXPECT_NE(parsed.rejected[0].message.find("'properties'"), std::string::npos);

  const ParsedRequest duplicate = Parse(Batch(Track(",\"event\":\"x\"")));
  ASSERT_EQ(duplicate.rejected.size(), 1u);
  EXPECT_NE(duplicate.rejected[0].message.find("'event'"), std::string::npos);
}

TEST(SegmentTest, DepthLimitBoundary) {
  const ParsedRequest at_limit = Parse(Batch(Track(",\"properties\":" + Nested(32))));
  ASSERT_EQ(at_limit.events.size(), 1u);
  EXPECT_EQ(at_limit.events[0].properties, Nested(32));

  const ParsedRequest over = Parse(Batch(Track(",\"properties\":" + Nested(33))));
  EXPECT_TRUE(over.events.empty());
  EXPECT_EQ(FirstRejection(over), "too_deep");
}

TEST(SegmentTest, TooDeepEventStillValidated) {
  // The skipped part of a too-deep event must still be valid JSON.
  const std::string deep = Nested(33);
  const std::string broken =
      deep.substr(0, deep.size() - 5) + "[1 2]" + deep.substr(deep.size() - 5);
  EXPECT_EQ(RequestErrorCode(Parse(Batch(Track(",\"properties\":" + broken)))), "malformed_json");
}

TEST(SegmentTest, TooDeepWithSurrogateStaysEventLevel) {
  std::string with_escape = Nested(33);
  with_escape.replace(with_escape.find('1'), 1, "\"\\ud800\"");
  const ParsedRequest parsed =
      Parse(Batch(Track(",\"properties\":" + with_escape) + "," + Track()));
  ASSERT_EQ(RequestErrorCode(parsed), "");
  EXPECT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(FirstRejection(parsed), "too_deep");
}

TEST(SegmentTest, EventTooLarge) {
  IngestLimits limits;
  limits.max_event_bytes = 120;
  const std::string small = Track();
  const std::string large = Track(",\"properties\":{\"pad\":\"" + std::string(200, 'x') + "\"}");
  const ParsedRequest parsed = Parse(Batch(small + "," + large), SegmentCall::kBatch, limits);
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(FirstRejection(parsed), "event_too_large");
}

TEST(SegmentTest, NulKeptInPropertiesAndIds) {
  const ParsedRequest parsed =
      Parse(Batch("{\"type\":\"track\",\"userId\":\"a\\u0000b\",\"event\":\"e\","
                  "\"properties\":{\"s\":\"x\\u0000y\"}}"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].user_id, std::string("a\0b", 3));
  EXPECT_EQ(parsed.events[0].properties, "{\"s\":\"x\\u0000y\"}");
}

TEST(SegmentTest, TwentyDigitNumbersByteExact) {
  const ParsedRequest parsed = Parse(Batch(
      "{\"type\":\"track\",\"userId\":12345678901234567890,\"messageId\":98765432109876543210,"
      "\"event\":\"e\",\"properties\":{\"id\":12345678901234567890,\"f\":1.50e+3}}"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].user_id, "12345678901234567890");
  EXPECT_EQ(parsed.events[0].message_id, "98765432109876543210");
  EXPECT_EQ(parsed.events[0].properties, "{\"id\":12345678901234567890,\"f\":1.50e+3}");
}

TEST(SegmentTest, GeneratesUniqueMessageIds) {
  const ParsedRequest parsed =
      Parse(Batch(Track() + "," + Track(",\"messageId\":\"m1\"") + "," + Track()));
  ASSERT_EQ(parsed.events.size(), 3u);
  EXPECT_EQ(parsed.events[1].message_id, "m1");
  for (size_t i : {0u, 2u}) {
    const std::string& id = parsed.events[i].message_id;
    EXPECT_EQ(id.rfind("uptake-", 0), 0u) << id;
    EXPECT_EQ(id.size(), 7u + 32u) << id;
  }
  EXPECT_NE(parsed.events[0].message_id, parsed.events[2].message_id);
}

TEST(SegmentTest, BatchContextInheritance) {
  const std::string items = Track() + "," + Track(",\"context\":{\"groupId\":\"beta\"}") + "," +
                            "{\"type\":\"group\",\"userId\":\"u\",\"groupId\":\"gamma\"," +
                            "\"context\":{\"groupId\":\"beta\"}}," +
                            Track(",\"context\":{\"groupId\":42}");
  // The batch context comes after the array, so it applies once all items are read.
  const ParsedRequest parsed =
      Parse("{\"batch\":[" + items +
            "],\"context\":{\"groupId\":\"acme\"},\"integrations\":{\"All\":true}}");
  ASSERT_EQ(RequestErrorCode(parsed), "");
  ASSERT_EQ(parsed.events.size(), 4u);
  EXPECT_EQ(parsed.events[0].group_id, "acme");
  EXPECT_EQ(parsed.events[1].group_id, "beta");
  EXPECT_EQ(parsed.events[2].group_id, "gamma");
  EXPECT_EQ(parsed.events[3].group_id, "42");
}

TEST(SegmentTest, EventTimeSources) {
  const ParsedRequest parsed =
      Parse(Batch(Track(",\"timestamp\":\"2015-02-22T21:30:00Z\"") + "," +
                  Track(",\"originalTimestamp\":\"2015-02-22T21:40:00Z\"") + "," +
                  Track(",\"timestamp\":\"2015-02-22T21:30:00Z\",\"originalTimestamp\":\"2015-02-"
                        "22T21:40:00Z\"") +
                  "," + Track()));
  ASSERT_EQ(parsed.events.size(), 4u);
  EXPECT_EQ(parsed.events[0].timestamp_ms, *ParseIso8601Ms("2015-02-22T21:30:00Z"));
  EXPECT_EQ(parsed.events[1].timestamp_ms, *ParseIso8601Ms("2015-02-22T21:40:00Z"));
  EXPECT_EQ(parsed.events[2].timestamp_ms, *ParseIso8601Ms("2015-02-22T21:30:00Z"));
  EXPECT_EQ(parsed.events[3].timestamp_ms, kReceivedMs);
  for (const Event& event : parsed.events) {
    EXPECT_EQ(event.received_ms, kReceivedMs);
    EXPECT_FALSE(event.timestamp_clamped);
  }
}

TEST(SegmentTest, SentAtCorrectsClockSkew) {
  // The device clock runs one hour fast: it stamped the event 10 s before
  // sending, both in its own time.
  const std::string item_sent_at =
      Track(",\"timestamp\":\"2015-02-22T22:59:50Z\",\"sentAt\":\"2015-02-22T23:00:00Z\"");
  const std::string batch_sent_at = Track(",\"timestamp\":\"2015-02-22T22:59:50Z\"");
  const ParsedRequest parsed = Parse("{\"batch\":[" + item_sent_at + "," + batch_sent_at +
                                     "],\"sentAt\":\"2015-02-22T23:00:00Z\"}");
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_EQ(parsed.events[0].timestamp_ms, kReceivedMs - 10'000);
  EXPECT_EQ(parsed.events[1].timestamp_ms, kReceivedMs - 10'000);
  EXPECT_FALSE(parsed.events[0].timestamp_clamped);
}

TEST(SegmentTest, FutureTimestampClamped) {
  const ParsedRequest parsed = Parse(Batch(Track(",\"timestamp\":\"2015-02-22T23:00:00Z\"") + "," +
                                           Track(",\"timestamp\":\"2015-02-22T22:04:00Z\"")));
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_EQ(parsed.events[0].timestamp_ms, kReceivedMs);
  EXPECT_TRUE(parsed.events[0].timestamp_clamped);
  EXPECT_EQ(parsed.events[1].timestamp_ms, kReceivedMs + 4 * 60'000);
  EXPECT_FALSE(parsed.events[1].timestamp_clamped);
}

TEST(SegmentTest, SecondsForMillisRejected) {
  // 1424642400 ms after the epoch is 1970-01-17: the client sent seconds.
  const ParsedRequest parsed =
      Parse(Batch(Track(",\"timestamp\":\"" + FormatIso8601Ms(1424642400) + "\"")));
  EXPECT_TRUE(parsed.events.empty());
  EXPECT_EQ(FirstRejection(parsed), "timestamp_out_of_range");
}

TEST(SegmentTest, NonEnvelopeDuplicatesAllowed) {
  const ParsedRequest parsed =
      Parse(Batch("{\"type\":\"page\",\"userId\":\"u\",\"name\":\"Home\",\"name\":\"Other\","
                  "\"properties\":{\"a\":1,\"a\":2},\"extra\":1,\"extra\":2}"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].name, "Home");
  EXPECT_EQ(parsed.events[0].properties, "{\"a\":1,\"a\":2}");
}

TEST(SegmentTest, NamesAndPropertiesPerType) {
  const ParsedRequest parsed = Parse(
      Batch("{\"type\":\"page\",\"anonymousId\":\"a1\",\"properties\":{\"p\":1}},"
            "{\"type\":\"screen\",\"userId\":\"u\",\"name\":\"Settings\"},"
            "{\"traits\":{\"plan\":\"pro\"},\"type\":\"identify\",\"userId\":\"u\",\"properties\":{"
            "\"x\":1}},"
            "{\"type\":\"alias\",\"userId\":\"u\",\"previousId\":\"a1\"},"
            "{\"type\":\"track\",\"userId\":\"u\",\"anonymousId\":\"a2\",\"event\":\"Export\"}"));
  ASSERT_EQ(parsed.events.size(), 5u);
  EXPECT_EQ(parsed.events[0].type, EventType::kPage);
  EXPECT_EQ(parsed.events[0].name, "page");
  EXPECT_EQ(parsed.events[0].user_id, "a1");
  EXPECT_EQ(parsed.events[0].anonymous_id, "a1");
  EXPECT_EQ(parsed.events[0].properties, "{\"p\":1}");
  EXPECT_EQ(parsed.events[1].name, "Settings");
  EXPECT_EQ(parsed.events[1].properties, "{}");
  EXPECT_EQ(parsed.events[2].name, "identify");
  EXPECT_EQ(parsed.events[2].properties, "{\"plan\":\"pro\"}");
  EXPECT_EQ(parsed.events[3].name, "alias");
  EXPECT_EQ(parsed.events[3].previous_id, "a1");
  EXPECT_EQ(parsed.events[4].name, "Export");
  EXPECT_EQ(parsed.events[4].user_id, "u");
  EXPECT_EQ(parsed.events[4].anonymous_id, "a2");
  for (const Event& event : parsed.events) EXPECT_EQ(event.source, Source::kSegment);
}

TEST(SegmentTest, GroupCreatedAt) {
  const std::string group = "{\"type\":\"group\",\"userId\":\"u\",\"groupId\":\"acme\",\"traits\":";
  const ParsedRequest parsed =
      Parse(Batch(group + "{\"created_at\":\"2014-01-01T00:00:00Z\"}}," + group +
                  "{\"createdAt\":1388534400}}," + group + "{\"createdAt\":1388534400000}}," +
                  group + "{\"name\":\"Acme\"}}"));
  ASSERT_EQ(parsed.events.size(), 4u);
  EXPECT_EQ(parsed.events[0].created_at_ms, 1388534400000);
  EXPECT_EQ(parsed.events[1].created_at_ms, 1388534400000);
  EXPECT_EQ(parsed.events[2].created_at_ms, 1388534400000);
  EXPECT_EQ(parsed.events[3].created_at_ms, std::nullopt);
  EXPECT_EQ(parsed.events[0].group_id, "acme");
  EXPECT_EQ(parsed.events[0].name, "group");
}

TEST(SegmentTest, WriteKeyFromBody) {
  EXPECT_EQ(Parse("{\"writeKey\":\"wk1\",\"batch\":[" + Track() + "]}").body_write_key, "wk1");
  EXPECT_EQ(Parse("{\"batch\":[" + Track() + "],\"write_key\":\"wk2\"}").body_write_key, "wk2");
  EXPECT_EQ(Parse(Batch(Track())).body_write_key, "");
}

TEST(SegmentTest, SingleCallRoute) {
  const ParsedRequest parsed = Parse(
      "{\"type\":\"identify\",\"userId\":\"u\",\"event\":\"Signed Up\",\"writeKey\":\"wk\","
      "\"timestamp\":\"2015-02-22T21:59:50Z\",\"sentAt\":\"2015-02-22T22:00:00Z\"}",
      SegmentCall::kTrack);
  ASSERT_EQ(RequestErrorCode(parsed), "");
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.body_write_key, "wk");
  EXPECT_EQ(parsed.events[0].type, EventType::kTrack);
  EXPECT_EQ(parsed.events[0].name, "Signed Up");
  EXPECT_EQ(parsed.events[0].timestamp_ms, kReceivedMs - 10'000);
  EXPECT_EQ(parsed.indices, std::vector<size_t>{0});

  EXPECT_EQ(RequestErrorCode(Parse("{}", SegmentCall::kTrack)), "empty_batch");
  EXPECT_EQ(RequestErrorCode(Parse("{\"userId\":\"u\"} {}", SegmentCall::kGroup)),
            "malformed_json");
  EXPECT_EQ(FirstRejection(Parse("{\"userId\":\"u\"}", SegmentCall::kGroup)), "missing_field");
}

TEST(SegmentTest, UsesSpareCapacityOrCopies) {
  std::string tight = Batch(Track());
  tight.shrink_to_fit();
  std::string roomy = tight;
  roomy.reserve(tight.size() + simdjson::SIMDJSON_PADDING + 16);
  EXPECT_EQ(Parse(tight).events.size(), 1u);
  EXPECT_EQ(Parse(roomy).events.size(), 1u);
}

// Builds track calls from GH Archive records: the actor is the user, the
// repository owner the account, the event type the feature.
TEST(SegmentTest, RealGharchiveBatch) {
  std::ifstream file(UPTAKE_SHARED_DIR
                     "/data/usage-events/gharchive-minimized/2015-02-22-21.ndjson");
  ASSERT_TRUE(file.is_open());
  simdjson::dom::parser line_parser;
  std::string items;
  std::vector<std::string> lines;
  std::string line;
  while (lines.size() < 100 && std::getline(file, line)) {
    simdjson::dom::element record = line_parser.parse(line);
    const std::string repo(record["repo"].get_string().value());
    const std::string actor(record["actor"].get_string().value());
    if (!items.empty()) items += ",";
    items += "{\"type\":\"track\",\"messageId\":\"" +
             std::string(record["id"].get_string().value()) + "\",\"userId\":\"" + actor +
             "\",\"event\":\"" + std::string(record["type"].get_string().value()) +
             "\",\"timestamp\":\"" + std::string(record["dt"].get_string().value()) +
             "\",\"context\":{\"groupId\":\"" + repo.substr(0, repo.find('/')) +
             "\"},\"properties\":" + line + "}";
    lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 100u);

  const ParsedRequest parsed =
      Parse("{\"batch\":[" + items + "],\"sentAt\":\"2015-02-22T22:00:00Z\"}");
  ASSERT_EQ(RequestErrorCode(parsed), "");
  EXPECT_TRUE(parsed.rejected.empty());
  ASSERT_EQ(parsed.events.size(), 100u);
  EXPECT_EQ(parsed.events[0].message_id, "2598740042");
  EXPECT_EQ(parsed.events[0].user_id, "shoshigb");
  EXPECT_EQ(parsed.events[0].group_id, "shoshigb");
  EXPECT_EQ(parsed.events[0].name, "push");
  EXPECT_EQ(parsed.events[0].timestamp_ms, *ParseIso8601Ms("2015-02-22T21:00:00Z"));
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(parsed.events[i].properties, lines[i]) << i;
    EXPECT_EQ(parsed.indices[i], i);
  }
}

}  // namespace
}  // namespace uptake
