// A subscriber that never reads must not hold back a healthy one: the
// healthy one gets every change of a large burst in seq order, and the
// silent one is closed once its writes stall. Nor may it cost the server
// memory in proportion to the burst while it stays connected.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

using std::chrono::milliseconds;

constexpr char kConfig[] = R"(
clock: event
write_keys: [k]
limits: {max_event_age_days: 10000}
alerts: {subscriber_write_timeout_seconds: 2}
rules:
  - {name: quiet, kind: inactivity, days: 1}
)";

// Enough alerts, at about 600 bytes each, to fill the loopback socket
// buffers of a subscriber that never reads, and to pass the catch-up
// threshold of every subscriber in one burst.
constexpr int kAccounts = 12000;
constexpr int kPerBatch = 2000;

// "2020-01-DDT00:00:00Z"
std::string January2020(int day) {
  char text[32];
  std::snprintf(text, sizeof text, "2020-01-%02dT00:00:00Z", day);
  return text;
}

// Sends one event at January `day` for each of kAccounts accounts named
// `prefix` plus a number.
void PostAccounts(HttpClient& client, const std::string& prefix, int day) {
  for (int first = 0; first < kAccounts; first += kPerBatch) {
    std::string batch = R"({"batch":[)";
    for (int i = first; i < first + kPerBatch; ++i) {
      if (i > first) batch += ",";
      batch += R"({"type":"track","userId":"u","event":"E","messageId":")" + prefix +
               std::to_string(i) + R"(","timestamp":")" + January2020(day) +
               R"(","context":{"groupId":")" + prefix + std::to_string(i) + R"("}})";
    }
    batch += "]}";
    HttpReply reply = client.Post("/v1/batch", batch, {{"Authorization", BasicAuth("k")}});
    ASSERT_EQ(reply.status, 200) << reply.body;
  }
}

// Sends one event of the account "clock" at January `day`. Under the event
// clock this moves the server's time there, so every account whose last
// event is more than a day older breaches quiet at once.
void PostClock(HttpClient& client, int day) {
  HttpReply reply = client.Post("/v1/track",
                                R"({"userId":"u","event":"E","messageId":"clock-)" +
                                    std::to_string(day) + R"(","timestamp":")" + January2020(day) +
                                    R"(","context":{"groupId":"clock"}})",
                                {{"Authorization", BasicAuth("k")}});
  ASSERT_EQ(reply.status, 200) << reply.body;
}

// Reads `count` messages from `subscriber` and checks that their seqs run
// from `first_seq` without a gap.
void ExpectSeqs(AlertStreamClient& subscriber, int64_t first_seq, int count) {
  simdjson::dom::parser parser;
  int64_t expected_seq = first_seq;
  for (int i = 0; i < count; ++i) {
    std::optional<std::string> message = subscriber.Next(milliseconds(10000));
    ASSERT_TRUE(message.has_value()) << "after " << i << " messages";
    ASSERT_EQ(int64_t(parser.parse(*message).value()["seq"]), expected_seq);
    ++expected_seq;
  }
}

// Counts the occurrences of `text` in `log`.
size_t CountOf(const std::string& log, const std::string& text) {
  size_t count = 0;
  for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++count;
  return count;
}

// Waits until the server has logged `count` subscriber connections, so no
// subscriber misses the start of a burst. Bounded by the test's deadline.
void WaitForSubscribers(const ServerProcess& server, size_t count) {
  const std::string connected = "alert stream subscriber connected";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (CountOf(server.Log(), connected) < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_EQ(CountOf(server.Log(), connected), count) << server.Log();
}

TEST(SlowSubscriberTest, HealthySubscriberUnaffected) {
  TempDir dir;
  WriteFile(dir.path() + "/uptake.yaml", kConfig);
  ServerProcess server(dir.path() + "/uptake.yaml", dir.path() + "/data",
                       dir.path() + "/uptake.log");
  ASSERT_NE(server.port(), 0);

  AlertStreamClient silent(server.port());
  AlertStreamClient healthy(server.port());

  HttpClient client(server.port());
  PostAccounts(client, "acct-", 1);
  // One event two days later makes every account above quiet at once.
  PostClock(client, 3);
  ExpectSeqs(healthy, 1, kAccounts);

  // The silent subscriber is cut off after its write timeout; waiting for
  // the log line is bounded by the test's own deadline.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (server.Log().find("closing alert stream subscriber") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_NE(server.Log().find("closing alert stream subscriber"), std::string::npos);
  int received = 0;
  while (silent.Next(milliseconds(2000)).has_value()) ++received;
  EXPECT_LT(received, kAccounts);
}

// The write timeout is far longer than the test, so the stalled
// subscribers stay connected, with whatever the server holds for them,
// while their memory is measured.
constexpr char kLongTimeoutConfig[] = R"(
clock: event
write_keys: [k]
limits: {max_event_age_days: 10000}
alerts: {subscriber_write_timeout_seconds: 600}
rules:
  - {name: quiet, kind: inactivity, days: 1}
)";

constexpr int kStalledWebSockets = 4;
constexpr int kStalledSse = 4;

// The maximum growth of the stalled burst beyond the control burst. Each
// alert frame is about 540 bytes. A queue bounded at
// AlertStream::kCatchUpThreshold (1024) frames holds at most about 0.55 MB
// per subscriber, 4.5 MB for all eight. An unbounded queue would hold every
// frame of the burst that the kernel socket buffers did not take, an
// estimated 8 x 12,000 x 540 bytes = 52 MB before allocator overhead.
// Measured on a loaded 2-core machine in Release: the stalled burst grew 0
// to 4 MB more than the control, and 39 to 68 MB more with the threshold
// raised to 2^30 so the queue never stops.
constexpr int64_t kMaxExtraGrowthBytes = 16 << 20;

TEST(SlowSubscriberTest, StalledSubscribersBoundMemory) {
  TempDir dir;
  WriteFile(dir.path() + "/uptake.yaml", kLongTimeoutConfig);
  ServerProcess server(dir.path() + "/uptake.yaml", dir.path() + "/data",
                       dir.path() + "/uptake.log");
  ASSERT_NE(server.port(), 0);
  AlertStreamClient healthy(server.port());
  HttpClient client(server.port());
  ASSERT_NO_FATAL_FAILURE(WaitForSubscribers(server, 1));

  // Control: a burst with only the healthy subscriber. It also warms up the
  // server's allocator, thread stacks and storage, so it grows the server
  // at least as much as the same burst would again.
  const int64_t control_before = server.ResidentBytes();
  ASSERT_GT(control_before, 0);
  ASSERT_NO_FATAL_FAILURE(PostAccounts(client, "a-", 1));
  ASSERT_NO_FATAL_FAILURE(PostClock(client, 3));
  ASSERT_NO_FATAL_FAILURE(ExpectSeqs(healthy, 1, kAccounts));
  const int64_t control_after = server.ResidentBytes();
  ASSERT_GT(control_after, 0);

  std::vector<std::unique_ptr<AlertStreamClient>> stalled_websockets;
  for (int i = 0; i < kStalledWebSockets; ++i) {
    stalled_websockets.push_back(std::make_unique<AlertStreamClient>(server.port()));
  }
  std::vector<std::unique_ptr<SseClient>> stalled_sse;
  for (int i = 0; i < kStalledSse; ++i) {
    stalled_sse.push_back(std::make_unique<SseClient>(server.port(), "/v1/alerts/stream", ""));
  }
  ASSERT_NO_FATAL_FAILURE(WaitForSubscribers(server, 1 + kStalledWebSockets + kStalledSse));

  // The same burst again with the stalled subscribers connected. The
  // healthy subscriber's last change is handed to every subscriber at the
  // same time, so once it arrives the stalled ones hold all they will hold.
  const int64_t stalled_before = server.ResidentBytes();
  ASSERT_NO_FATAL_FAILURE(PostAccounts(client, "b-", 3));
  ASSERT_NO_FATAL_FAILURE(PostClock(client, 5));
  ASSERT_NO_FATAL_FAILURE(ExpectSeqs(healthy, kAccounts + 1, kAccounts));
  const int64_t stalled_after = server.ResidentBytes();
  ASSERT_GT(stalled_after, 0);

  // The stalled subscribers were still connected, not closed and freed.
  EXPECT_EQ(CountOf(server.Log(), "closing alert stream subscriber"), 0u);

  const int64_t control_growth = control_after - control_before;
  const int64_t stalled_growth = stalled_after - stalled_before;
  RecordProperty("control_growth_bytes", std::to_string(control_growth));
  RecordProperty("stalled_growth_bytes", std::to_string(stalled_growth));
  std::printf("VmRSS growth: control burst %lld bytes, stalled burst %lld bytes\n",
              static_cast<long long>(control_growth), static_cast<long long>(stalled_growth));
  EXPECT_LT(stalled_growth, control_growth + kMaxExtraGrowthBytes);
}

}  // namespace
}  // namespace uptake::testing
