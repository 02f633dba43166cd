// A minimal HTTP/1.1 client for one kept-alive loopback connection, used
// from a single coroutine. Not thread-safe.

#ifndef UPTAKE_BENCH_HTTP_CLIENT_H_
#define UPTAKE_BENCH_HTTP_CLIENT_H_

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "bench/result.h"

namespace uptake {

struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, empty when absent
};

struct HttpRequest {
  std::string target;         // path, for example "/v1/batch"
  std::string authorization;  // the Authorization header, empty for none
  std::string body;           // sent as application/json
};

class HttpClient {
 public:
  // `endpoints` must already be checked to be loopback. `host_header` is
  // sent as the Host header.
  HttpClient(boost::asio::io_context& io, boost::asio::ip::tcp::resolver::results_type endpoints,
             std::string host_header);

  // POSTs the request, connecting first when no connection is open. The
  // timeout covers connecting, writing and reading the whole reply. Returns
  // any HTTP status as a reply. Returns an error for a failed connect,
  // write or read, or a timeout, and closes the connection then, so the
  // next call reconnects.
  boost::asio::awaitable<Result<HttpReply>> Post(const HttpRequest& request,
                                                 std::chrono::milliseconds timeout);

  // Closes the connection, if any. Errors on close are ignored because the
  // server may already have closed its side.
  void Close();

 private:
  boost::asio::awaitable<boost::system::error_code> Connect();

  const boost::asio::ip::tcp::resolver::results_type endpoints_;
  const std::string host_header_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

// Returns "Basic " + base64(write_key + ":"), the Segment write-key form.
std::string BasicAuthorization(std::string_view write_key);

}  // namespace uptake

#endif  // UPTAKE_BENCH_HTTP_CLIENT_H_
