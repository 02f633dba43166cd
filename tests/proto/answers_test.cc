#include "proto/answers.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <utility>
#include <vector>

namespace uptake {
namespace {

Alert SampleAlert() {
  Alert alert;
  alert.id = 9007199254740993ULL;
  alert.rule = "early-adoption";
  alert.kind = RuleKind::kFeatureAdoption;
  alert.account_id = std::string("acme\0x\"", 7);
  alert.severity = Severity::kCritical;
  alert.state = AlertState::kFiring;
  alert.observed = 2;
  alert.threshold = 5.5;
  alert.summary = "acme has used 2 of 14 features in its first 30 days.";
  alert.evidence = {"export", "sso"};
  alert.fired_at_ms = 1424638801123;
  alert.updated_at_ms = 1424638802000;
  return alert;
}

void ExpectSameAlert(const Alert& a, const Alert& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.rule, b.rule);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.account_id, b.account_id);
  EXPECT_EQ(a.severity, b.severity);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.observed, b.observed);
  EXPECT_EQ(a.threshold, b.threshold);
  EXPECT_EQ(a.summary, b.summary);
  EXPECT_EQ(a.evidence, b.evidence);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.annotations, b.annotations);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.owner, b.owner);
  EXPECT_EQ(a.active_since_ms, b.active_since_ms);
  EXPECT_EQ(a.fired_at_ms, b.fired_at_ms);
  EXPECT_EQ(a.resolved_at_ms, b.resolved_at_ms);
  EXPECT_EQ(a.updated_at_ms, b.updated_at_ms);
}

TEST(AlertCodecTest, FiringRoundTrip) {
  const Alert alert = SampleAlert();
  const std::string json = EncodeAlert(alert);
  EXPECT_NE(json.find("\"resolved_at\":null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"kind\":\"feature_adoption\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"fired_at\":\"2015-02-22T21:00:01.123Z\""), std::string::npos) << json;
  const std::optional<Alert> decoded = DecodeAlert(json);
  ASSERT_TRUE(decoded) << json;
  ExpectSameAlert(*decoded, alert);
}

TEST(AlertCodecTest, EveryEnumRoundTrips) {
  const RuleKind kinds[] = {RuleKind::kFeatureAdoption, RuleKind::kEventCount,
                            RuleKind::kInactivity, RuleKind::kLoginDrop};
  const Severity severities[] = {Severity::kInfo, Severity::kWarning, Severity::kCritical};
  for (RuleKind kind : kinds) {
    for (Severity severity : severities) {
      Alert alert = SampleAlert();
      alert.kind = kind;
      alert.severity = severity;
      alert.state = AlertState::kResolved;
      alert.resolved_at_ms = 1424642400000;
      alert.evidence.clear();
      const std::optional<Alert> decoded = DecodeAlert(EncodeAlert(alert));
      ASSERT_TRUE(decoded);
      ExpectSameAlert(*decoded, alert);
    }
  }
}

Alert PendingAlert() {
  Alert alert = SampleAlert();
  alert.state = AlertState::kPending;
  alert.labels = {{"team", "cs \"emea\""}, {"tier", "1"}};
  alert.annotations = {{"summary", "acme is idle\nsee {runbook}"}, {"runbook_url", "https://x/y"}};
  alert.active_since_ms = 1424638800000;
  alert.fired_at_ms = 0;
  return alert;
}

TEST(AlertCodecTest, PendingRoundTrip) {
  const Alert alert = PendingAlert();
  const std::string json = EncodeAlert(alert);
  EXPECT_NE(json.find("\"state\":\"pending\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"fired_at\":null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"active_since\":\"2015-02-22T21:00:00.000Z\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"labels\":{\"team\":\"cs \\\"emea\\\"\",\"tier\":\"1\"}"),
            std::string::npos)
      << json;
  const std::optional<Alert> decoded = DecodeAlert(json);
  ASSERT_TRUE(decoded) << json;
  ExpectSameAlert(*decoded, alert);
}

// A pending alert whose breach ended before `for` elapsed: resolved, but
// never fired.
TEST(AlertCodecTest, DroppedPendingRoundTrip) {
  Alert alert = PendingAlert();
  alert.state = AlertState::kResolved;
  alert.resolved_at_ms = 1424638900000;
  const std::string json = EncodeAlert(alert);
  EXPECT_NE(json.find("\"fired_at\":null"), std::string::npos) << json;
  const std::optional<Alert> decoded = DecodeAlert(json);
  ASSERT_TRUE(decoded) << json;
  ExpectSameAlert(*decoded, alert);
}

TEST(AlertCodecTest, FiringWithLifecycleFieldsRoundTrip) {
  Alert alert = PendingAlert();
  alert.state = AlertState::kFiring;
  alert.fired_at_ms = 1424642400000;
  const std::optional<Alert> decoded = DecodeAlert(EncodeAlert(alert));
  ASSERT_TRUE(decoded);
  ExpectSameAlert(*decoded, alert);
}

// Records stored before labels, annotations and active_since existed.
TEST(AlertCodecTest, DecodesRecordWithoutLifecycleFields) {
  const std::string json =
      "{\"id\":7,\"rule\":\"inactive\",\"kind\":\"inactivity\",\"account_id\":\"acme\","
      "\"severity\":\"warning\",\"state\":\"firing\",\"observed\":21.5,\"threshold\":14,"
      "\"summary\":\"s\",\"evidence\":[],\"fired_at\":\"2015-02-22T21:00:01.123Z\","
      "\"resolved_at\":null,\"updated_at\":\"2015-02-22T21:00:02.000Z\"}";
  const std::optional<Alert> decoded = DecodeAlert(json);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->id, 7u);
  EXPECT_TRUE(decoded->labels.empty());
  EXPECT_TRUE(decoded->annotations.empty());
  EXPECT_EQ(decoded->active_since_ms, 0);
  EXPECT_EQ(decoded->fired_at_ms, 1424638801123);
}

TEST(AlertCodecTest, RejectsMalformedLifecycleFields) {
  const std::string json = EncodeAlert(PendingAlert());
  const std::pair<std::string, std::string> cases[] = {
      {"\"tier\":\"1\"", "\"tier\":1"},
      {"\"labels\":{", "\"labels\":[],\"x\":{"},
      {"\"active_since\":\"2015-02-22T21:00:00.000Z\"", "\"active_since\":\"yesterday\""},
      {"\"state\":\"pending\"", "\"state\":\"pendng\""},
  };
  for (const auto& [from, to] : cases) {
    std::string broken = json;
    const size_t at = broken.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    broken.replace(at, from.size(), to);
    EXPECT_EQ(DecodeAlert(broken), std::nullopt) << broken;
  }
}

TEST(AlertCodecTest, RejectsOtherJson) {
  EXPECT_EQ(DecodeAlert(""), std::nullopt);
  EXPECT_EQ(DecodeAlert("[]"), std::nullopt);
  EXPECT_EQ(DecodeAlert("{\"id\":1}"), std::nullopt);
  std::string wrong_kind = EncodeAlert(SampleAlert());
  wrong_kind.replace(wrong_kind.find("feature_adoption"), 16, "feature_adoptiom");
  EXPECT_EQ(DecodeAlert(wrong_kind), std::nullopt);
}

TEST(AlertCodecTest, NonFiniteObservedIsNull) {
  Alert alert = SampleAlert();
  alert.observed = std::numeric_limits<double>::infinity();
  const std::string json = EncodeAlert(alert);
  EXPECT_NE(json.find("\"observed\":null"), std::string::npos) << json;
}

TEST(IngestAnswerTest, ListsRejections) {
  const std::vector<EventRejection> rejected = {{3, "missing_user", "No \"userId\"."}};
  EXPECT_EQ(EncodeIngestAnswer(5, 1, rejected),
            "{\"accepted\":5,\"duplicates\":1,\"rejected\":[{\"index\":3,\"error\":"
            "\"missing_user\",\"message\":\"No \\\"userId\\\".\"}]}");
  EXPECT_EQ(EncodeIngestAnswer(0, 0, {}), "{\"accepted\":0,\"duplicates\":0,\"rejected\":[]}");
  EXPECT_EQ(EncodeError("empty_batch", "Send events."),
            "{\"error\":\"empty_batch\",\"message\":\"Send events.\"}");
}

TEST(AccountViewTest, EncodesShape) {
  AccountView view;
  view.account_id = "acme";
  view.first_seen_ms = 1424563200000;
  view.last_seen_ms = 1424638801000;
  view.start_ms = 1424563200000;
  view.event_count = 42;
  view.user_count = 3;
  view.active_users_1d = 1;
  view.active_users_7d = 2;
  view.active_users_30d = 3;
  view.logins_7d = 4;
  view.logins_30d = 9;
  view.days_since_last_activity = 0;
  view.features_used = {"export", "sso"};
  view.features_in_window = {"export"};
  view.counts = {{"Login", 9}, {"push", 30}};
  view.uncounted_name_events = 3;
  view.days = {{16488, 30, 5}, {16489, 12, 4}};

  const std::string json = EncodeAccountView(view);
  EXPECT_EQ(json,
            "{\"account_id\":\"acme\",\"first_seen\":\"2015-02-22T00:00:00.000Z\","
            "\"last_seen\":\"2015-02-22T21:00:01.000Z\",\"created_at\":null,"
            "\"start\":\"2015-02-22T00:00:00.000Z\",\"event_count\":42,\"user_count\":3,"
            "\"plan\":null,\"arr\":null,\"owner\":null,"
            "\"active_users\":{\"1d\":1,\"7d\":2,\"30d\":3},\"logins\":{\"7d\":4,\"30d\":9},"
            "\"last_login\":null,\"days_since_last_activity\":0,"
            "\"features_used\":[\"export\",\"sso\"],\"adoption_window_days\":30,"
            "\"features_in_window\":[\"export\"],\"counts\":{\"Login\":9,\"push\":30},"
            "\"uncounted_name_events\":3,"
            "\"days\":[{\"date\":\"2015-02-22\",\"events\":30,\"logins\":5},"
            "{\"date\":\"2015-02-23\",\"events\":12,\"logins\":4}]}");

  simdjson::dom::parser parser;
  EXPECT_FALSE(parser.parse(json).error());
}

TEST(AccountViewTest, KnownTimesFormatted) {
  AccountView view;
  view.created_at_ms = 1388534400000;
  view.last_login_ms = 1424638801000;
  const std::string json = EncodeAccountView(view);
  EXPECT_NE(json.find("\"created_at\":\"2014-01-01T00:00:00.000Z\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"last_login\":\"2015-02-22T21:00:01.000Z\""), std::string::npos) << json;
}

TEST(AlertCodecTest, PriorityAndOwnerRoundTrip) {
  Alert alert = SampleAlert();
  alert.priority = 9;
  alert.owner = "dana@example.com";
  const std::string json = EncodeAlert(alert);
  EXPECT_NE(json.find("\"priority\":9,\"owner\":\"dana@example.com\""), std::string::npos) << json;
  const std::optional<Alert> decoded = DecodeAlert(json);
  ASSERT_TRUE(decoded) << json;
  ExpectSameAlert(*decoded, alert);
}

TEST(AlertCodecTest, EmptyOwnerIsNull) {
  Alert alert = SampleAlert();
  alert.priority = 3;
  const std::string json = EncodeAlert(alert);
  EXPECT_NE(json.find("\"priority\":3,\"owner\":null"), std::string::npos) << json;
  const std::optional<Alert> decoded = DecodeAlert(json);
  ASSERT_TRUE(decoded) << json;
  EXPECT_EQ(decoded->owner, "");
}

// Records stored before priority and owner existed.
TEST(AlertCodecTest, DecodesRecordWithoutPriority) {
  std::string json = EncodeAlert(SampleAlert());
  const std::string fields = "\"priority\":0,\"owner\":null,";
  const size_t at = json.find(fields);
  ASSERT_NE(at, std::string::npos) << json;
  json.erase(at, fields.size());
  const std::optional<Alert> decoded = DecodeAlert(json);
  ASSERT_TRUE(decoded) << json;
  EXPECT_EQ(decoded->priority, 0);
  EXPECT_EQ(decoded->owner, "");
}

TEST(AlertCodecTest, RejectsMalformedPriority) {
  const std::string json = EncodeAlert(SampleAlert());
  for (const std::string to : {"\"priority\":\"high\"", "\"priority\":1.5"}) {
    std::string broken = json;
    broken.replace(broken.find("\"priority\":0"), 12, to);
    EXPECT_EQ(DecodeAlert(broken), std::nullopt) << broken;
  }
  std::string owner = json;
  owner.replace(owner.find("\"owner\":null"), 12, "\"owner\":5");
  EXPECT_EQ(DecodeAlert(owner), std::nullopt) << owner;
}

TEST(AccountViewTest, TraitsEncoded) {
  AccountView view;
  view.plan = "enterprise";
  view.arr = 120000;
  view.owner = "dana";
  const std::string json = EncodeAccountView(view);
  EXPECT_NE(json.find("\"plan\":\"enterprise\",\"arr\":120000"), std::string::npos) << json;
  EXPECT_NE(json.find("\"owner\":\"dana\""), std::string::npos) << json;
}

TEST(AtRiskPageTest, EncodesShape) {
  AtRiskPage page;
  AtRiskAccount account;
  account.account_id = "acme";
  account.priority = 6;
  account.plan = "pro";
  account.open_alerts = {{4, "inactive", Severity::kCritical, 1424638801000},
                         {7, "low-adoption", Severity::kWarning, 1424638802000}};
  page.accounts.push_back(account);
  page.next = AtRiskCursor{6, "acme"};

  const std::string json = EncodeAtRiskPage(page);
  EXPECT_EQ(json,
            "{\"accounts\":[{\"account_id\":\"acme\",\"priority\":6,\"plan\":\"pro\","
            "\"arr\":null,\"owner\":null,\"open_alerts\":["
            "{\"id\":4,\"rule\":\"inactive\",\"severity\":\"critical\","
            "\"fired_at\":\"2015-02-22T21:00:01.000Z\"},"
            "{\"id\":7,\"rule\":\"low-adoption\",\"severity\":\"warning\","
            "\"fired_at\":\"2015-02-22T21:00:02.000Z\"}]}],"
            "\"next_after\":\"6.61636d65\"}");

  EXPECT_EQ(EncodeAtRiskPage(AtRiskPage{}), "{\"accounts\":[],\"next_after\":null}");
}

TEST(AtRiskCursorTest, RoundTrips) {
  const AtRiskCursor cases[] = {{9, "acme"}, {1, std::string("a&b=c\0/%", 9)}, {0, ""}};
  for (const AtRiskCursor& cursor : cases) {
    const std::string text = EncodeAtRiskCursor(cursor);
    EXPECT_EQ(text.find_first_not_of("0123456789abcdef."), std::string::npos) << text;
    const std::optional<AtRiskCursor> decoded = DecodeAtRiskCursor(text);
    ASSERT_TRUE(decoded) << text;
    EXPECT_EQ(decoded->priority, cursor.priority);
    EXPECT_EQ(decoded->account_id, cursor.account_id);
  }
}

TEST(AtRiskCursorTest, RejectsMalformed) {
  const char* cases[] = {"", "6", ".61", "x.61", "6.6", "6.zz", "-1.61", "6.61 ", " 6.61"};
  for (const char* text : cases) {
    EXPECT_EQ(DecodeAtRiskCursor(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace uptake

namespace uptake {
namespace {

TEST(AlertCodecTest, RouteRoundTrips) {
  Alert alert = SampleAlert();
  alert.tier = "growth";
  alert.route = {{"owner", 1424638801123, "dana@example.com", {"csm-direct"}},
                 {"escalated", 1425243601123, "", {"csm-pool", "audit"}}};
  alert.escalated_at_ms = 1425243601123;
  const std::string json = EncodeAlert(alert);
  EXPECT_NE(json.find("\"tier\":\"growth\",\"route\":[{\"step\":\"owner\",\"at\":\"2015-02-22T21:"
                      "00:01.123Z\",\"owner\":\"dana@example.com\",\"webhooks\":[\"csm-direct\"]}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"step\":\"escalated\",\"at\":\"2015-03-01T21:00:01.123Z\",\"owner\":null,"
                      "\"webhooks\":[\"csm-pool\",\"audit\"]}],\"escalated_at\":\"2015-03-01T21:"
                      "00:01.123Z\""),
            std::string::npos)
      << json;
  const std::optional<Alert> decoded = DecodeAlert(json);
  ASSERT_TRUE(decoded) << json;
  ExpectSameAlert(*decoded, alert);
  EXPECT_EQ(decoded->tier, "growth");
  ASSERT_EQ(decoded->route.size(), 2u);
  EXPECT_EQ(decoded->route[0].step, "owner");
  EXPECT_EQ(decoded->route[0].at_ms, 1424638801123);
  EXPECT_EQ(decoded->route[0].owner, "dana@example.com");
  EXPECT_EQ(decoded->route[1].owner, "");
  EXPECT_EQ(decoded->route[1].webhooks, (std::vector<std::string>{"csm-pool", "audit"}));
  EXPECT_EQ(decoded->escalated_at_ms, 1425243601123);
}

TEST(AlertCodecTest, NoRouteIsNullAndEmpty) {
  const std::string json = EncodeAlert(SampleAlert());
  EXPECT_NE(json.find("\"tier\":null,\"route\":[],\"escalated_at\":null"), std::string::npos)
      << json;
  // Records stored before routing existed.
  std::string old = json;
  old.erase(old.find(",\"tier\":null,\"route\":[],\"escalated_at\":null"),
            std::string(",\"tier\":null,\"route\":[],\"escalated_at\":null").size());
  const std::optional<Alert> decoded = DecodeAlert(old);
  ASSERT_TRUE(decoded) << old;
  EXPECT_TRUE(decoded->route.empty());
  EXPECT_EQ(decoded->escalated_at_ms, 0);

  std::string broken = json;
  broken.replace(broken.find("\"route\":[]"), 10, "\"route\":[{\"step\":1}]");
  EXPECT_EQ(DecodeAlert(broken), std::nullopt) << broken;
}

}  // namespace
}  // namespace uptake
