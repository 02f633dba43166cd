// HTTP/1.1 framing, limits and timeouts against the real server, with raw
// sockets so each test controls every byte the client sends: request
// smuggling, pipelining, HEAD, fields split over several lines,
// Expect: 100-continue, chunked bodies split at every byte, header limits,
// slow clients and the connection limit.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/raw_connection.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Raw body limit: max(max_request_bytes, max_posthog_request_bytes) plus
// 16 KiB of room for compression overhead, so 20,480 bytes here.
constexpr char kConfig[] = R"(
write_keys: [k1]
limits: {max_request_bytes: 4096, max_posthog_request_bytes: 4096, max_event_bytes: 2048,
         max_header_bytes: 4096, max_header_fields: 20}
)";

// Every timeout at its minimum, for the slow-client tests.
constexpr char kShortTimeoutsConfig[] = R"(
write_keys: [k1]
limits: {idle_timeout_seconds: 1, header_read_timeout_seconds: 1, body_read_timeout_seconds: 1}
)";

constexpr char kFewConnectionsConfig[] = R"(
write_keys: [k1]
limits: {max_connections: 3}
)";

// Generous bounds for events that take about a second on an idle machine.
constexpr milliseconds kCloseDeadline = seconds(20);

std::string TrackBody(const std::string& account, const std::string& message_id) {
  return R"({"type":"track","userId":"u1","event":"E","messageId":")" + message_id +
         R"(","context":{"groupId":")" + account + R"("}})";
}

// A complete POST /v1/track request with a Content-Length.
std::string TrackRequest(const std::string& account, const std::string& message_id) {
  std::string body = TrackBody(account, message_id);
  return "POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + BasicAuth("k1") +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// A request of `method` without a body.
std::string BodilessRequest(const std::string& method, const std::string& target) {
  return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

std::string GetRequest(const std::string& target) { return BodilessRequest("GET", target); }

// The head of a POST /v1/track request without its framing fields and
// without the blank line that ends it.
std::string TrackHead() {
  return "POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + BasicAuth("k1") +
         "\r\nContent-Type: application/json\r\n";
}

std::string Hex(size_t value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%zx", value);
  return text;
}

class HostileHttpTest : public ::testing::Test {
 protected:
  void Start(const char* config) {
    WriteFile(dir_.path() + "/uptake.yaml", config);
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/uptake.yaml", dir_.path() + "/data",
                                              dir_.path() + "/uptake.log");
    ASSERT_NE(server_->port(), 0);
  }

  // Whether the account has any stored event, asked on a new connection.
  int AccountStatus(const std::string& account) {
    HttpClient client(server_->port());
    return client.Get("/v1/accounts/" + account).status;
  }

  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "server log:\n" << server_->Log();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

// Each head is followed by bytes that form a complete second request, for
// an account that must never be stored. A server that took the shorter
// framing would run that request.
TEST_F(HostileHttpTest, AmbiguousFramingRejected) {
  Start(kConfig);
  const std::string smuggled = TrackRequest("smuggled", "m-smuggled");
  const std::string length = std::to_string(smuggled.size());
  struct Case {
    const char* name;
    std::string framing;
  };
  const std::vector<Case> cases = {
      {"chunked then length", "Transfer-Encoding: chunked\r\nContent-Length: " + length + "\r\n"},
      {"length then chunked", "Content-Length: " + length + "\r\nTransfer-Encoding: chunked\r\n"},
      {"gzip coding then length", "Transfer-Encoding: gzip\r\nContent-Length: " + length + "\r\n"},
      {"equal duplicate lengths",
       "Content-Length: " + length + "\r\nContent-Length: " + length + "\r\n"},
      {"conflicting lengths", "Content-Length: " + length + "\r\nContent-Length: 0\r\n"},
      {"length list", "Content-Length: " + length + ", " + length + "\r\n"},
      {"gzip coding alone", "Transfer-Encoding: gzip\r\n"},
      {"chunked not last", "Transfer-Encoding: chunked, gzip\r\n"},
      {"identity coding", "Transfer-Encoding: identity\r\n"},
      {"two chunked fields", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"},
      {"invalid length", "Content-Length: +" + length + "\r\n"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    RawConnection connection(server_->port());
    ASSERT_TRUE(connection.Write(TrackHead() + test_case.framing + "\r\n" + smuggled));

    std::optional<RawResponse> response = connection.ReadResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 400);
    EXPECT_NE(response->body.find("invalid_http"), std::string::npos) << response->body;
    EXPECT_EQ(response->Header("Connection"), "close");
    std::string after;
    EXPECT_TRUE(connection.WaitForClose(kCloseDeadline, &after));
    EXPECT_EQ(after, "");
  }

  // Chunked framing on HTTP/1.0 is rejected the same way.
  RawConnection old_version(server_->port());
  std::string head = TrackHead();
  head.replace(head.find("HTTP/1.1"), 8, "HTTP/1.0");
  ASSERT_TRUE(old_version.Write(head + "Transfer-Encoding: chunked\r\n\r\n" + Hex(smuggled.size()) +
                                "\r\n" + smuggled + "\r\n0\r\n\r\n"));
  std::optional<RawResponse> response = old_version.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(old_version.WaitForClose(kCloseDeadline));

  EXPECT_EQ(AccountStatus("smuggled"), 404);
}

TEST_F(HostileHttpTest, PipelinedRequestsAnsweredInOrder) {
  Start(kConfig);
  const std::string chunked_body = TrackBody("piped-b", "m-piped-b");
  const std::string pipeline =
      TrackRequest("piped-a", "m-piped-a") + GetRequest("/v1/accounts/piped-a") + TrackHead() +
      "Transfer-Encoding: chunked\r\n\r\n" + Hex(10) + "\r\n" + chunked_body.substr(0, 10) +
      "\r\n" + Hex(chunked_body.size() - 10) + "\r\n" + chunked_body.substr(10) + "\r\n0\r\n\r\n" +
      GetRequest("/no-such-route") +
      "POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: " + BasicAuth("k1") +
      "\r\nContent-Length: 9\r\n\r\n{\"batch\":" + GetRequest("/v1/accounts/piped-b");

  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Write(pipeline));

  struct Expected {
    int status;
    const char* body_part;
  };
  const std::vector<Expected> expected = {
      {200, R"("accepted":1)"}, {200, R"("piped-a")"}, {200, R"("accepted":1)"},
      {404, R"("not_found")"},  {400, R"("error")"},   {200, R"("piped-b")"},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("response " + std::to_string(i));
    std::optional<RawResponse> response = connection.ReadResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, expected[i].status) << response->body;
    EXPECT_NE(response->body.find(expected[i].body_part), std::string::npos) << response->body;
  }
  // The connection stays open for more.
  ASSERT_TRUE(connection.Write(GetRequest("/healthz")));
  std::optional<RawResponse> health = connection.ReadResponse();
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
}

// The response to HEAD has the GET response's status and fields,
// Content-Length included, and no body. Each HEAD is pipelined between a
// GET of the same target and a GET of /healthz, so a body sent after the
// HEAD response would corrupt the /healthz response.
TEST_F(HostileHttpTest, HeadGetsGetFieldsWithoutBody) {
  Start(kConfig);
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Write(TrackRequest("headed", "m-headed")));
  std::optional<RawResponse> tracked = connection.ReadResponse();
  ASSERT_TRUE(tracked.has_value());
  ASSERT_EQ(tracked->status, 200) << tracked->body;

  const std::vector<std::string> targets = {
      "/healthz",
      "/readyz",
      "/v1/alerts",
      "/v1/accounts?at_risk=true",
      "/v1/accounts/headed",
      "/v1/accounts/nobody",
      "/v1/silences",
      "/no-such-route",
      "/v1/track",
  };
  for (const std::string& target : targets) {
    SCOPED_TRACE(target);
    ASSERT_TRUE(connection.Write(GetRequest(target) + BodilessRequest("HEAD", target) +
                                 GetRequest("/healthz")));
    std::optional<RawResponse> get = connection.ReadResponse();
    ASSERT_TRUE(get.has_value());
    std::optional<RawResponse> head = connection.ReadHeadResponse();
    ASSERT_TRUE(head.has_value());
    std::optional<RawResponse> health = connection.ReadResponse();
    ASSERT_TRUE(health.has_value());

    EXPECT_FALSE(get->body.empty());
    EXPECT_EQ(head->head, get->head);
    EXPECT_EQ(head->Header("Content-Length"), std::to_string(get->body.size()));
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(health->body, R"({"status":"ok"})");
  }

  // The metrics change between two requests, so only the fields that do not
  // depend on the counts are compared.
  ASSERT_TRUE(connection.Write(BodilessRequest("HEAD", "/metrics") + GetRequest("/healthz")));
  std::optional<RawResponse> metrics = connection.ReadHeadResponse();
  ASSERT_TRUE(metrics.has_value());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics->Header("Content-Length"), "");
  EXPECT_NE(metrics->Header("Content-Length"), "0");
  std::optional<RawResponse> health = connection.ReadResponse();
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->body, R"({"status":"ok"})");
}

// A GET route's 405 lists HEAD among the allowed methods.
TEST_F(HostileHttpTest, EventStreamFoundAmongAcceptedTypes) {
  Start(kConfig);
  // Accept is a list, and may come on two lines.
  RawConnection listed(server_->port());
  ASSERT_TRUE(
      listed.Write("GET /v1/alerts/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Accept: application/json\r\nAccept: text/event-stream;q=0.9\r\n\r\n"));
  std::optional<RawResponse> head = listed.ReadHeadResponse();
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200) << head->head;
  EXPECT_EQ(head->Header("Content-Type"), "text/event-stream") << head->head;

  // Any type at all is not a request for the stream.
  RawConnection any(server_->port());
  ASSERT_TRUE(
      any.Write("GET /v1/alerts/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n"));
  std::optional<RawResponse> upgrade = any.ReadResponse();
  ASSERT_TRUE(upgrade.has_value());
  EXPECT_EQ(upgrade->status, 426) << upgrade->head;
}

TEST_F(HostileHttpTest, MethodNotAllowedListsHead) {
  Start(kConfig);
  HttpClient client(server_->port());
  for (const char* target :
       {"/healthz", "/readyz", "/metrics", "/v1/alerts", "/v1/accounts", "/v1/accounts/acme"}) {
    SCOPED_TRACE(target);
    HttpReply reply = client.Post(target, "{}");
    EXPECT_EQ(reply.status, 405);
    EXPECT_EQ(reply.Header("Allow"), "GET, HEAD");
  }
  HttpReply silences = client.Delete("/v1/silences");
  EXPECT_EQ(silences.status, 405);
  EXPECT_EQ(silences.Header("Allow"), "GET, HEAD, POST");
}

// Connection split over two lines counts as one comma-joined line, for
// keep-alive and for a WebSocket upgrade.
TEST_F(HostileHttpTest, ConnectionLinesJoined) {
  Start(kConfig);
  RawConnection closing(server_->port());
  ASSERT_TRUE(
      closing.Write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
                    "Connection: close\r\n\r\n"));
  std::optional<RawResponse> response = closing.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(closing.WaitForClose(kCloseDeadline));

  RawConnection upgrading(server_->port());
  // The key is the sample nonce of RFC 6455 section 1.3.
  ASSERT_TRUE(upgrading.Write(
      "GET /v1/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + BasicAuth("k1") +
      "\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  std::optional<RawResponse> upgraded = upgrading.ReadResponse();
  ASSERT_TRUE(upgraded.has_value());
  EXPECT_EQ(upgraded->status, 101);
}

TEST_F(HostileHttpTest, ExpectContinueSendsInterimResponse) {
  Start(kConfig);
  const std::string body = TrackBody("continued", "m-continued");
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Write(TrackHead() + "Expect: 100-continue\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n"));

  std::optional<RawResponse> interim = connection.ReadResponse();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);

  ASSERT_TRUE(connection.Write(body));
  std::optional<RawResponse> response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(AccountStatus("continued"), 200);
}

// The client waits for 100 Continue before sending a body the server could
// never accept; the error must come instead, without the body.
TEST_F(HostileHttpTest, ExpectContinueOverLimitRejectedEarly) {
  Start(kConfig);
  RawConnection connection(server_->port());
  ASSERT_TRUE(
      connection.Write(TrackHead() + "Expect: 100-continue\r\nContent-Length: 1000000\r\n\r\n"));

  std::optional<RawResponse> response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_NE(response->body.find("request_too_large"), std::string::npos) << response->body;
  EXPECT_TRUE(connection.WaitForClose(kCloseDeadline));
}

// A Content-Length over the server-wide raw limit fails the head read
// before the route is known. The response must still cite the route's limit,
// 4096 + 16384 bytes here, not the server-wide 65536 + 16384.
TEST_F(HostileHttpTest, ExpectContinueCitesRouteLimit) {
  Start(R"(
write_keys: [k1]
limits: {max_request_bytes: 4096, max_posthog_request_bytes: 65536, max_event_bytes: 2048}
)");
  RawConnection connection(server_->port());
  ASSERT_TRUE(
      connection.Write(TrackHead() + "Expect: 100-continue\r\nContent-Length: 99999999\r\n\r\n"));

  std::optional<RawResponse> response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_NE(response->body.find("limit of 20480 bytes"), std::string::npos) << response->body;
  EXPECT_TRUE(connection.WaitForClose(kCloseDeadline));
}

// Over the raw body limit, each family gets the status its SDK expects:
// Segment clients retry a 413, PostHog and Amplitude clients split their
// batch on it. Segment routes read at most their own limit plus 16 KiB,
// 20,480 bytes here, far below the server-wide raw limit.
TEST_F(HostileHttpTest, RawBodyOverLimitUsesFamilyStatus) {
  Start(kConfig);
  struct Case {
    const char* target;
    size_t length;
    int status;
  };
  const std::vector<Case> cases = {
      {"/v1/batch", 20481, 400}, {"/capture", 20481, 413},       {"/2/httpapi", 20481, 413},
      {"/batch", 20481, 413},    {"/v1/accounts/x", 20481, 400},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.target);
    RawConnection connection(server_->port());
    ASSERT_TRUE(connection.Write(std::string("POST ") + test_case.target +
                                 " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                                 "Content-Length: " +
                                 std::to_string(test_case.length) + "\r\n\r\n"));
    std::optional<RawResponse> response = connection.ReadResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, test_case.status) << response->body;
    EXPECT_NE(response->body.find("request_too_large"), std::string::npos) << response->body;
    EXPECT_TRUE(connection.WaitForClose(kCloseDeadline));
  }
}

// A chunked body has no length up front, so the 100 Continue is sent; a
// chunk header that would pass the limit is rejected before its data.
TEST_F(HostileHttpTest, ChunkedOverLimitRejectedAfterContinue) {
  Start(kConfig);
  RawConnection connection(server_->port());
  ASSERT_TRUE(
      connection.Write(TrackHead() + "Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::optional<RawResponse> interim = connection.ReadResponse();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);

  ASSERT_TRUE(connection.Write(Hex(1000) + "\r\n" + std::string(1000, ' ') + "\r\n" +
                               Hex(1024 * 1024) + "\r\n"));
  std::optional<RawResponse> response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_NE(response->body.find("request_too_large"), std::string::npos) << response->body;
  EXPECT_TRUE(connection.WaitForClose(kCloseDeadline));
}

TEST_F(HostileHttpTest, UnknownExpectationRejected) {
  Start(kConfig);
  const std::string body = TrackBody("expect-other", "m-expect-other");
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Write(TrackHead() + "Expect: 200-ok\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body));
  std::optional<RawResponse> response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 417);
  EXPECT_TRUE(connection.WaitForClose(kCloseDeadline));
  EXPECT_EQ(AccountStatus("expect-other"), 404);
}

// Sends a chunked request one byte per write, with chunk extensions and
// trailers. The trailers name fields that would break the request if the
// server merged them into the head: a Content-Encoding the body does not
// have and a second Authorization.
TEST_F(HostileHttpTest, ChunkedBodySplitAtEveryByte) {
  Start(kConfig);
  const std::string body = TrackBody("bytewise", "m-bytewise");
  std::string request = TrackHead() + "Transfer-Encoding: chunked\r\n\r\n";
  request += "00" + Hex(7) + ";ext=1;quoted=\"a;b\"\r\n" + body.substr(0, 7) + "\r\n";
  request += Hex(1) + "\r\n" + body.substr(7, 1) + "\r\n";
  request += Hex(body.size() - 8) + ";flag\r\n" + body.substr(8) + "\r\n";
  request += "0;last=yes\r\nContent-Encoding: gzip\r\nAuthorization: Basic bm9wZTo=\r\n\r\n";

  RawConnection connection(server_->port());
  for (char byte : request) {
    ASSERT_TRUE(connection.Write(std::string_view(&byte, 1)));
    // A short pause lets the server read most bytes on their own.
    std::this_thread::sleep_for(milliseconds(1));
  }
  std::optional<RawResponse> response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_NE(response->body.find(R"("accepted":1)"), std::string::npos) << response->body;
  EXPECT_EQ(AccountStatus("bytewise"), 200);

  // The same connection serves the next request.
  ASSERT_TRUE(connection.Write(GetRequest("/healthz")));
  std::optional<RawResponse> health = connection.ReadResponse();
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
}

// Limits apply to the body after the chunk framing is removed: Segment
// routes answer 400 and PostHog routes 413, as their SDKs expect.
TEST_F(HostileHttpTest, ChunkedBodyLimitAppliesToDecodedBody) {
  Start(kConfig);
  const std::string padding(5000, 'x');
  const std::string segment_body = R"({"batch":[],"x":")" + padding + R"("})";
  const std::string posthog_body = R"({"api_key":"k1","batch":[],"x":")" + padding + R"("})";
  struct Case {
    std::string head;
    std::string body;
    int status;
  };
  const std::vector<Case> cases = {
      {TrackHead(), segment_body, 400},
      {"POST /batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n", posthog_body, 413},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.status);
    std::string request = test_case.head + "Transfer-Encoding: chunked\r\n\r\n";
    for (size_t offset = 0; offset < test_case.body.size(); offset += 500) {
      std::string chunk = test_case.body.substr(offset, 500);
      request += Hex(chunk.size()) + "\r\n" + chunk + "\r\n";
    }
    request += "0\r\n\r\n";
    RawConnection connection(server_->port());
    ASSERT_TRUE(connection.Write(request));
    std::optional<RawResponse> response = connection.ReadResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, test_case.status) << response->body;
  }
}

TEST_F(HostileHttpTest, OversizedHeadRejectedWith431) {
  Start(kConfig);
  struct Case {
    const char* name;
    std::string request;
  };
  std::string many_fields = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20; ++i) many_fields += "X-Field-" + std::to_string(i) + ": v\r\n";
  const std::vector<Case> cases = {
      {"long field",
       "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(5000, 'a') + "\r\n\r\n"},
      {"long target", "GET /healthz?" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"21 fields", many_fields + "\r\n"},
      {"long trailer section", TrackHead() +
                                   "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n0\r\nX-Big: " +
                                   std::string(80 * 1024, 'a') + "\r\n\r\n"},
      {"long chunk extension", TrackHead() + "Transfer-Encoding: chunked\r\n\r\n1;ext=" +
                                   std::string(80 * 1024, 'a') + "\r\n{\r\n0\r\n\r\n"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    RawConnection connection(server_->port());
    // The server may close before it has read everything, so a failed
    // write is no error here.
    connection.Write(test_case.request);
    std::optional<RawResponse> response = connection.ReadResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 431);
    EXPECT_NE(response->body.find("headers_too_large"), std::string::npos) << response->body;
    EXPECT_TRUE(connection.WaitForClose(kCloseDeadline));
  }

  // 20 fields, the limit, are accepted.
  std::string at_limit = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 19; ++i) at_limit += "X-Field-" + std::to_string(i) + ": v\r\n";
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Write(at_limit + "\r\n"));
  std::optional<RawResponse> response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
}

TEST_F(HostileHttpTest, IdleConnectionClosed) {
  Start(kShortTimeoutsConfig);
  RawConnection silent(server_->port());
  std::string received;
  EXPECT_TRUE(silent.WaitForClose(kCloseDeadline, &received));
  EXPECT_EQ(received, "");

  // A keep-alive connection is closed once idle after its last response.
  RawConnection kept(server_->port());
  ASSERT_TRUE(kept.Write(GetRequest("/healthz")));
  std::optional<RawResponse> response = kept.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(kept.WaitForClose(kCloseDeadline));
}

// Sends `bytes` one byte per second and returns how many were written
// before the server closed the connection, or bytes.size() when it never
// did. What the server sent meanwhile is appended to `received`.
size_t TrickleUntilClosed(RawConnection& connection, const std::string& bytes,
                          std::string* received) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (!connection.Write(std::string_view(&bytes[i], 1))) return i;
    // Waiting for the close is the pause between bytes.
    if (connection.WaitForClose(seconds(1), received)) return i + 1;
  }
  return bytes.size();
}

TEST_F(HostileHttpTest, SlowHeadCutOff) {
  Start(kShortTimeoutsConfig);
  // 1 s allowed for the head, sent at one byte per second: far fewer bytes
  // than the head has may arrive before the cut, even on a loaded machine.
  const std::string request = TrackRequest("slow-head", "m-slow-head");
  RawConnection connection(server_->port());
  std::string received;
  size_t sent = TrickleUntilClosed(connection, request, &received);
  EXPECT_LT(sent, size_t{30});
  EXPECT_EQ(received, "");
  EXPECT_EQ(AccountStatus("slow-head"), 404);
}

TEST_F(HostileHttpTest, SlowBodyCutOff) {
  Start(kShortTimeoutsConfig);
  const std::string request = TrackRequest("slow-body", "m-slow-body");
  const size_t body_start = request.find("\r\n\r\n") + 4;
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Write(request.substr(0, body_start)));
  std::string received;
  size_t sent = TrickleUntilClosed(connection, request.substr(body_start), &received);
  EXPECT_LT(sent, size_t{30});
  EXPECT_EQ(received, "");
  EXPECT_EQ(AccountStatus("slow-body"), 404);
}

TEST_F(HostileHttpTest, ConnectionsOverLimitGet503) {
  Start(kFewConnectionsConfig);
  // Three open connections, the limit: one alert stream and two idle.
  auto stream = std::make_unique<AlertStreamClient>(server_->port());
  auto idle_a = std::make_unique<RawConnection>(server_->port());
  auto idle_b = std::make_unique<RawConnection>(server_->port());
  ASSERT_TRUE(idle_a->Write(GetRequest("/healthz")));
  ASSERT_TRUE(idle_a->ReadResponse().has_value());
  ASSERT_TRUE(idle_b->Write(GetRequest("/healthz")));
  ASSERT_TRUE(idle_b->ReadResponse().has_value());

  RawConnection extra(server_->port());
  ASSERT_TRUE(extra.Write(GetRequest("/healthz")));
  std::optional<RawResponse> rejected = extra.ReadResponse();
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->status, 503);
  EXPECT_EQ(rejected->Header("Retry-After"), "1");
  EXPECT_NE(rejected->body.find("too_many_connections"), std::string::npos) << rejected->body;
  EXPECT_TRUE(extra.WaitForClose(kCloseDeadline));

  // Closing the alert stream frees its slot. The server notices the close
  // asynchronously, so new connections are tried until one is served.
  stream.reset();
  const auto deadline = std::chrono::steady_clock::now() + kCloseDeadline;
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    RawConnection retry(server_->port());
    if (!retry.Write(GetRequest("/healthz"))) continue;
    std::optional<RawResponse> response = retry.ReadResponse();
    status = response ? response->status : 0;
    if (status != 200) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace uptake::testing
