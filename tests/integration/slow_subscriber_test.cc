// A subscriber that never reads must not hold back a healthy one: the
// healthy one gets every change of a large burst in seq order, and the
// silent one is closed once its writes stall.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <string>
#include <thread>

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

TEST(SlowSubscriberTest, HealthySubscriberUnaffected) {
  TempDir dir;
  WriteFile(dir.path() + "/uptake.yaml", kConfig);
  ServerProcess server(dir.path() + "/uptake.yaml", dir.path() + "/data",
                       dir.path() + "/uptake.log");
  ASSERT_NE(server.port(), 0);

  AlertStreamClient silent(server.port());
  AlertStreamClient healthy(server.port());

  HttpClient client(server.port());
  for (int first = 0; first < kAccounts; first += kPerBatch) {
    std::string batch = R"({"batch":[)";
    for (int i = first; i < first + kPerBatch; ++i) {
      if (i > first) batch += ",";
      batch += R"({"type":"track","userId":"u","event":"E","messageId":"m)" + std::to_string(i) +
               R"(","timestamp":"2020-01-01T00:00:00Z","context":{"groupId":"acct-)" +
               std::to_string(i) + R"("}})";
    }
    batch += "]}";
    HttpReply reply = client.Post("/v1/batch", batch, {{"Authorization", BasicAuth("k")}});
    ASSERT_EQ(reply.status, 200) << reply.body;
  }
  // One event two days later makes every account above quiet at once.
  HttpReply clock = client.Post(
      "/v1/track",
      R"({"userId":"u","event":"E","messageId":"clock","timestamp":"2020-01-03T00:00:00Z",)"
      R"("context":{"groupId":"clock"}})",
      {{"Authorization", BasicAuth("k")}});
  ASSERT_EQ(clock.status, 200) << clock.body;

  simdjson::dom::parser parser;
  int64_t expected_seq = 1;
  for (int i = 0; i < kAccounts; ++i) {
    std::optional<std::string> message = healthy.Next(milliseconds(10000));
    ASSERT_TRUE(message.has_value()) << "after " << i << " messages";
    ASSERT_EQ(int64_t(parser.parse(*message).value()["seq"]), expected_seq);
    ++expected_seq;
  }

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

}  // namespace
}  // namespace uptake::testing
