// Blocking HTTP and WebSocket clients for integration tests, aimed only at
// the loopback server a test started.

#ifndef UPTAKE_TESTS_INTEGRATION_CLIENTS_H_
#define UPTAKE_TESTS_INTEGRATION_CLIENTS_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uptake::testing {

struct HttpReply {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of header `name` (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
};

// One keep-alive connection to 127.0.0.1:port.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port);

  HttpReply Post(const std::string& target, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpReply Get(const std::string& target,
                const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpReply Delete(const std::string& target);
  // A CORS preflight for a POST from `origin`.
  HttpReply Options(const std::string& target, const std::string& origin);

 private:
  HttpReply Send(boost::beast::http::request<boost::beast::http::string_body>& request);

  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

// "Basic base64(key:)"
std::string BasicAuth(const std::string& write_key);

// A WebSocket subscriber of GET /v1/alerts/stream, or of `target`.
class AlertStreamClient {
 public:
  explicit AlertStreamClient(uint16_t port, const std::string& target = "/v1/alerts/stream");

  // Returns the next message, or nullopt when none arrives within `timeout`.
  std::optional<std::string> Next(std::chrono::milliseconds timeout);

  // Reads until the server closes, up to 30 s, and returns its close code
  // (0 when the connection ended without a close frame).
  int ReadCloseCode();

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
};

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
};

// A Server-Sent Events subscriber of `target`, sending Last-Event-ID when
// `last_event_id` is not empty.
class SseClient {
 public:
  SseClient(uint16_t port, const std::string& target, const std::string& last_event_id);

  // Returns up to `count` events, fewer when `timeout` passes first.
  std::vector<SseEvent> Read(size_t count, std::chrono::milliseconds timeout);

 private:
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  std::string buffer_;
  bool head_done_ = false;
};

// A client of GET /v1/ingest. Throws beast::system_error when the upgrade
// is refused, for example for an unknown write key.
class IngestStreamClient {
 public:
  IngestStreamClient(uint16_t port, const std::string& authorization);

  void Send(const std::string& message);
  void SendBinary(const std::string& bytes);
  // Sends `messages` as text frames in one TCP write, so the server reads
  // them all at once.
  void SendTogether(const std::vector<std::string>& messages);

  // Blocks for the next response message, up to 30 s.
  std::string Read();

  // Reads until the server closes and returns its close code.
  int ReadCloseCode();

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace uptake::testing

#endif  // UPTAKE_TESTS_INTEGRATION_CLIENTS_H_
