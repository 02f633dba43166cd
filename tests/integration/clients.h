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
#include <utility>
#include <vector>

namespace uptake::testing {

struct HttpReply {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// One keep-alive connection to 127.0.0.1:port.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port);

  HttpReply Post(const std::string& target, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpReply Get(const std::string& target);

 private:
  HttpReply Send(boost::beast::http::request<boost::beast::http::string_body>& request);

  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

// "Basic base64(key:)"
std::string BasicAuth(const std::string& write_key);

// A subscriber of GET /v1/alerts/stream.
class AlertStreamClient {
 public:
  explicit AlertStreamClient(uint16_t port);

  // Returns the next message, or nullopt when none arrives within `timeout`.
  std::optional<std::string> Next(std::chrono::milliseconds timeout);

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace uptake::testing

#endif  // UPTAKE_TESTS_INTEGRATION_CLIENTS_H_
