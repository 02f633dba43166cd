// Credentials, TLS and rate limits against the real server on loopback:
// which credential opens which route, tokens from a file and the
// environment, HTTP, SSE and WebSockets over TLS, and 429s that store
// nothing.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_certificates.h"

namespace uptake::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kWriteKey[] = "wk-ingest-1";
constexpr char kReadToken[] = "rt-reader-1";
constexpr char kAdminToken[] = "at-admin-1";

const std::string kTrack = R"({"type":"track","userId":"u1","event":"E","messageId":"m1",)"
                           R"("context":{"groupId":"acme"}})";

Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// A server started from `config` in its own temporary folder.
class Server {
 public:
  explicit Server(const std::string& config) {
    WriteFile(dir_.path() + "/uptake.yaml", config);
    process_ = std::make_unique<ServerProcess>(dir_.path() + "/uptake.yaml", dir_.path() + "/data",
                                               dir_.path() + "/uptake.log");
  }

  uint16_t port() const { return process_->port(); }
  std::string Log() const { return process_->Log(); }
  void Signal(int signal_number) { process_->Signal(signal_number); }
  int Stop() { return process_->Stop(); }
  const std::string& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
  std::unique_ptr<ServerProcess> process_;
};

std::string TokenConfig() {
  return std::string("write_keys: [") + kWriteKey + "]\nauth:\n  read_tokens: [" + kReadToken +
         "]\n  admin_token: " + kAdminToken + "\n";
}

TEST(SecurityTest, CredentialMatrix) {
  Server server(TokenConfig());
  ASSERT_NE(server.port(), 0);
  HttpClient client(server.port());

  HttpReply missing = client.Get("/v1/alerts");
  EXPECT_EQ(missing.status, 401) << missing.body;
  EXPECT_EQ(missing.Header("WWW-Authenticate"), "Bearer realm=\"uptake\"");

  HttpReply unknown = client.Get("/v1/alerts", Bearer("nope"));
  EXPECT_EQ(unknown.status, 401) << unknown.body;
  EXPECT_NE(unknown.Header("WWW-Authenticate").find("invalid_token"), std::string::npos);

  HttpReply basic_write_key = client.Get("/v1/alerts", {{"Authorization", BasicAuth(kWriteKey)}});
  EXPECT_EQ(basic_write_key.status, 403) << basic_write_key.body;
  HttpReply bearer_write_key = client.Get("/v1/accounts?at_risk=true", Bearer(kWriteKey));
  EXPECT_EQ(bearer_write_key.status, 403) << bearer_write_key.body;

  EXPECT_EQ(client.Get("/v1/alerts", Bearer(kReadToken)).status, 200);
  EXPECT_EQ(client.Get("/v1/alerts", Bearer(kAdminToken)).status, 200);
  EXPECT_EQ(client.Get("/v1/accounts?at_risk=true", Bearer(kReadToken)).status, 200);
  EXPECT_EQ(client.Post("/v1/alerts/1/ack", R"({"by":"x"})").status, 401);
  EXPECT_EQ(client.Post("/v1/alerts/1/ack", R"({"by":"x"})", Bearer(kReadToken)).status, 404);

  // A read token never ingests, in either header form.
  HttpReply read_ingest = client.Post("/v1/track", kTrack, Bearer(kReadToken));
  EXPECT_EQ(read_ingest.status, 401) << read_ingest.body;
  HttpReply read_basic =
      client.Post("/v1/track", kTrack, {{"Authorization", BasicAuth(kReadToken)}});
  EXPECT_EQ(read_basic.status, 401) << read_basic.body;
  HttpReply admin_ingest = client.Post("/v1/track", kTrack, Bearer(kAdminToken));
  EXPECT_EQ(admin_ingest.status, 401) << admin_ingest.body;
  HttpReply ingest = client.Post("/v1/track", kTrack, {{"Authorization", BasicAuth(kWriteKey)}});
  EXPECT_EQ(ingest.status, 200) << ingest.body;

  // Admin routes take the admin token only.
  EXPECT_EQ(client.Post("/v1/admin/reload", "").status, 401);
  HttpReply read_reload = client.Post("/v1/admin/reload", "", Bearer(kReadToken));
  EXPECT_EQ(read_reload.status, 403) << read_reload.body;
  EXPECT_NE(read_reload.Header("WWW-Authenticate").find("insufficient_scope"), std::string::npos);
  EXPECT_EQ(client.Post("/v1/admin/reload", "", Bearer(kWriteKey)).status, 403);
  EXPECT_EQ(client.Post("/v1/admin/reload", "", Bearer(kAdminToken)).status, 200);
  EXPECT_EQ(client.Get("/v1/silences", Bearer(kReadToken)).status, 403);
  EXPECT_EQ(client.Get("/v1/silences", Bearer(kAdminToken)).status, 200);
  HttpReply silence = client.Post("/v1/silences",
                                  R"({"matchers":{"rule":"r"},"ends_at":"2999-01-01T00:00:00Z",)"
                                  R"("created_by":"ops","comment":"test"})",
                                  Bearer(kReadToken));
  EXPECT_EQ(silence.status, 403) << silence.body;

  EXPECT_EQ(client.Get("/healthz").status, 200);
  EXPECT_EQ(client.Get("/readyz").status, 200);

  // Secrets never reach the log.
  const std::string log = server.Log();
  EXPECT_EQ(log.find(kReadToken), std::string::npos);
  EXPECT_EQ(log.find(kAdminToken), std::string::npos);
  EXPECT_EQ(log.find(kWriteKey), std::string::npos);
}

TEST(SecurityTest, AlertStreamNeedsReadToken) {
  Server server(TokenConfig());
  ASSERT_NE(server.port(), 0);

  // SSE without a token gets a 401 response.
  {
    HttpClient probe(server.port());
    HttpReply reply = probe.Get("/v1/alerts/stream", {{"Accept", "text/event-stream"}});
    EXPECT_EQ(reply.status, 401) << reply.body;
    EXPECT_EQ(reply.Header("WWW-Authenticate"), "Bearer realm=\"uptake\"");
  }

  // EventSource form: the token in the query.
  SseClient sse(server.port(), std::string("/v1/alerts/stream?after=0&access_token=") + kReadToken,
                "");
  // A WebSocket with the Authorization header.
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws(io);
  beast::get_lowest_layer(ws).connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
    request.set(http::field::authorization, std::string("Bearer ") + kAdminToken);
  }));
  ws.handshake("127.0.0.1", "/v1/alerts/stream");

  // A WebSocket without credentials is refused.
  websocket::stream<beast::tcp_stream> anonymous(io);
  beast::get_lowest_layer(anonymous).connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  websocket::response_type refusal;
  beast::error_code ec;
  anonymous.handshake(refusal, "127.0.0.1", "/v1/alerts/stream", ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(refusal.result_int(), 401);

  // The SSE stream opened with the query token gets its head, and the token
  // stays out of the log.
  std::vector<SseEvent> none = sse.Read(1, std::chrono::milliseconds(200));
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(server.Log().find(kReadToken), std::string::npos);
  EXPECT_EQ(server.Log().find(kAdminToken), std::string::npos);
}

TEST(SecurityTest, LoopbackWithoutTokensIsOpen) {
  Server server("write_keys: [k]\n");
  ASSERT_NE(server.port(), 0);
  HttpClient client(server.port());
  EXPECT_EQ(client.Get("/v1/alerts").status, 200);
  EXPECT_EQ(client.Get("/v1/silences").status, 200);
  EXPECT_EQ(client.Post("/v1/admin/reload", "").status, 200);
  // A write key is still only a write key, but open routes ignore it.
  EXPECT_EQ(client.Get("/v1/alerts", {{"Authorization", BasicAuth("k")}}).status, 200);
}

TEST(SecurityTest, TokensFromFileAndEnvironment) {
  TempDir secrets;
  const std::string read_file = secrets.path() + "/read-tokens";
  WriteFile(read_file, "# readers\nfile-reader-1\n\n  file-reader-2  \n");
  const std::string key_file = secrets.path() + "/write-keys";
  WriteFile(key_file, "# ingest\nfile-key-1\n");
  ASSERT_EQ(setenv("UPTAKE_TEST_ADMIN_TOKEN", "env-admin-1", 1), 0);
  ASSERT_EQ(setenv("UPTAKE_TEST_READ_TOKENS", "env-reader-1, env-reader-2", 1), 0);

  Server server("auth:\n  write_keys_file: " + key_file + "\n  read_tokens_file: " + read_file +
                "\n  read_tokens_env: UPTAKE_TEST_READ_TOKENS\n"
                "  admin_token_env: UPTAKE_TEST_ADMIN_TOKEN\n");
  unsetenv("UPTAKE_TEST_ADMIN_TOKEN");
  unsetenv("UPTAKE_TEST_READ_TOKENS");
  ASSERT_NE(server.port(), 0);
  HttpClient client(server.port());

  for (const char* token : {"file-reader-1", "file-reader-2", "env-reader-1", "env-reader-2"}) {
    EXPECT_EQ(client.Get("/v1/alerts", Bearer(token)).status, 200) << token;
  }
  EXPECT_EQ(client.Get("/v1/alerts", Bearer("# readers")).status, 401);
  EXPECT_EQ(client.Post("/v1/admin/reload", "", Bearer("env-admin-1")).status, 200);
  EXPECT_EQ(client.Post("/v1/admin/reload", "", Bearer("file-reader-1")).status, 403);

  // The file's key replaces the built-in "dev" key.
  EXPECT_EQ(client.Post("/v1/track", kTrack, {{"Authorization", BasicAuth("file-key-1")}}).status,
            200);
  EXPECT_EQ(client.Post("/v1/track", kTrack, {{"Authorization", BasicAuth("dev")}}).status, 401);
}

TEST(SecurityTest, RateLimitAnswers429AndStoresNothing) {
  // A refill of one event per 1000 s makes the bucket's state exact for the
  // length of the test.
  Server server(
      "write_keys:\n  - {key: slow, limits: {rate_per_second: 0.001, burst: 2}}\n  - fast\n");
  ASSERT_NE(server.port(), 0);
  HttpClient client(server.port());
  const Headers slow = {{"Authorization", BasicAuth("slow")}};

  auto track = [](const std::string& account, const std::string& id) {
    return R"({"type":"track","userId":"u","event":"E","messageId":")" + id +
           R"(","context":{"groupId":")" + account + R"("}})";
  };
  EXPECT_EQ(client.Post("/v1/track", track("a1", "m1"), slow).status, 200);
  EXPECT_EQ(client.Post("/v1/track", track("a1", "m2"), slow).status, 200);

  HttpReply limited = client.Post("/v1/track", track("a2", "m3"), slow);
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_NE(limited.body.find("\"rate_limited\""), std::string::npos) << limited.body;
  const std::string retry_after = limited.Header("Retry-After");
  ASSERT_FALSE(retry_after.empty());
  EXPECT_GE(std::stoll(retry_after), 1);
  EXPECT_EQ(limited.body.find("slow"), std::string::npos) << "the key leaked: " << limited.body;

  // A batch is counted in events, so it is refused as well.
  HttpReply batch = client.Post(
      "/v1/batch", R"({"batch":[)" + track("a2", "m4") + "," + track("a2", "m5") + "]}", slow);
  EXPECT_EQ(batch.status, 429) << batch.body;

  // Nothing of the refused requests was stored; the other key is unlimited.
  EXPECT_EQ(client.Get("/v1/accounts/a2").status, 404);
  EXPECT_EQ(client.Get("/v1/accounts/a1").status, 200);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(client
                  .Post("/v1/track", track("a3", "f" + std::to_string(i)),
                        {{"Authorization", BasicAuth("fast")}})
                  .status,
              200);
  }
}

// Certificate files for the server's tls section, from a throwaway CA and
// a server certificate for 127.0.0.1 that it signs.
struct TestCertificate {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

TestCertificate MakeCertificate(const std::string& dir) {
  TestCertificates certificates("IP:127.0.0.1");
  TestCertificate files{dir + "/ca.pem", dir + "/cert.pem", dir + "/key.pem"};
  std::ofstream(files.ca_file, std::ios::binary) << certificates.ca_pem();
  std::ofstream(files.cert_file, std::ios::binary) << certificates.server().certificate_pem;
  std::ofstream(files.key_file, std::ios::binary) << certificates.server().private_key_pem;
  return files;
}

// A TLS client context that trusts only `ca_file` and checks the address.
asio::ssl::context ClientContext(const std::string& ca_file) {
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.load_verify_file(ca_file);
  context.set_verify_mode(asio::ssl::verify_peer);
  return context;
}

using TlsClientStream = beast::ssl_stream<beast::tcp_stream>;

void ConnectTls(TlsClientStream& stream, uint16_t port) {
  beast::get_lowest_layer(stream).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  stream.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
  stream.handshake(asio::ssl::stream_base::client);
}

// The tls section of a server config serving `files`.
std::string TlsSection(const TestCertificate& files) {
  return "tls:\n  cert_file: " + files.cert_file + "\n  key_file: " + files.key_file + "\n";
}

// Opens an alert-stream WebSocket at `target` with the read token.
void OpenAlertWebSocket(websocket::stream<TlsClientStream>& ws, uint16_t port,
                        const std::string& target) {
  ConnectTls(ws.next_layer(), port);
  ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
    request.set(http::field::authorization, std::string("Bearer ") + kReadToken);
  }));
  ws.handshake("127.0.0.1", target);
}

// An SSE alert-stream request with the read token as access_token, and
// `query` ("&after=0", say) after it.
std::string SseRequest(const std::string& query) {
  return std::string("GET /v1/alerts/stream?access_token=") + kReadToken + query +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
}

// Reads from `stream` into `data` until it contains `needle`, for at most
// 30 s. Returns false on a timeout or an error.
template <class Stream>
bool ReadUntil(asio::io_context& io, Stream& stream, std::string* data, std::string_view needle) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char chunk[4096];
  while (data->find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    beast::error_code result = asio::error::timed_out;
    size_t count = 0;
    stream.async_read_some(asio::buffer(chunk), [&](beast::error_code ec, size_t n) {
      result = ec;
      count = n;
    });
    io.restart();
    io.run_until(deadline);
    if (result) return false;
    data->append(chunk, count);
  }
  return true;
}

// Reads one WebSocket message within 30 s, or returns nullopt.
template <class WebSocket>
std::optional<std::string> ReadMessage(asio::io_context& io, WebSocket& ws) {
  beast::flat_buffer buffer;
  std::optional<std::string> message;
  ws.async_read(buffer, [&](beast::error_code ec, size_t) {
    if (!ec) message = beast::buffers_to_string(buffer.data());
  });
  io.restart();
  io.run_for(std::chrono::seconds(30));
  return message;
}

TEST(SecurityTest, TlsServesHttpSseAndWebSockets) {
  TempDir certs;
  TestCertificate files = MakeCertificate(certs.path());
  // Under the event clock, the batch below fires an inactivity alert at
  // once, which both alert streams then carry.
  Server server(TokenConfig() +
                "clock: event\nlimits: {max_event_age_days: 10000}\n"
                "rules:\n  - {name: quiet, kind: inactivity, days: 1}\n" +
                TlsSection(files));
  ASSERT_NE(server.port(), 0);
  asio::io_context io;
  asio::ssl::context tls = ClientContext(files.ca_file);

  // An alert-stream WebSocket and an SSE stream, both over TLS.
  websocket::stream<TlsClientStream> alerts(io, tls);
  OpenAlertWebSocket(alerts, server.port(), "/v1/alerts/stream?after=0");

  TlsClientStream sse(io, tls);
  ConnectTls(sse, server.port());
  asio::write(sse, asio::buffer(SseRequest("&after=0")));
  std::string sse_data;
  ASSERT_TRUE(ReadUntil(io, sse, &sse_data, "\r\n\r\n")) << sse_data;
  EXPECT_TRUE(sse_data.starts_with("HTTP/1.1 200 OK")) << sse_data;
  EXPECT_NE(sse_data.find("text/event-stream"), std::string::npos) << sse_data;

  // POSTs over TLS on one keep-alive connection.
  TlsClientStream https(io, tls);
  ConnectTls(https, server.port());
  beast::flat_buffer buffer;
  auto exchange = [&](http::request<http::string_body> request) {
    request.set(http::field::host, "127.0.0.1");
    request.prepare_payload();
    http::write(https, request);
    http::response<http::string_body> reply;
    http::read(https, buffer, reply);
    return reply;
  };
  http::request<http::string_body> post(http::verb::post, "/v1/batch", 11);
  post.set(http::field::content_type, "application/json");
  post.set(http::field::authorization, BasicAuth(kWriteKey));
  post.body() = R"({"batch":[{"type":"track","userId":"u","event":"E","messageId":"m1",)"
                R"("timestamp":"2020-01-01T00:00:00Z","context":{"groupId":"a1"}},)"
                R"({"type":"track","userId":"u","event":"E","messageId":"m2",)"
                R"("timestamp":"2020-01-11T00:00:00Z","context":{"groupId":"z"}}]})";
  http::response<http::string_body> posted = exchange(post);
  EXPECT_EQ(posted.result_int(), 200) << posted.body();

  http::request<http::string_body> list(http::verb::get, "/v1/alerts?state=firing", 11);
  list.set(http::field::authorization, std::string("Bearer ") + kReadToken);
  http::response<http::string_body> listed = exchange(list);
  EXPECT_EQ(listed.result_int(), 200) << listed.body();
  EXPECT_NE(listed.body().find("\"account_id\":\"a1\""), std::string::npos) << listed.body();

  std::optional<std::string> change = ReadMessage(io, alerts);
  ASSERT_TRUE(change.has_value());
  EXPECT_NE(change->find("\"change\":\"fired\""), std::string::npos) << *change;
  ASSERT_TRUE(ReadUntil(io, sse, &sse_data, "event: alert")) << sse_data;

  // The WebSocket ingest route over TLS.
  websocket::stream<TlsClientStream> ingest(io, tls);
  ConnectTls(ingest.next_layer(), server.port());
  ingest.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
    request.set(http::field::authorization, BasicAuth(kWriteKey));
  }));
  ingest.handshake("127.0.0.1", "/v1/ingest");
  ingest.write(asio::buffer(
      std::string(R"({"type":"track","requestId":"r1","userId":"u2","event":"E","messageId":"w1",)"
                  R"("timestamp":"2020-01-11T00:00:00Z","context":{"groupId":"z"}})")));
  std::optional<std::string> answer = ReadMessage(io, ingest);
  ASSERT_TRUE(answer.has_value());
  EXPECT_NE(answer->find("\"status\":200"), std::string::npos) << *answer;
}

// The transport limits hold over TLS as over plain HTTP: ambiguous framing,
// too many header fields, an idle client and a full listener.
TEST(SecurityTest, TlsKeepsTransportLimits) {
  TempDir certs;
  TestCertificate files = MakeCertificate(certs.path());
  Server server(TokenConfig() + "limits: {max_header_fields: 10, idle_timeout_seconds: 1}\n" +
                TlsSection(files));
  ASSERT_NE(server.port(), 0);
  asio::io_context io;
  asio::ssl::context tls = ClientContext(files.ca_file);

  {
    TlsClientStream framing(io, tls);
    ConnectTls(framing, server.port());
    asio::write(framing,
                asio::buffer(std::string("POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                         "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                                         "0\r\n\r\n")));
    std::string reply;
    ASSERT_TRUE(ReadUntil(io, framing, &reply, "invalid_http")) << reply;
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 400")) << reply;
  }
  {
    TlsClientStream fields(io, tls);
    ConnectTls(fields, server.port());
    std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < 10; ++i) request += "X-Field-" + std::to_string(i) + ": 1\r\n";
    asio::write(fields, asio::buffer(request + "\r\n"));
    std::string reply;
    ASSERT_TRUE(ReadUntil(io, fields, &reply, "headers_too_large")) << reply;
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 431")) << reply;
  }

  // An idle connection is closed after the handshake; the read ends with an
  // error instead of data.
  TlsClientStream idle(io, tls);
  ConnectTls(idle, server.port());
  std::string idle_data;
  EXPECT_FALSE(ReadUntil(io, idle, &idle_data, "HTTP/1.1")) << idle_data;
  EXPECT_TRUE(idle_data.empty()) << idle_data;

  // Two SSE streams fill a listener that allows two connections; the
  // third connection gets 503 over TLS. A server of its own, so no
  // connection above still holds a slot.
  Server full(TokenConfig() + "limits: {max_connections: 2}\n" + TlsSection(files));
  ASSERT_NE(full.port(), 0);
  const std::string sse_request = SseRequest("");
  TlsClientStream first(io, tls);
  TlsClientStream second(io, tls);
  for (TlsClientStream* stream : {&first, &second}) {
    ConnectTls(*stream, full.port());
    asio::write(*stream, asio::buffer(sse_request));
    std::string head;
    ASSERT_TRUE(ReadUntil(io, *stream, &head, "\r\n\r\n")) << head;
    EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK")) << head;
  }
  TlsClientStream third(io, tls);
  ConnectTls(third, full.port());
  std::string rejected;
  ASSERT_TRUE(ReadUntil(io, third, &rejected, "too_many_connections")) << rejected;
  EXPECT_TRUE(rejected.starts_with("HTTP/1.1 503")) << rejected;
}

// Reads from `stream` until it fails, for at most 30 s, and returns the
// error: eof when the server ended TLS with close_notify, stream_truncated
// when it only closed the socket, timed_out when nothing ended.
template <class Stream>
beast::error_code ReadToEnd(asio::io_context& io, Stream& stream) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char chunk[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    beast::error_code result = asio::error::timed_out;
    stream.async_read_some(asio::buffer(chunk), [&](beast::error_code ec, size_t) { result = ec; });
    io.restart();
    io.run_until(deadline);
    if (result) return result;
  }
  return asio::error::timed_out;
}

// SIGTERM over TLS: the alert WebSocket gets 1001, and an SSE stream and an
// idle keep-alive connection end with close_notify, not a cut connection.
TEST(SecurityTest, TlsShutdownSendsGoingAwayAndCloseNotify) {
  TempDir certs;
  TestCertificate files = MakeCertificate(certs.path());
  Server server(TokenConfig() + TlsSection(files));
  ASSERT_NE(server.port(), 0);
  asio::io_context io;
  asio::ssl::context tls = ClientContext(files.ca_file);

  websocket::stream<TlsClientStream> alerts(io, tls);
  OpenAlertWebSocket(alerts, server.port(), "/v1/alerts/stream");

  TlsClientStream sse(io, tls);
  ConnectTls(sse, server.port());
  asio::write(sse, asio::buffer(SseRequest("")));
  std::string sse_head;
  ASSERT_TRUE(ReadUntil(io, sse, &sse_head, "\r\n\r\n")) << sse_head;

  // A keep-alive connection that has had its response and waits idle.
  TlsClientStream idle(io, tls);
  ConnectTls(idle, server.port());
  asio::write(idle, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")));
  std::string health;
  ASSERT_TRUE(ReadUntil(io, idle, &health, R"({"status":"ok"})")) << health;

  // Both streams have said they are open before the signal.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto subscribers = [&] {
    std::string log = server.Log();
    size_t count = 0;
    for (size_t at = log.find("alert stream subscriber connected"); at != std::string::npos;
         at = log.find("alert stream subscriber connected", at + 1)) {
      ++count;
    }
    return count;
  };
  while (subscribers() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(subscribers(), 2u) << server.Log();

  server.Signal(SIGTERM);

  beast::flat_buffer buffer;
  beast::error_code ws_result = asio::error::timed_out;
  alerts.async_read(buffer, [&](beast::error_code ec, size_t) { ws_result = ec; });
  io.restart();
  io.run_for(std::chrono::seconds(30));
  EXPECT_EQ(ws_result, websocket::error::closed) << ws_result.message();
  EXPECT_EQ(alerts.reason().code, websocket::close_code::going_away);

  beast::error_code sse_end = ReadToEnd(io, sse);
  EXPECT_EQ(sse_end, asio::error::eof) << sse_end.message();
  beast::error_code idle_end = ReadToEnd(io, idle);
  EXPECT_EQ(idle_end, asio::error::eof) << idle_end.message();
  EXPECT_EQ(server.Stop(), 0) << server.Log();
}

}  // namespace
}  // namespace uptake::testing
