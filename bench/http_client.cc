#include "bench/http_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

namespace uptake {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// The server's responses are small JSON objects. A body near this size is
// a server bug, so the read fails instead of buffering more.
constexpr uint64_t kMaxReplyBytes = 8 << 20;

std::string Base64(std::string_view input) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((input.size() + 2) / 3 * 4);
  for (size_t i = 0; i < input.size(); i += 3) {
    const size_t count = std::min<size_t>(3, input.size() - i);
    uint32_t group = 0;
    for (size_t j = 0; j < 3; ++j) {
      const uint32_t byte = j < count ? static_cast<unsigned char>(input[i + j]) : 0;
      group = group << 8 | byte;
    }
    for (size_t j = 0; j < 4; ++j) {
      // A group of n input bytes yields n + 1 output characters, then '=' padding.
      out.push_back(j <= count ? kAlphabet[group >> (18 - 6 * j) & 0x3f] : '=');
    }
  }
  return out;
}

http::request<http::string_body> BuildRequest(const HttpRequest& request,
                                              const std::string& host_header) {
  http::request<http::string_body> message(http::verb::post, request.target, 11);
  message.set(http::field::host, host_header);
  message.set(http::field::user_agent, "uptake-replay");
  message.set(http::field::content_type, "application/json");
  if (!request.authorization.empty()) {
    message.set(http::field::authorization, request.authorization);
  }
  message.keep_alive(true);
  message.body() = request.body;
  message.prepare_payload();
  return message;
}

}  // namespace

std::string BasicAuthorization(std::string_view write_key) {
  return "Basic " + Base64(std::string(write_key) + ":");
}

HttpClient::HttpClient(asio::io_context& io, asio::ip::tcp::resolver::results_type endpoints,
                       std::string host_header)
    : endpoints_(std::move(endpoints)), host_header_(std::move(host_header)), stream_(io) {}

asio::awaitable<boost::system::error_code> HttpClient::Connect() {
  auto [error, endpoint] = co_await stream_.async_connect(endpoints_, kAsTuple);
  if (!error) {
    connected_ = true;
    buffer_.clear();
  }
  co_return error;
}

asio::awaitable<Result<HttpReply>> HttpClient::Post(const HttpRequest& request,
                                                    std::chrono::milliseconds timeout) {
  using Reply = Result<HttpReply>;
  // tcp_stream applies one expiry to every operation started before it passes.
  stream_.expires_after(timeout);

  if (!connected_) {
    if (boost::system::error_code error = co_await Connect()) {
      co_return Reply::Error("connect to " + host_header_ + " failed: " + error.message());
    }
  }

  http::request<http::string_body> message = BuildRequest(request, host_header_);
  auto [write_error, written] = co_await http::async_write(stream_, message, kAsTuple);
  if (write_error) {
    Close();
    co_return Reply::Error("write to " + host_header_ + " failed: " + write_error.message());
  }

  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxReplyBytes);
  auto [read_error, read] = co_await http::async_read(stream_, buffer_, parser, kAsTuple);
  if (read_error) {
    Close();
    co_return Reply::Error("read from " + host_header_ + " failed: " + read_error.message());
  }

  http::response<http::string_body> response = parser.release();
  if (!response.keep_alive()) Close();
  HttpReply reply;
  reply.status = response.result_int();
  reply.body = std::move(response.body());
  reply.retry_after = std::string(response[http::field::retry_after]);
  co_return Reply::Ok(std::move(reply));
}

void HttpClient::Close() {
  boost::system::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
  connected_ = false;
}

}  // namespace uptake
