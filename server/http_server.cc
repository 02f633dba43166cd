#include "server/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <optional>

#include "proto/answers.h"
#include "server/alert_stream.h"
#include "server/clock.h"
#include "server/ingest_stream_session.h"

namespace uptake {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

// Maximum bytes of a 4xx response body copied into its log line.
constexpr size_t kLoggedBodyBytes = 300;

// One HTTP/1.1 connection: reads requests one at a time and responds to each
// before reading the next, so pipelined requests get responses in order.
//
// At shutdown a connection waiting for its next request closes at once; one
// whose request is under way finishes it and responds with Connection:
// close.
class HttpSession : public DrainableConnection, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, const HttpServices& services, const HttpLimits& limits,
              ConnectionRegistry& connections, uint64_t id)
      : stream_(std::move(socket)),
        services_(services),
        limits_(limits),
        connections_(connections),
        id_(id) {
    beast::error_code ec;
    tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    peer_ = ec ? "unknown" : peer.address().to_string();
  }

  void Run() { DoReadHeader(); }

  void BeginShutdown() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->draining_ = true;
      if (self->awaiting_request_) self->Close();
    });
  }

 private:
  void DoReadHeader() {
    awaiting_request_ = true;
    route_index_ = RouteIndexOf("");
    received_at_ = std::chrono::steady_clock::now();
    parser_.emplace();
    parser_->body_limit(limits_.max_body_bytes);
    parser_->header_limit(limits_.max_header_bytes);
    stream_.expires_after(limits_.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::OnReadHeader, shared_from_this()));
  }

  void OnReadHeader(beast::error_code ec, size_t) {
    awaiting_request_ = false;
    if (ec) return OnReadFailed(ec);
    received_ms_ = ServerClock::WallMs();
    received_at_ = std::chrono::steady_clock::now();
    method_ = std::string(parser_->get().method_string());
    route_index_ = RouteIndexOf(SplitTarget(parser_->get().target()).first);

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
  // ?after=SEQ or Last-Event-ID when given.
  void OpenAlertStream(HttpRequest request, std::string_view query) {
    AlertStreamOptions options;
    std::string error;
    std::string_view last_event_id = request["Last-Event-ID"];
    options.write_timeout = services_.alert_write_timeout;
    if (!ParseAlertStreamOptions(query, last_event_id, &options, &error)) {
      return Send(JsonAnswer(400, EncodeError("invalid_parameter", error)), request.version(),
                  /*keep_alive=*/false);
    }
    RecordUpgrade();
    if (beast::websocket::is_upgrade(request)) {
      auto stream = std::make_shared<WebSocketAlertStream>(std::move(stream_), std::move(request),
                                                           services_.store, services_.hub,
                                                           std::move(options), id_);
      stream->Run();
      connections_.Add(stream);
      return;
    }
    auto stream =
        std::make_shared<SseAlertStream>(std::move(stream_), request.version(), services_.store,
                                         services_.hub, std::move(options), id_);
    stream->Run();
    connections_.Add(stream);
  }

  // Counts a connection handed to a stream as a 101 response.
  void RecordUpgrade() {
    services_.metrics.RecordRequest(route_index_, 101,
                                    std::chrono::steady_clock::now() - received_at_);
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
    RecordUpgrade();
    auto session = std::make_shared<IngestStreamSession>(
        std::move(stream_), services_.ingest, std::move(key), services_.max_in_flight, id_);
    session->Run(std::move(request));
    connections_.Add(session);
  }

  void OnReadFailed(beast::error_code ec) {
    // A shutdown closed the socket of an idle connection.
    if (draining_ && ec == asio::error::operation_aborted) return Close();
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
    services_.metrics.RecordRequest(route_index_, answer.status,
                                    std::chrono::steady_clock::now() - received_at_);
    if (answer.status >= 400 && answer.status < 500) LogClientError(answer);
    keep_alive = keep_alive && !draining_;
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
    // A shutdown that began while the response was being written ends the
    // connection too.
    if (!keep_alive || draining_) return Close();
    DoReadHeader();
  }

  // Logs a 4xx response at info level, rate-limited per peer, route and
  // status, so a client repeating a bad request cannot flood the log.
  void LogClientError(const HttpAnswer& answer) {
    std::string key = "[peer " + peer_ + "] client errors " + std::to_string(answer.status) +
                      " on " + std::string(RouteName(route_index_));
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
    if (!services_.client_errors.Allow(key, now_ms)) return;
    std::string_view body = answer.body;
    if (body.size() > kLoggedBodyBytes) body = body.substr(0, kLoggedBodyBytes);
    spdlog::info("[conn {}] [peer {}] {} {} responded {}: {}", id_, peer_, method_,
                 RouteName(route_index_), answer.status, body);
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServices& services_;
  const HttpLimits& limits_;
  ConnectionRegistry& connections_;
  const uint64_t id_;
  std::string peer_;  // the client's IP address
  int64_t received_ms_ = 0;
  std::chrono::steady_clock::time_point received_at_ = std::chrono::steady_clock::now();
  size_t route_index_ = 0;  // of the request being served, for metrics and logs
  std::string method_;
  bool awaiting_request_ = false;  // reading the head of the next request
  bool draining_ = false;          // shutting down: no request after this one
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, HttpServices services, HttpLimits limits)
    : io_(io), acceptor_(asio::make_strand(io)), services_(services), limits_(limits) {}

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

void HttpServer::BeginShutdown() {
  Stop();
  connections_.ShutdownAll();
}

void HttpServer::DoAccept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("[listener] accept failed: {}", ec.message());
    } else {
      uint64_t id = next_connection_id_.fetch_add(1, std::memory_order_relaxed);
      auto session =
          std::make_shared<HttpSession>(std::move(socket), services_, limits_, connections_, id);
      // Run before Add: a shutdown under way posts to the session's strand,
      // which must not race with Run, called from outside that strand.
      session->Run();
      connections_.Add(session);
    }
    DoAccept();
  });
}

}  // namespace uptake
