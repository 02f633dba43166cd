// IngestService with a real RocksDB store in a temporary folder: write-key
// handling, the order in which an event's account is chosen, and requests
// and parsed messages that share one coalesced commit.

#include "server/ingest_service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/alert_hub.h"
#include "server/alert_recorder.h"
#include "storage/pending_links.h"

namespace uptake {
namespace {

constexpr int64_t kReceivedMs = 1'709'287'200'000;  // 2024-03-01T10:00:00Z

class IngestServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "uptake-ingest-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    ASSERT_TRUE(Store::Open(dir_ + "/db", StoreOptions{}, &store_).ok());

    config_.write_keys = {"key-a"};
    config_.features = {{"Reports", {"Report Viewed"}}};
    aggregator_ = std::make_unique<Aggregator>(Catalog(config_.features, config_.login_events),
                                               config_.rules);
    recorder_ = std::make_unique<AlertRecorder>(*store_, hub_, /*retained_changes=*/1000);
    service_ = std::make_unique<IngestService>(config_, *store_, *aggregator_, clock_, *recorder_);
  }

  void TearDown() override {
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static IngestRequest Request(SegmentCall call, std::string body, std::string_view authorization) {
    IngestRequest request;
    request.family = IngestFamily::kSegment;
    request.segment_call = call;
    request.authorization = authorization;
    request.content_type = "application/json";
    request.body = std::move(body);
    request.received_ms = kReceivedMs;
    return request;
  }

  HttpAnswer Send(SegmentCall call, std::string body,
                  std::string authorization = "Basic a2V5LWE6") {  // key-a:
    return service_->Handle(Request(call, std::move(body), authorization));
  }

  // Queues a request for the next coalesced commit. The response is stored
  // in `response` once a flush ran. Needs CoalesceCommits first.
  void Queue(SegmentCall call, std::string body, std::optional<HttpAnswer>* response,
             std::string_view authorization = "Basic a2V5LWE6") {
    service_->HandleAsync(Request(call, std::move(body), authorization),
                          [response](HttpAnswer result) { *response = std::move(result); });
  }

  // Makes the service queue its commits, with flushes run by RunFlushes.
  void CoalesceCommits() {
    service_->CoalesceCommits(
        [this](std::function<void()> flush) { flushes_.push_back(std::move(flush)); });
  }

  void RunFlushes() {
    std::vector<std::function<void()>> due;
    due.swap(flushes_);
    for (auto& flush : due) flush();
  }

  // Parses `body` as a Segment call and passes it to CommitParsedAsync
  // under key-a, as the next message of one stream. The result is stored in
  // `result` once known, and then the message's links are forgotten.
  void CommitParsed(SegmentCall call, const std::string& body,
                    std::optional<CommitResult>* result) {
    ParsedRequest parsed = ParseSegment(call, body, kReceivedMs, service_->limits());
    ASSERT_FALSE(parsed.error.has_value()) << body;
    const uint64_t message = next_message_++;
    service_->CommitParsedAsync("key-a", std::move(parsed), links_, message,
                                [this, message, result](CommitResult outcome) {
                                  links_.Forget(message);
                                  *result = std::move(outcome);
                                });
  }

  uint64_t Commits() const { return store_->WriteStats().commits; }

  int64_t EventCount(const std::string& account) {
    auto view = aggregator_->View(account, kReceivedMs);
    return view ? view->event_count : 0;
  }

  std::string dir_;
  Config config_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Aggregator> aggregator_;
  ServerClock clock_{ClockMode::kWall};
  AlertHub hub_;
  std::unique_ptr<AlertRecorder> recorder_;
  std::unique_ptr<IngestService> service_;
  std::vector<std::function<void()>> flushes_;
  PendingLinks links_;  // the stream's, for CommitParsed
  uint64_t next_message_ = 0;
};

TEST_F(IngestServiceTest, EventGroupIdWins) {
  ASSERT_EQ(Send(SegmentCall::kGroup, R"({"userId":"u1","groupId":"linked"})").status, 200);
  ASSERT_EQ(Send(SegmentCall::kTrack,
                 R"({"userId":"u1","event":"Report Viewed","context":{"groupId":"own"}})")
                .status,
            200);
  EXPECT_EQ(EventCount("own"), 1);
  EXPECT_EQ(EventCount("linked"), 1);  // the group call itself
}

TEST_F(IngestServiceTest, StoredLinkAttributesTrack) {
  ASSERT_EQ(Send(SegmentCall::kGroup, R"({"userId":"u1","groupId":"acme"})").status, 200);
  ASSERT_EQ(Send(SegmentCall::kTrack, R"({"userId":"u1","event":"Report Viewed"})").status, 200);
  EXPECT_EQ(EventCount("acme"), 2);
  EXPECT_EQ(EventCount(kUnattributedAccount), 0);
}

TEST_F(IngestServiceTest, LinkInSameBatchApplies) {
  HttpAnswer answer = Send(SegmentCall::kBatch, R"({"batch":[
      {"type":"group","userId":"u2","groupId":"globex"},
      {"type":"track","userId":"u2","event":"Report Viewed"}]})");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(EventCount("globex"), 2);
}

TEST_F(IngestServiceTest, LatestLinkByEventTimeWins) {
  ASSERT_EQ(Send(SegmentCall::kGroup,
                 R"({"userId":"u3","groupId":"newer","timestamp":"2024-02-20T00:00:00Z"})")
                .status,
            200);
  // Arrives later but happened earlier, so it does not move the user.
  ASSERT_EQ(Send(SegmentCall::kGroup,
                 R"({"userId":"u3","groupId":"older","timestamp":"2024-02-10T00:00:00Z"})")
                .status,
            200);
  ASSERT_EQ(Send(SegmentCall::kTrack, R"({"userId":"u3","event":"Report Viewed"})").status, 200);
  EXPECT_EQ(EventCount("newer"), 2);
  EXPECT_EQ(EventCount("older"), 1);
}

TEST_F(IngestServiceTest, AliasLinksAnonymousId) {
  ASSERT_EQ(Send(SegmentCall::kGroup, R"({"userId":"u5","groupId":"initech"})").status, 200);
  ASSERT_EQ(Send(SegmentCall::kAlias, R"({"userId":"u5","previousId":"anon-5"})").status, 200);
  ASSERT_EQ(Send(SegmentCall::kTrack, R"({"anonymousId":"anon-5","event":"Report Viewed"})").status,
            200);
  EXPECT_EQ(EventCount("initech"), 3);
  EXPECT_EQ(EventCount(kUnattributedAccount), 0);
}

TEST_F(IngestServiceTest, IdentifyLinksAnonymousId) {
  // An identify call that carries both ids ties the anonymous one to the
  // user, as a sign-in does in Segment and PostHog.
  ASSERT_EQ(Send(SegmentCall::kGroup, R"({"userId":"u9","groupId":"vandelay"})").status, 200);
  ASSERT_EQ(Send(SegmentCall::kIdentify, R"({"userId":"u9","anonymousId":"anon-9"})").status, 200);
  ASSERT_EQ(Send(SegmentCall::kTrack, R"({"anonymousId":"anon-9","event":"Report Viewed"})").status,
            200);
  EXPECT_EQ(EventCount("vandelay"), 3);
  EXPECT_EQ(EventCount(kUnattributedAccount), 0);

  // In one batch too, before its commit.
  HttpAnswer answer = Send(SegmentCall::kBatch, R"({"batch":[
      {"type":"identify","userId":"u9","anonymousId":"anon-10"},
      {"type":"track","anonymousId":"anon-10","event":"Report Viewed"}]})");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(EventCount("vandelay"), 5);
}

TEST_F(IngestServiceTest, AliasInSameBatchApplies) {
  HttpAnswer answer = Send(SegmentCall::kBatch, R"({"batch":[
      {"type":"group","userId":"u6","groupId":"hooli"},
      {"type":"alias","userId":"u6","previousId":"anon-6"},
      {"type":"track","anonymousId":"anon-6","event":"Report Viewed"}]})");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(EventCount("hooli"), 3);
}

TEST_F(IngestServiceTest, AliasToStoredLinkInSameBatch) {
  ASSERT_EQ(Send(SegmentCall::kGroup, R"({"userId":"u7","groupId":"initech"})").status, 200);
  HttpAnswer answer = Send(SegmentCall::kBatch, R"({"batch":[
      {"type":"alias","userId":"u7","previousId":"anon-7"},
      {"type":"track","anonymousId":"anon-7","event":"Report Viewed"}]})");
  ASSERT_EQ(answer.status, 200) << answer.body;
  // As if sent one by one: the alias is stored, then the track follows it
  // to u7's stored link.
  EXPECT_EQ(EventCount("initech"), 3);
  EXPECT_EQ(EventCount(kUnattributedAccount), 0);
}

TEST_F(IngestServiceTest, OlderLinkInBatchLoses) {
  ASSERT_EQ(Send(SegmentCall::kGroup,
                 R"({"userId":"u8","groupId":"newer","timestamp":"2024-02-20T00:00:00Z"})")
                .status,
            200);
  HttpAnswer answer = Send(SegmentCall::kBatch, R"({"batch":[
      {"type":"group","userId":"u8","groupId":"older","timestamp":"2024-02-10T00:00:00Z"},
      {"type":"track","userId":"u8","event":"Report Viewed"}]})");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(EventCount("newer"), 2);
  EXPECT_EQ(EventCount("older"), 1);
}

TEST_F(IngestServiceTest, NoAccountGoesUnattributed) {
  ASSERT_EQ(Send(SegmentCall::kTrack, R"({"anonymousId":"anon-1","event":"Report Viewed"})").status,
            200);
  EXPECT_EQ(EventCount(kUnattributedAccount), 1);
}

TEST_F(IngestServiceTest, UnknownKeyStoresNothing) {
  HttpAnswer answer = Send(SegmentCall::kTrack,
                           R"({"userId":"u1","event":"Report Viewed","context":{"groupId":"x"}})",
                           "Basic b3RoZXI6");  // other:
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(EventCount("x"), 0);
  size_t stored = 0;
  ASSERT_TRUE(store_->ForEachEvent([&](const Event&) { ++stored; }).ok());
  EXPECT_EQ(stored, 0u);
}

TEST_F(IngestServiceTest, BodyKeyUsedWithBearer) {
  HttpAnswer answer = Send(
      SegmentCall::kTrack,
      R"({"writeKey":"key-a","userId":"u1","event":"Report Viewed","context":{"groupId":"x"}})",
      "Bearer something-else");
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(EventCount("x"), 1);
}

TEST_F(IngestServiceTest, CredentialsParsed) {
  EXPECT_EQ(CredentialsFromAuthorization("Basic a2V5LWE6").key, "key-a");
  EXPECT_EQ(CredentialsFromAuthorization("basic a2V5LWE=").key, "key-a");  // no colon
  EXPECT_EQ(CredentialsFromAuthorization("Bearer tok").key, "tok");
  EXPECT_TRUE(CredentialsFromAuthorization("Bearer tok").bearer);
  EXPECT_EQ(CredentialsFromAuthorization("Basic !!!").key, "");
  EXPECT_EQ(CredentialsFromAuthorization("").key, "");
}

TEST_F(IngestServiceTest, UnsupportedMediaTypeIs415) {
  IngestRequest request;
  request.segment_call = SegmentCall::kTrack;
  request.authorization = "Basic a2V5LWE6";
  request.content_type = "application/xml";
  request.body = "<event/>";
  EXPECT_EQ(service_->Handle(std::move(request)).status, 415);
}

TEST_F(IngestServiceTest, QueuedRequestsShareOneCommit) {
  CoalesceCommits();
  std::optional<HttpAnswer> first, second, repeat;
  Queue(SegmentCall::kTrack,
        R"({"userId":"u1","event":"Report Viewed","messageId":"m1","context":{"groupId":"acme"}})",
        &first);
  Queue(SegmentCall::kBatch, R"({"batch":[
      {"type":"track","userId":"u2","event":"Report Viewed","messageId":"m2",
       "context":{"groupId":"acme"}},
      {"type":"track","userId":"u3","event":"Report Viewed","messageId":"m3",
       "context":{"groupId":"globex"}}]})",
        &second);
  // The same message id as the first request, in the same flush.
  Queue(SegmentCall::kTrack,
        R"({"userId":"u1","event":"Report Viewed","messageId":"m1","context":{"groupId":"acme"}})",
        &repeat);
  // Nothing is committed and no response is given before the flush runs.
  EXPECT_FALSE(first.has_value());
  EXPECT_EQ(Commits(), 0u);
  ASSERT_EQ(flushes_.size(), 1u) << "one flush for the whole queue";

  RunFlushes();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(second->status, 200) << second->body;
  EXPECT_EQ(repeat->status, 200) << repeat->body;
  EXPECT_EQ(Commits(), 1u);
  EXPECT_EQ(EventCount("acme"), 2);
  EXPECT_EQ(EventCount("globex"), 1);

  // The repeat was a duplicate of the first request's event, and so is the
  // same event sent again alone: nothing more is stored.
  std::optional<HttpAnswer> resent;
  Queue(SegmentCall::kTrack,
        R"({"userId":"u1","event":"Report Viewed","messageId":"m1","context":{"groupId":"acme"}})",
        &resent);
  RunFlushes();
  ASSERT_TRUE(resent.has_value());
  EXPECT_EQ(resent->status, 200);
  EXPECT_EQ(Commits(), 1u);
  EXPECT_EQ(EventCount("acme"), 2);
}

TEST_F(IngestServiceTest, QueuedRequestsCommitOncePerWriteKey) {
  config_.write_keys = {"key-a", "key-b"};
  service_ = std::make_unique<IngestService>(config_, *store_, *aggregator_, clock_, *recorder_);
  CoalesceCommits();
  std::optional<HttpAnswer> a1, b1, a2;
  const std::string body =
      R"({"userId":"u1","event":"Report Viewed","messageId":"same","context":{"groupId":"acme"}})";
  Queue(SegmentCall::kTrack, body, &a1);
  Queue(SegmentCall::kTrack, body, &b1, "Basic a2V5LWI6");  // key-b:
  Queue(
      SegmentCall::kTrack,
      R"({"userId":"u1","event":"Report Viewed","messageId":"other","context":{"groupId":"acme"}})",
      &a2);
  RunFlushes();
  ASSERT_TRUE(a1.has_value());
  ASSERT_TRUE(b1.has_value());
  ASSERT_TRUE(a2.has_value());
  EXPECT_EQ(a1->status, 200);
  EXPECT_EQ(b1->status, 200);
  EXPECT_EQ(a2->status, 200);
  // Message ids are unique per write key, so all three events are new.
  EXPECT_EQ(Commits(), 2u);
  EXPECT_EQ(EventCount("acme"), 3);
}

TEST_F(IngestServiceTest, RejectedRequestSkipsQueue) {
  CoalesceCommits();
  std::optional<HttpAnswer> bad_key, bad_body;
  Queue(SegmentCall::kTrack, R"({"userId":"u1","event":"Report Viewed"})", &bad_key,
        "Basic bm9wZTo=");  // nope:
  Queue(SegmentCall::kTrack, "{not json", &bad_body);
  ASSERT_TRUE(bad_key.has_value());
  ASSERT_TRUE(bad_body.has_value());
  EXPECT_EQ(bad_key->status, 401);
  EXPECT_EQ(bad_body->status, 400);
  EXPECT_TRUE(flushes_.empty());
}

TEST_F(IngestServiceTest, RequestAfterFlushStartsNewFlush) {
  CoalesceCommits();
  std::optional<HttpAnswer> first, second;
  Queue(SegmentCall::kTrack, R"({"userId":"u1","event":"Report Viewed","messageId":"a"})", &first);
  RunFlushes();
  Queue(SegmentCall::kTrack, R"({"userId":"u1","event":"Report Viewed","messageId":"b"})", &second);
  ASSERT_EQ(flushes_.size(), 1u);
  RunFlushes();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(Commits(), 2u);
}

TEST_F(IngestServiceTest, ParsedEventsJoinQueue) {
  CoalesceCommits();
  std::optional<HttpAnswer> http;
  std::optional<CommitResult> first, second;
  Queue(SegmentCall::kTrack,
        R"({"userId":"u1","event":"Report Viewed","messageId":"h1","context":{"groupId":"acme"}})",
        &http);
  CommitParsed(SegmentCall::kTrack,
               R"({"userId":"u2","event":"Report Viewed","messageId":"p1",)"
               R"("context":{"groupId":"acme"}})",
               &first);
  // The same message id again: a duplicate within the shared commit.
  CommitParsed(SegmentCall::kTrack,
               R"({"userId":"u2","event":"Report Viewed","messageId":"p1",)"
               R"("context":{"groupId":"acme"}})",
               &second);
  EXPECT_FALSE(first.has_value());
  EXPECT_EQ(Commits(), 0u);
  ASSERT_EQ(flushes_.size(), 1u) << "one flush for the whole queue";

  RunFlushes();
  ASSERT_TRUE(http.has_value());
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(http->status, 200) << http->body;
  EXPECT_FALSE(first->error.has_value());
  EXPECT_EQ(first->outcome.accepted, 1u);
  EXPECT_EQ(first->outcome.duplicates, 0u);
  EXPECT_FALSE(second->error.has_value());
  EXPECT_EQ(second->outcome.accepted, 1u);
  EXPECT_EQ(second->outcome.duplicates, 1u);
  EXPECT_EQ(Commits(), 1u);
  EXPECT_EQ(EventCount("acme"), 2);
}

TEST_F(IngestServiceTest, ParsedGroupLinksLaterParsed) {
  CoalesceCommits();
  std::optional<CommitResult> group, track;
  CommitParsed(SegmentCall::kGroup, R"({"userId":"u1","groupId":"globex","messageId":"g1"})",
               &group);
  CommitParsed(SegmentCall::kTrack, R"({"userId":"u1","event":"Report Viewed","messageId":"t1"})",
               &track);
  RunFlushes();
  ASSERT_TRUE(group.has_value());
  ASSERT_TRUE(track.has_value());
  EXPECT_FALSE(group->error.has_value());
  EXPECT_FALSE(track->error.has_value());
  // The track event was attributed through the group call's pending link.
  EXPECT_EQ(EventCount("globex"), 2);
  EXPECT_EQ(EventCount(kUnattributedAccount), 0);
  EXPECT_TRUE(links_.empty()) << "both commits finished";
}

TEST_F(IngestServiceTest, PendingLinkAttributesBeforeItsCommit) {
  CoalesceCommits();
  // A group call of an earlier message that another flush has taken but
  // not yet committed: only the stream's links know of it.
  Event group;
  group.type = EventType::kGroup;
  group.user_id = "u1";
  group.group_id = "globex";
  group.timestamp_ms = kReceivedMs;
  links_.Note(group, /*message=*/100);
  std::optional<CommitResult> track;
  CommitParsed(SegmentCall::kTrack, R"({"userId":"u1","event":"Report Viewed","messageId":"t1"})",
               &track);
  RunFlushes();
  ASSERT_TRUE(track.has_value());
  EXPECT_FALSE(track->error.has_value());
  EXPECT_EQ(EventCount("globex"), 1);

  // Once forgotten, the store decides, and it has no link for u1.
  links_.Forget(100);
  std::optional<CommitResult> later;
  CommitParsed(SegmentCall::kTrack, R"({"userId":"u1","event":"Report Viewed","messageId":"t2"})",
               &later);
  RunFlushes();
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(EventCount("globex"), 1);
  EXPECT_EQ(EventCount(kUnattributedAccount), 1);
}

TEST_F(IngestServiceTest, ParsedWithoutQueueCommitsAtOnce) {
  std::optional<CommitResult> result;
  CommitParsed(SegmentCall::kTrack,
               R"({"userId":"u1","event":"Report Viewed","messageId":"s1",)"
               R"("context":{"groupId":"acme"}})",
               &result);
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->error.has_value());
  EXPECT_EQ(result->outcome.accepted, 1u);
  EXPECT_EQ(Commits(), 1u);
  EXPECT_EQ(EventCount("acme"), 1);
}

}  // namespace
}  // namespace uptake
