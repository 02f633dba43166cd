#include "server/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <optional>
#include <type_traits>

#include "proto/answers.h"
#include "server/alert_stream.h"
#include "server/clock.h"
#include "server/ingest_stream_session.h"
#include "server/transport.h"

namespace uptake {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

// One HTTP/1.1 connection over PlainStream or TlsStream: reads requests one
// at a time and responds to each before reading the next, so pipelined
// requests get responses in order. A TLS session first completes the
// handshake within the idle timeout.
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream&& stream, const HttpServices& services, const HttpLimits& limits, uint64_t id)
      : stream_(std::move(stream)), services_(services), limits_(limits), id_(id) {}

  void Run() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::get_lowest_layer(stream_).expires_after(limits_.idle_timeout);
      stream_.async_handshake(
          asio::ssl::stream_base::server,
          beast::bind_front_handler(&HttpSession::OnHandshake, this->shared_from_this()));
    } else {
      DoReadHeader();
    }
  }

 private:
  using std::enable_shared_from_this<HttpSession<Stream>>::shared_from_this;

  void OnHandshake(beast::error_code ec) {
    if (ec) {
      spdlog::debug("[conn {}] TLS handshake failed: {}", id_, ec.message());
      beast::get_lowest_layer(stream_).close();
      return;
    }
    DoReadHeader();
  }

  void DoReadHeader() {
    parser_.emplace();
    parser_->body_limit(limits_.max_body_bytes);
    parser_->header_limit(limits_.max_header_bytes);
    beast::get_lowest_layer(stream_).expires_after(limits_.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::OnReadHeader, shared_from_this()));
  }

  void OnReadHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadFailed(ec);
    received_ms_ = ServerClock::WallMs();

    const auto& head = parser_->get();
    if (beast::iequals(head[http::field::expect], "100-continue")) {
      // The client waits for this interim response before sending the body.
      auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                        head.version());
      http::async_write(stream_, *interim,
                        [self = shared_from_this(), interim](beast::error_code write_ec, size_t) {
                          if (write_ec) return self->Close();
                          self->DoReadBody();
                        });
      return;
    }
    DoReadBody();
  }

  void DoReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnReadBody, shared_from_this()));
  }

  void OnReadBody(beast::error_code ec, size_t) {
    if (ec) return OnReadFailed(ec);
    HttpRequest request = parser_->release();

    auto [path, query] = SplitTarget(request.target());
    if (path == "/v1/alerts/stream" && request.method() == http::verb::get) {
      if (beast::websocket::is_upgrade(request) ||
          beast::iequals(request[http::field::accept], "text/event-stream")) {
        return OpenAlertStream(std::move(request), query);
      }
    }
    if (beast::websocket::is_upgrade(request) && path == "/v1/ingest") {
      return UpgradeIngest(std::move(request), query);
    }

    HttpAnswer answer = services_.router.Handle(request, received_ms_);
    Send(std::move(answer), request.version(), request.keep_alive());
  }

  // Hands the connection to a WebSocket or SSE alert stream, resuming from
  // ?after=SEQ or Last-Event-ID when given. The stream is a read route; it
  // also takes the token as ?access_token=, because a browser's
  // EventSource cannot set headers.
  void OpenAlertStream(HttpRequest request, std::string_view query) {
    std::optional<std::string> query_token = QueryParameter(query, "access_token");
    if (auto denied = services_.access.Check(Access::kRead, request[http::field::authorization],
                                             query_token)) {
      return Send(std::move(*denied), request.version(), /*keep_alive=*/false);
    }
    AlertStreamOptions options;
    std::string error;
    std::string_view last_event_id = request["Last-Event-ID"];
    options.write_timeout = services_.alert_write_timeout;
    if (!ParseAlertStreamOptions(query, last_event_id, &options, &error)) {
      return Send(JsonAnswer(400, EncodeError("invalid_parameter", error)), request.version(),
                  /*keep_alive=*/false);
    }
    if (beast::websocket::is_upgrade(request)) {
      std::make_shared<WebSocketAlertStream<Stream>>(std::move(stream_), std::move(request),
                                                     services_.store, services_.hub,
                                                     std::move(options), id_)
          ->Run();
      return;
    }
    std::make_shared<SseAlertStream<Stream>>(std::move(stream_), request.version(), services_.store,
                                             services_.hub, std::move(options), id_)
        ->Run();
  }

  // Authenticates the upgrade by the write key in Basic credentials or in
  // the write_key query parameter (browsers cannot set headers on a
  // WebSocket), then hands the connection to an ingest stream.
  void UpgradeIngest(HttpRequest request, std::string_view query) {
    std::string key = CredentialsFromAuthorization(request[http::field::authorization]).key;
    if (key.empty()) key = QueryParameter(query, "write_key").value_or("");
    if (!services_.ingest.IsWriteKey(key)) {
      return Send(JsonAnswer(401, EncodeError("invalid_write_key",
                                              "Send a configured write key as Basic credentials "
                                              "or as the write_key query parameter.")),
                  request.version(), /*keep_alive=*/false);
    }
    std::make_shared<IngestStreamSession<Stream>>(std::move(stream_), services_.ingest,
                                                  std::move(key), services_.max_in_flight, id_)
        ->Run(std::move(request));
  }

  void OnReadFailed(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      return Close();
    }
    if (ec == beast::error::timeout) {
      spdlog::debug("[conn {}] closed after {} s without a complete request", id_,
                    limits_.idle_timeout.count());
      return Close();
    }
    if (ec == http::error::body_limit) {
      return SendAndClose(400,
                          EncodeError("request_too_large",
                                      "The raw request body is larger than the server limit of " +
                                          std::to_string(limits_.max_body_bytes) + " bytes."));
    }
    if (ec == http::error::header_limit) {
      return SendAndClose(
          431, EncodeError("headers_too_large", "The request head is larger than " +
                                                    std::to_string(limits_.max_header_bytes) +
                                                    " bytes."));
    }
    spdlog::debug("[conn {}] invalid HTTP request: {}", id_, ec.message());
    SendAndClose(400,
                 EncodeError("invalid_http", "The HTTP request is invalid: " + ec.message() + "."));
  }

  void SendAndClose(int status, std::string body) {
    Send(JsonAnswer(status, std::move(body)), 11, /*keep_alive=*/false);
  }

  void Send(HttpAnswer answer, unsigned version, bool keep_alive) {
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(answer.status), version);
    response->set(http::field::server, "uptake");
    response->set(http::field::content_type, "application/json");
    for (auto& [name, value] : answer.headers) response->set(name, value);
    response->body() = std::move(answer.body);
    response->keep_alive(keep_alive);
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code ec, size_t) {
                        self->OnWrite(ec, response->keep_alive());
                      });
  }

  void OnWrite(beast::error_code ec, bool keep_alive) {
    if (ec) {
      spdlog::debug("[conn {}] write failed: {}", id_, ec.message());
      return Close();
    }
    if (!keep_alive) return Close();
    DoReadHeader();
  }

  void Close() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      // Sends close_notify, bounded by the idle timeout, so the client can
      // tell a complete response from a truncated one.
      beast::get_lowest_layer(stream_).expires_after(limits_.idle_timeout);
      stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
        beast::get_lowest_layer(self->stream_).close();
      });
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream_.close();
    }
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServices& services_;
  const HttpLimits& limits_;
  const uint64_t id_;
  int64_t received_ms_ = 0;
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, HttpServices services, HttpLimits limits,
                       asio::ssl::context* tls)
    : io_(io), acceptor_(asio::make_strand(io)), services_(services), limits_(limits), tls_(tls) {}

bool HttpServer::Listen(const std::string& host, uint16_t port, std::string* error) {
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    *error = "invalid listen host '" + host + "': " + ec.message();
    return false;
  }
  tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
    return false;
  }
  return true;
}

tcp::endpoint HttpServer::local_endpoint() const { return acceptor_.local_endpoint(); }

void HttpServer::Start() { DoAccept(); }

void HttpServer::Stop() {
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
}

void HttpServer::DoAccept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("[listener] accept failed: {}", ec.message());
    } else {
      uint64_t id = next_connection_id_.fetch_add(1, std::memory_order_relaxed);
      if (tls_ != nullptr) {
        std::make_shared<HttpSession<TlsStream>>(TlsStream(std::move(socket), *tls_), services_,
                                                 limits_, id)
            ->Run();
      } else {
        std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), services_,
                                                   limits_, id)
            ->Run();
      }
    }
    DoAccept();
  });
}

}  // namespace uptake
