// A TCP client that sends exactly the bytes a test gives it, for tests of
// how the server treats malformed, ambiguous or slow input.

#ifndef UPTAKE_TESTS_INTEGRATION_RAW_CONNECTION_H_
#define UPTAKE_TESTS_INTEGRATION_RAW_CONNECTION_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uptake::testing {

// One HTTP response as read off the wire, interim 1xx responses included.
struct RawResponse {
  int status = 0;
  std::string head;  // status line and header fields, without the blank line
  std::string body;

  // The value of header field `name` (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
};

// A blocking connection to 127.0.0.1:port. Reads take a timeout so a server
// that stops answering fails the test instead of hanging it.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port);

  // Writes all of `bytes`. Returns false when the write fails, for example
  // because the server has closed the connection.
  bool Write(std::string_view bytes);

  // Reads the next response, which must carry Content-Length unless it is a
  // 1xx. Returns nullopt when the connection closes or `timeout` passes
  // before a whole response arrives.
  std::optional<RawResponse> ReadResponse(
      std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Reads the next response to a HEAD request: the status line and header
  // fields only, since its Content-Length gives the size of the body a GET
  // would get. Returns nullopt on close or timeout.
  std::optional<RawResponse> ReadHeadResponse(
      std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Reads exactly `count` bytes. Returns nullopt on close or timeout.
  std::optional<std::string> ReadBytes(
      size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Returns true once the server closes the connection (end of stream or
  // reset), false when `timeout` passes first. Bytes that arrive meanwhile
  // are appended to `received` when it is not null.
  bool WaitForClose(std::chrono::milliseconds timeout, std::string* received = nullptr);

  // Bytes received but not yet returned by a read.
  const std::string& pending() const { return pending_; }

 private:
  enum class ReadResult { kData, kClosed, kTimedOut };

  // Appends whatever arrives next to pending_.
  ReadResult ReadMore(std::chrono::milliseconds timeout);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string pending_;
};

}  // namespace uptake::testing

#endif  // UPTAKE_TESTS_INTEGRATION_RAW_CONNECTION_H_
