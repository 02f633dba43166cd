// Snapshots taken while ingest requests keep arriving on other threads, on a
// real RocksDB store: the newest one loads back to exactly the aggregates
// of the events logged before its position.

#include "server/snapshotter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/alert_hub.h"
#include "server/alert_recorder.h"
#include "server/ingest_service.h"
#include "server/snapshot_gate.h"
#include "tests/metrics/expect_same_view.h"

namespace uptake {
namespace {

constexpr int kAccounts = 300;
constexpr int kWriters = 2;
constexpr int kSnapshots = 3;
// Writers stop at this many requests each even if the snapshots are slow.
constexpr int kMaxRequestsPerWriter = 400;

class SnapshotterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "uptake-snapshotter-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    ASSERT_TRUE(Store::Open(dir_ + "/db", StoreOptions{}, &store_).ok());
    files_ = std::make_unique<SnapshotFiles>(dir_ + "/snapshots");

    config_.write_keys = {"key-a"};
    config_.features = {{"Reports", {"Report Viewed"}}, {"Exports", {"Export Run"}}};
    config_.login_events = {"Logged In"};
    aggregator_ = MakeAggregator();
    recorder_ = std::make_unique<AlertRecorder>(*store_, hub_, /*retained_changes=*/1000);
    service_ =
        std::make_unique<IngestService>(config_, *store_, *aggregator_, clock_, *recorder_, &gate_);
  }

  void TearDown() override {
    service_.reset();
    recorder_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Aggregator> MakeAggregator() const {
    return std::make_unique<Aggregator>(Catalog(config_.features, config_.login_events),
                                        config_.rules);
  }

  static std::string AccountId(int n) { return "acct-" + std::to_string(n); }

  // A Segment batch of eight events on accounts chosen by `writer` and
  // `request`, with a new message id each.
  static std::string Batch(int writer, int request) {
    static const char* const kNames[] = {"Report Viewed", "Export Run", "Logged In", "Other"};
    std::string body = R"({"batch":[)";
    for (int i = 0; i < 8; ++i) {
      const int account = (writer * 7919 + request * 8 + i) % kAccounts;
      if (i > 0) body += ',';
      body += R"({"type":"track","userId":"u)" + std::to_string(request % 5) + R"(","event":")" +
              kNames[(request + i) % 4] + R"(","messageId":"w)" + std::to_string(writer) + "-" +
              std::to_string(request) + "-" + std::to_string(i) + R"(","context":{"groupId":")" +
              AccountId(account) + R"("}})";
    }
    return body + "]}";
  }

  // Sends batches until `stop` is set or the request limit is reached.
  void Write(int writer, const std::atomic<bool>& stop) {
    for (int request = 0; request < kMaxRequestsPerWriter && !stop.load(); ++request) {
      IngestRequest ingest;
      ingest.family = IngestFamily::kSegment;
      ingest.segment_call = SegmentCall::kBatch;
      ingest.authorization = "Basic a2V5LWE6";  // key-a:
      ingest.content_type = "application/json";
      ingest.body = Batch(writer, request);
      ingest.received_ms = ServerClock::WallMs();
      const HttpAnswer answer = service_->Handle(std::move(ingest));
      ASSERT_EQ(answer.status, 200) << answer.body;
    }
  }

  std::string dir_;
  Config config_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SnapshotFiles> files_;
  std::unique_ptr<Aggregator> aggregator_;
  ServerClock clock_{ClockMode::kWall};
  AlertHub hub_;
  SnapshotGate gate_;
  std::unique_ptr<AlertRecorder> recorder_;
  std::unique_ptr<IngestService> service_;
  std::atomic<int> writers_done_{0};
};

TEST_F(SnapshotterTest, SnapshotDuringIngestMatchesLogPrefix) {
  Snapshotter snapshotter(*store_, *aggregator_, gate_, *files_, 0);
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([this, w, &stop] {
      Write(w, stop);
      writers_done_.fetch_add(1);
    });
  }

  // Each snapshot waits for new events, so every one has something to
  // cover while the writers keep sending.
  for (int s = 0; s < kSnapshots; ++s) {
    const uint64_t covered = store_->NextEventSequence();
    while (store_->NextEventSequence() == covered && writers_done_.load() < kWriters) {
      std::this_thread::yield();
    }
    EXPECT_TRUE(snapshotter.TakeIfDue(1, "test"));
  }
  stop = true;
  for (std::thread& writer : writers) writer.join();

  std::unique_ptr<Aggregator> loaded = MakeAggregator();
  std::optional<SnapshotInfo> info =
      LoadNewestSnapshot(*files_, loaded, [this] { return MakeAggregator(); });
  ASSERT_TRUE(info.has_value());
  ASSERT_GT(info->log_position, 0u);

  std::unique_ptr<Aggregator> replayed = MakeAggregator();
  uint64_t sequence = 0;
  ASSERT_TRUE(store_
                  ->ForEachEvent([&](const Event& event) {
                    if (sequence++ < info->log_position) replayed->Replay(event);
                  })
                  .ok());

  const int64_t now_ms = ServerClock::WallMs();
  ASSERT_EQ(loaded->account_count(), replayed->account_count());
  for (int a = 0; a < kAccounts; ++a) {
    const std::string id = AccountId(a);
    const std::optional<AccountView> want = replayed->View(id, now_ms);
    const std::optional<AccountView> got = loaded->View(id, now_ms);
    ASSERT_EQ(got.has_value(), want.has_value()) << id;
    if (want) testing::ExpectSameView(*want, *got, id);
  }
}

}  // namespace
}  // namespace uptake
