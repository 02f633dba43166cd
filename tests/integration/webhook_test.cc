// Webhook delivery of alert changes to a loopback receiver: signed bodies,
// retries with the same idempotency key, resumption after a crash, the
// Slack template, and https with certificate verification.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_certificates.h"
#include "tests/integration/webhook_receiver.h"

namespace uptake::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::vector<std::pair<std::string, std::string>> kAuth = {{"Authorization", BasicAuth("k")}};

class WebhookTest : public ::testing::Test {
 protected:
  // Starts the server with one quiet-account rule and `webhooks`, a YAML
  // list of webhook mappings.
  void StartServer(const std::string& webhooks) {
    const std::string config = R"(
clock: event
write_keys: [k]
limits: {max_event_age_days: 10000}
rules:
  - {name: quiet, kind: inactivity, days: 1, severity: critical}
webhooks:
)" + webhooks;
    WriteFile(dir_.path() + "/uptake.yaml", config);
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/uptake.yaml", dir_.path() + "/data",
                                              dir_.path() + "/uptake.log");
    ASSERT_NE(server_->port(), 0);
  }

  // A webhook named "hook" that posts JSON to SCHEME://HOST:PORT/alerts,
  // with `extra` keys such as ", ca_file: PATH" added to its mapping.
  static std::string JsonHook(uint16_t port, const std::string& scheme = "http",
                              const std::string& extra = "",
                              const std::string& host = "127.0.0.1") {
    return "  - {name: hook, url: \"" + scheme + "://" + host + ":" + std::to_string(port) +
           "/alerts\", secret: " + kSecret + extra + "}\n";
  }

  // Writes the test CA to the temporary folder and returns the ca_file key
  // that trusts it, for JsonHook's `extra`.
  std::string TrustCa(const TestCertificates& certificates) {
    const std::string path = dir_.path() + "/ca.pem";
    WriteFile(path, certificates.ca_pem());
    return ", ca_file: \"" + path + "\"";
  }

  // Waits for two failed handshakes of the first change, then checks that
  // `receiver` got no POST and that the server logged the first failure
  // with the receiver's `address` and OpenSSL's `verify_error`.
  void CheckHandshakesRejected(WebhookReceiver& receiver, const std::string& address,
                               const std::string& verify_error) {
    // The second attempt starts only after the first one's failure is logged.
    ASSERT_GE(receiver.WaitForFailedHandshakes(2, milliseconds(15000)), 2u) << server_->Log();
    const std::vector<ReceivedPost> posts =
        receiver.WaitFor([](const std::vector<ReceivedPost>&) { return true; }, milliseconds(0));
    EXPECT_TRUE(posts.empty());

    const std::string expected_log =
        "[webhook hook] attempt 1 of 20 for seq 1 failed: TLS handshake with " + address +
        " failed: certificate verify failed (SSL routines): " + verify_error + ";";
    EXPECT_NE(server_->Log().find(expected_log), std::string::npos) << server_->Log();
  }

  // Fires alerts for two accounts and acknowledges one, then checks that
  // `receiver` got the three changes once each, in order and signed.
  void CheckChangesArriveSigned(WebhookReceiver& receiver) {
    QuietAccounts({"a1", "a2"}, 0);

    std::vector<ReceivedPost> posts = receiver.WaitForKeys(2, milliseconds(10000));
    ASSERT_EQ(posts.size(), 2u) << server_->Log();
    simdjson::dom::parser parser;
    for (size_t i = 0; i < posts.size(); ++i) {
      const std::string seq = std::to_string(i + 1);
      EXPECT_EQ(posts[i].idempotency_key, "hook-" + seq);
      EXPECT_EQ(posts[i].seq, seq);
      EXPECT_TRUE(posts[i].signature_valid);
      EXPECT_EQ(posts[i].target, "/alerts");
      EXPECT_EQ(posts[i].content_type, "application/json");
      simdjson::dom::element change = parser.parse(posts[i].body).value();
      EXPECT_EQ(int64_t(change["seq"]), int64_t(i + 1));
      EXPECT_EQ(std::string_view(change["change"]), "fired");
    }

    // An acknowledgement is a change too.
    const int64_t alert_id = int64_t(parser.parse(posts[0].body).value()["id"]);
    HttpClient client(server_->port());
    HttpReply ack = client.Post("/v1/alerts/" + std::to_string(alert_id) + "/ack",
                                R"({"by":"alice"})", {{"Content-Type", "application/json"}});
    ASSERT_EQ(ack.status, 200) << ack.body;
    posts = receiver.WaitForKeys(3, milliseconds(10000));
    ASSERT_EQ(posts.size(), 3u);
    EXPECT_EQ(posts[2].idempotency_key, "hook-3");
    EXPECT_TRUE(posts[2].signature_valid);
    EXPECT_EQ(std::string_view(parser.parse(posts[2].body).value()["change"]), "acknowledged");
  }

  // Sends one event for each of `accounts` at `day` (days after
  // 2020-01-01), then one of a new account a day and a half later, which
  // moves the event clock on so every earlier quiet account fires.
  void QuietAccounts(const std::vector<std::string>& accounts, int day) {
    HttpClient client(server_->port());
    std::string batch = R"({"batch":[)";
    for (const std::string& account : accounts) batch += Event(account, day, 0) + ",";
    batch += Event("clock-" + std::to_string(day), day, 36) + "]}";
    HttpReply reply = client.Post("/v1/batch", batch, kAuth);
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  std::string Event(const std::string& account, int day, int hours) {
    char timestamp[32];
    std::snprintf(timestamp, sizeof(timestamp), "2020-01-%02dT%02d:00:00Z", 1 + day + hours / 24,
                  hours % 24);
    return R"({"type":"track","userId":"u","event":"E","messageId":")" + account + "-" +
           std::to_string(++sent_) + R"(","timestamp":")" + timestamp +
           R"(","context":{"groupId":")" + account + R"("}})";
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  int sent_ = 0;
};

TEST_F(WebhookTest, ChangesArriveSigned) {
  WebhookReceiver receiver;
  StartServer(JsonHook(receiver.port()));
  CheckChangesArriveSigned(receiver);
}

TEST_F(WebhookTest, HttpsChangesArriveSigned) {
  TestCertificates certificates;
  WebhookReceiver receiver(/*port=*/0, /*statuses=*/{}, certificates.server());
  StartServer(JsonHook(receiver.port(), "https", TrustCa(certificates)));
  CheckChangesArriveSigned(receiver);
  EXPECT_EQ(receiver.WaitForFailedHandshakes(1, milliseconds(0)), 0u);
}

TEST_F(WebhookTest, HttpsUntrustedCertificateKeepsChangeQueued) {
  TestCertificates certificates;
  WebhookReceiver receiver(/*port=*/0, /*statuses=*/{}, certificates.server());
  StartServer(JsonHook(receiver.port(), "https"));
  QuietAccounts({"a1"}, 0);

  // The server does not trust the test CA, so it aborts each handshake.
  CheckHandshakesRejected(receiver, "127.0.0.1:" + std::to_string(receiver.port()),
                          "unable to get local issuer certificate");

  // The server keeps serving while the change waits for its next attempt.
  HttpClient client(server_->port());
  HttpReply firing = client.Get("/v1/alerts?state=firing");
  EXPECT_EQ(firing.status, 200) << firing.body;
  ASSERT_EQ(server_->Stop(), 0);

  // After a restart that trusts the CA, the queued change is delivered.
  StartServer(JsonHook(receiver.port(), "https", TrustCa(certificates)));
  const std::vector<ReceivedPost> delivered = receiver.WaitForKeys(1, milliseconds(30000));
  ASSERT_EQ(delivered.size(), 1u) << server_->Log();
  EXPECT_EQ(delivered[0].idempotency_key, "hook-1");
  EXPECT_TRUE(delivered[0].signature_valid);
}

TEST_F(WebhookTest, HttpsHostNameMismatchFails) {
  // Trusted, but issued for another name than the URL's host.
  TestCertificates certificates("DNS:receiver.example.com");
  WebhookReceiver receiver(/*port=*/0, /*statuses=*/{}, certificates.server());
  StartServer(JsonHook(receiver.port(), "https", TrustCa(certificates), "localhost"));
  QuietAccounts({"a1"}, 0);

  CheckHandshakesRejected(receiver, "localhost:" + std::to_string(receiver.port()),
                          "hostname mismatch");
}

TEST_F(WebhookTest, RetriesUntilSuccess) {
  WebhookReceiver receiver(/*port=*/0, /*statuses=*/{500, 500});
  StartServer(JsonHook(receiver.port()));
  QuietAccounts({"a1"}, 0);

  // Back-off is 1 s, then 2 s, each plus up to 10% jitter.
  std::vector<ReceivedPost> posts = receiver.WaitFor(
      [](const std::vector<ReceivedPost>& received) { return received.size() >= 3; },
      milliseconds(15000));
  ASSERT_EQ(posts.size(), 3u) << server_->Log();
  EXPECT_EQ(posts[0].answered, 500);
  EXPECT_EQ(posts[1].answered, 500);
  EXPECT_EQ(posts[2].answered, 200);
  for (const ReceivedPost& post : posts) {
    EXPECT_EQ(post.idempotency_key, "hook-1");
    EXPECT_EQ(post.body, posts[0].body);
    EXPECT_TRUE(post.signature_valid);
  }

  // Delivered: no further attempt follows.
  posts = receiver.WaitFor(
      [](const std::vector<ReceivedPost>& received) { return received.size() > 3; },
      milliseconds(3000));
  EXPECT_EQ(posts.size(), 3u);
}

TEST_F(WebhookTest, CrashWhileReceiverDownLosesNothing) {
  uint16_t port = 0;
  {
    // Reserve a port, then leave it closed so every POST is refused.
    WebhookReceiver reserved;
    port = reserved.port();
  }
  StartServer(JsonHook(port));
  QuietAccounts({"a1", "a2", "a3"}, 0);
  // Time for the first attempts to fail and for their counts to be stored.
  std::this_thread::sleep_for(milliseconds(1500));
  server_->Kill();

  WebhookReceiver receiver(port);
  StartServer(JsonHook(port));
  QuietAccounts({"b1"}, 10);  // b1 and the day-0 clock account fire: seqs 4 and 5

  std::vector<ReceivedPost> posts = receiver.WaitForKeys(5, milliseconds(30000));
  std::map<std::string, std::string> body_by_key;
  for (const ReceivedPost& post : posts) {
    EXPECT_TRUE(post.signature_valid);
    auto [it, inserted] = body_by_key.emplace(post.idempotency_key, post.body);
    // A resend carries the same body under the same key.
    if (!inserted) {
      EXPECT_EQ(it->second, post.body) << post.idempotency_key;
    }
  }
  std::set<std::string> expected = {"hook-1", "hook-2", "hook-3", "hook-4", "hook-5"};
  EXPECT_EQ(WebhookReceiver::DistinctKeys(posts), expected) << server_->Log();
}

TEST_F(WebhookTest, SlackTemplateIsOneLine) {
  WebhookReceiver receiver;
  StartServer("  - {name: slack, url: \"http://127.0.0.1:" + std::to_string(receiver.port()) +
              "/hook\", secret: " + kSecret +
              ", template: slack, notify: [fired], match: {rule: quiet, severity: critical}}\n");
  QuietAccounts({"acme"}, 0);

  std::vector<ReceivedPost> posts = receiver.WaitForKeys(1, milliseconds(10000));
  ASSERT_EQ(posts.size(), 1u) << server_->Log();
  EXPECT_TRUE(posts[0].signature_valid);
  EXPECT_EQ(posts[0].idempotency_key, "slack-1");

  simdjson::dom::parser parser;
  simdjson::dom::object message = parser.parse(posts[0].body).value().get_object().value();
  EXPECT_EQ(message.size(), 1u);
  const std::string text{std::string_view(message["text"])};
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.rfind("FIRED quiet (critical) account acme: ", 0), 0u) << text;

  // notify lists only fired, so an acknowledgement is not sent.
  HttpClient client(server_->port());
  HttpReply list = client.Get("/v1/alerts?state=firing");
  ASSERT_EQ(list.status, 200) << list.body;
  const int64_t alert_id = int64_t(parser.parse(list.body).value()["alerts"].at(0)["id"]);
  HttpReply ack = client.Post("/v1/alerts/" + std::to_string(alert_id) + "/ack",
                              R"({"by":"alice"})", {{"Content-Type", "application/json"}});
  ASSERT_EQ(ack.status, 200) << ack.body;
  posts = receiver.WaitForKeys(2, milliseconds(2000));
  EXPECT_EQ(posts.size(), 1u);
}

}  // namespace
}  // namespace uptake::testing
