// A loopback HTTP or HTTPS server that plays a webhook receiver in
// integration tests: it records each POST and checks its signature.

#ifndef UPTAKE_TESTS_INTEGRATION_WEBHOOK_RECEIVER_H_
#define UPTAKE_TESTS_INTEGRATION_WEBHOOK_RECEIVER_H_

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/test_certificates.h"

namespace uptake::testing {

// The secret the test configs give their webhooks; WebhookReceiver checks
// signatures with it.
constexpr char kSecret[] = "s3cret-key";

namespace webhook_receiver_internal {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using std::chrono::milliseconds;
using std::chrono::seconds;

inline std::string HmacHex(const std::string& key, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &size);
  std::string hex;
  constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kDigits[digest[i] >> 4]);
    hex.push_back(kDigits[digest[i] & 0x0f]);
  }
  return hex;
}

// One POST as the receiver read it.
struct ReceivedPost {
  std::string target;
  std::string idempotency_key;
  std::string seq;
  std::string content_type;
  std::string body;
  bool signature_valid = false;
  int answered = 0;
};

// An HTTP server on 127.0.0.1 that responds to each POST with the next status
// of a script (200 once the script is used up) and records it. With a
// server identity it speaks HTTPS and counts failed TLS handshakes.
class WebhookReceiver {
 public:
  // Listens on `port`, or on a free port when 0. Throws when `identity` is
  // given but unusable.
  explicit WebhookReceiver(uint16_t port = 0, std::deque<int> statuses = {},
                           const std::optional<ServerIdentity>& identity = std::nullopt)
      : acceptor_(io_), statuses_(std::move(statuses)) {
    if (identity) {
      tls_context_.emplace(ssl::context::tls_server);
      tls_context_->use_certificate_chain(asio::buffer(identity->certificate_pem));
      tls_context_->use_private_key(asio::buffer(identity->private_key_pem), ssl::context::pem);
    }
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    DoAccept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~WebhookReceiver() {
    asio::post(io_, [this] { acceptor_.close(); });
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return port_; }

  // Waits until `done` holds for the posts so far, up to `timeout`.
  // Returns a copy of them.
  std::vector<ReceivedPost> WaitFor(
      const std::function<bool(const std::vector<ReceivedPost>&)>& done, milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, timeout, [&] { return done(posts_); });
    return posts_;
  }

  // Waits for posts with `count` distinct idempotency keys.
  std::vector<ReceivedPost> WaitForKeys(size_t count, milliseconds timeout) {
    return WaitFor(
        [count](const std::vector<ReceivedPost>& posts) {
          return DistinctKeys(posts).size() >= count;
        },
        timeout);
  }

  // Waits until `count` TLS handshakes have failed, up to `timeout`.
  // Returns the number that failed.
  size_t WaitForFailedHandshakes(size_t count, milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, timeout, [&] { return failed_handshakes_ >= count; });
    return failed_handshakes_;
  }

  static std::set<std::string> DistinctKeys(const std::vector<ReceivedPost>& posts) {
    std::set<std::string> keys;
    for (const ReceivedPost& post : posts) keys.insert(post.idempotency_key);
    return keys;
  }

 private:
  // One accepted connection; `tls_stream` is set for HTTPS, else `stream`.
  struct Connection {
    Connection(tcp::socket socket, std::optional<ssl::context>& tls_context) {
      if (tls_context) {
        tls_stream.emplace(std::move(socket), *tls_context);
      } else {
        stream.emplace(std::move(socket));
      }
    }

    beast::tcp_stream& tcp_layer() { return tls_stream ? tls_stream->next_layer() : *stream; }

    template <class Function>
    void WithStream(Function&& function) {
      if (tls_stream) {
        function(*tls_stream);
      } else {
        function(*stream);
      }
    }

    std::optional<beast::tcp_stream> stream;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
  };

  void DoAccept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto connection = std::make_shared<Connection>(std::move(socket), tls_context_);
      connection->tcp_layer().expires_after(seconds(10));
      if (connection->tls_stream) {
        connection->tls_stream->async_handshake(ssl::stream_base::server,
                                                [this, connection](beast::error_code handshake_ec) {
                                                  if (!handshake_ec) return DoRead(connection);
                                                  {
                                                    std::lock_guard<std::mutex> lock(mu_);
                                                    ++failed_handshakes_;
                                                  }
                                                  changed_.notify_all();
                                                });
      } else {
        DoRead(connection);
      }
      DoAccept();
    });
  }

  void DoRead(const std::shared_ptr<Connection>& connection) {
    connection->WithStream([this, connection](auto& stream) {
      http::async_read(stream, connection->buffer, connection->request,
                       [this, connection](beast::error_code read_ec, size_t) {
                         if (!read_ec) Answer(connection);
                       });
    });
  }

  void Answer(const std::shared_ptr<Connection>& connection) {
    const auto& request = connection->request;
    ReceivedPost post;
    post.target = std::string(request.target());
    post.idempotency_key = std::string(request["X-Uptake-Idempotency-Key"]);
    post.seq = std::string(request["X-Uptake-Seq"]);
    post.content_type = std::string(request[http::field::content_type]);
    post.body = request.body();
    post.signature_valid =
        request["X-Uptake-Signature"] == "sha256=" + HmacHex(kSecret, request.body());
    {
      std::lock_guard<std::mutex> lock(mu_);
      post.answered = 200;
      if (!statuses_.empty()) {
        post.answered = statuses_.front();
        statuses_.pop_front();
      }
      posts_.push_back(post);
    }
    changed_.notify_all();

    connection->response.result(post.answered);
    connection->response.body() = "ok";
    connection->response.keep_alive(false);
    connection->response.prepare_payload();
    connection->WithStream([connection](auto& stream) {
      http::async_write(stream, connection->response,
                        [connection](beast::error_code, size_t) { Close(connection); });
    });
  }

  // Ends the connection after the response, with a TLS close_notify first
  // for HTTPS.
  static void Close(const std::shared_ptr<Connection>& connection) {
    if (!connection->tls_stream) {
      beast::error_code ignored;
      connection->tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    connection->tls_stream->async_shutdown([connection](beast::error_code) {
      beast::error_code ignored;
      connection->tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  // Declared before io_ so that it outlives the connections' streams.
  std::optional<ssl::context> tls_context_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<int> statuses_;         // guarded by mu_
  std::vector<ReceivedPost> posts_;  // guarded by mu_
  size_t failed_handshakes_ = 0;     // guarded by mu_
};

}  // namespace webhook_receiver_internal

using webhook_receiver_internal::ReceivedPost;
using webhook_receiver_internal::WebhookReceiver;

}  // namespace uptake::testing

#endif  // UPTAKE_TESTS_INTEGRATION_WEBHOOK_RECEIVER_H_
