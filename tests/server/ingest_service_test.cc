// IngestService with a real RocksDB store in a temporary folder: write-key
// handling and the order in which an event's account is chosen.

#include "server/ingest_service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "server/alert_hub.h"
#include "server/alert_recorder.h"

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

  HttpAnswer Send(SegmentCall call, std::string body,
                  std::string authorization = "Basic a2V5LWE6") {  // key-a:
    IngestRequest request;
    request.family = IngestFamily::kSegment;
    request.segment_call = call;
    request.authorization = authorization;
    request.content_type = "application/json";
    request.body = std::move(body);
    request.received_ms = kReceivedMs;
    return service_->Handle(std::move(request));
  }

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

TEST_F(IngestServiceTest, AliasInSameBatchApplies) {
  HttpAnswer answer = Send(SegmentCall::kBatch, R"({"batch":[
      {"type":"group","userId":"u6","groupId":"hooli"},
      {"type":"alias","userId":"u6","previousId":"anon-6"},
      {"type":"track","anonymousId":"anon-6","event":"Report Viewed"}]})");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(EventCount("hooli"), 3);
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

}  // namespace
}  // namespace uptake
