#include "server/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <optional>
#include <type_traits>

#include "proto/answers.h"
#include "proto/body.h"
#include "server/alert_stream.h"
#include "server/clock.h"
#include "server/connection_slot.h"
#include "server/http_wire.h"
#include "server/ingest_families.h"
#include "server/ingest_stream_session.h"
#include "server/server_metrics.h"
#include "server/transport.h"

namespace uptake {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

// Bytes requested per read while a request head arrives. The read buffer
// may hold this much beyond the head limit, which also bounds a chunk
// header with its extensions and a trailer section.
constexpr size_t kReadChunkBytes = 64 * 1024;

// Maximum bytes of a 4xx response body copied into its log line.
constexpr size_t kLoggedBodyBytes = 300;

// After an error response the session stops sending and reads and discards
// what the client still sends, for up to this long or this many bytes. A
// close with unread input makes the kernel send a reset, and a client still
// writing its body would see that reset instead of the response.
constexpr std::chrono::seconds kLingerTime{2};
constexpr size_t kLingerBytes = 1024 * 1024;

// Returns why the body framing of `head` is ambiguous, or "" when it is
// not. Beast rejects most conflicts itself but accepts, for example,
// `Transfer-Encoding: gzip` followed by Content-Length, or two equal
// Content-Length fields. A front proxy may pick the other length, so the
// server accepts exactly one framing: one Content-Length with one number,
// or one `Transfer-Encoding: chunked` on HTTP/1.1.
std::string FramingError(const http::request_header<>& head) {
  const size_t content_lengths = head.count(http::field::content_length);
  const size_t transfer_encodings = head.count(http::field::transfer_encoding);
  if (content_lengths > 1) return "it has more than one Content-Length field";
  if (content_lengths == 1 &&
      head[http::field::content_length].find(',') != std::string_view::npos) {
    return "its Content-Length field lists more than one value";
  }
  if (transfer_encodings == 0) return "";
  if (content_lengths > 0) return "it has both Transfer-Encoding and Content-Length";
  if (transfer_encodings > 1) return "it has more than one Transfer-Encoding field";
  if (head.version() < 11) return "Transfer-Encoding is not defined for HTTP/1.0";
  std::string_view coding = head[http::field::transfer_encoding];
  while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) {
    coding.remove_prefix(1);
  }
  while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) {
    coding.remove_suffix(1);
  }
  if (!beast::iequals(coding, "chunked")) {
    return "its Transfer-Encoding is \"" + std::string(coding) +
           "\"; only \"chunked\" is supported";
  }
  return "";
}

// The stage of a request that a read timeout interrupted, for the log.
enum class ReadStage { kIdle, kHeader, kBody };

// One HTTP/1.1 connection over PlainStream or TlsStream: reads requests one
// at a time and responds to each before reading the next, so pipelined
// requests get responses in order. Every read and write runs under a
// deadline from HttpLimits, and the read buffer is bounded, so a client can
// hold neither the connection nor memory. A TLS session first completes the
// handshake within the idle timeout.
//
// At shutdown a connection waiting for its next request closes at once (a
// TLS one with close_notify); one whose request is under way finishes it
// and responds with Connection: close.
template <class Stream>
class HttpSession : public DrainableConnection,
                    public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream&& stream, const HttpServices& services, const HttpLimits& limits,
              ConnectionRegistry& connections, ConnectionSlot slot, uint64_t id)
      : stream_(std::move(stream)),
        executor_(stream_.get_executor()),
        buffer_(limits.max_header_bytes + kReadChunkBytes),
        services_(services),
        limits_(limits),
        connections_(connections),
        slot_(std::move(slot)),
        id_(id),
        route_index_(RouteIndexOf("")) {
    beast::error_code ec;
    tcp::endpoint peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    peer_ = ec ? "unknown" : peer.address().to_string();
  }

  // Run and RejectOverloaded may be called from any thread: the session
  // starts on its strand, where BeginShutdown's work runs too.
  void Run() { StartOnStrand(/*overloaded=*/false); }

  // Sends 503 at once, for a connection over the listener's limit. A TLS
  // connection gets it after the handshake, so the client can read it.
  void RejectOverloaded() { StartOnStrand(/*overloaded=*/true); }

  void BeginShutdown() override {
    // The executor saved at construction: stream_ may have moved to an
    // alert or ingest stream by now.
    asio::post(executor_, [self = shared_from_this()] {
      self->draining_ = true;
      if (!self->awaiting_request_) return;
      if constexpr (std::is_same_v<Stream, TlsStream>) {
        // The pending read must end before the TLS shutdown reads; its
        // handler sees operation_aborted and closes with close_notify.
        beast::get_lowest_layer(self->stream_).cancel();
      } else {
        self->Close();
      }
    });
  }

 private:
  using std::enable_shared_from_this<HttpSession<Stream>>::shared_from_this;

  void StartOnStrand(bool overloaded) {
    asio::post(executor_, [self = shared_from_this(), overloaded] { self->Begin(overloaded); });
  }

  // Completes the TLS handshake, if any, then serves requests or sends the
  // 503 of an overloaded listener.
  void Begin(bool overloaded) {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::get_lowest_layer(stream_).expires_after(limits_.idle_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this(),
                                                               overloaded](beast::error_code ec) {
        if (ec) {
          spdlog::debug("[conn {}] TLS handshake failed: {}", self->id_, ec.message());
          beast::get_lowest_layer(self->stream_).close();
          return;
        }
        self->OnReady(overloaded);
      });
    } else {
      OnReady(overloaded);
    }
  }

  void OnReady(bool overloaded) {
    if (!overloaded) return DoAwaitRequest();
    HttpAnswer answer =
        JsonAnswer(503, EncodeError("too_many_connections",
                                    "The server has " + std::to_string(limits_.max_connections) +
                                        " open connections, its limit. Retry after a second."));
    answer.headers.emplace_back("Retry-After", "1");
    Send(std::move(answer), 11, /*keep_alive=*/false);
  }

  // Waits under the idle timeout for the first byte of the next request,
  // unless a pipelined request is already buffered.
  void DoAwaitRequest() {
    route_index_ = RouteIndexOf("");
    head_request_ = false;
    received_at_ = std::chrono::steady_clock::now();
    if (draining_) return Close();
    if (buffer_.size() > 0) return DoReadHeader();
    awaiting_request_ = true;
    beast::get_lowest_layer(stream_).expires_after(limits_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadChunkBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t bytes) {
                              self->awaiting_request_ = false;
                              self->buffer_.commit(bytes);
                              if (ec) return self->OnReadFailed(ec, ReadStage::kIdle);
                              self->DoReadHeader();
                            });
  }

  // Feeds the bytes already read to the parser, the way Beast's read
  // operations do, until `done` holds. Returns true then; otherwise false,
  // with `ec` set on a parse error or clear when more bytes must be read.
  // A request that arrived whole so costs no asynchronous operation.
  template <class Done>
  bool ParseBuffered(Done done, beast::error_code& ec) {
    while (!done()) {
      if (buffer_.size() == 0) return false;
      const size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) {
        ec = {};
        return false;
      }
      if (ec) return false;
    }
    return true;
  }

  void DoReadHeader() {
    parser_.emplace();
    parser_->body_limit(limits_.max_body_bytes);
    parser_->header_limit(limits_.max_header_bytes);
    parser_->eager(false);
    beast::error_code ec;
    if (ParseBuffered([this] { return parser_->is_header_done(); }, ec)) {
      return OnReadHeader(ec, 0);
    }
    if (ec) return OnReadFailed(ec, ReadStage::kHeader);
    beast::get_lowest_layer(stream_).expires_after(limits_.header_read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::OnReadHeader, shared_from_this()));
  }

  void OnReadHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadFailed(ec, ReadStage::kHeader);
    received_ms_ = ServerClock::WallMs();
    received_at_ = std::chrono::steady_clock::now();
    method_ = std::string(parser_->get().method_string());
    head_request_ = parser_->get().method() == http::verb::head;
    route_index_ = RouteIndexOf(SplitTarget(parser_->get().target()).first);

    const auto& head = parser_->get();
    if (std::string error = FramingError(head); !error.empty()) {
      spdlog::debug("[conn {}] rejected a request: {}", id_, error);
      return SendAndClose(
          400, EncodeError("invalid_http", "The request framing is ambiguous: " + error + "."));
    }
    const auto field_count = static_cast<size_t>(std::distance(head.begin(), head.end()));
    if (field_count > limits_.max_header_fields) {
      return SendAndClose(431, EncodeError("headers_too_large",
                                           "The request has " + std::to_string(field_count) +
                                               " header fields; the limit is " +
                                               std::to_string(limits_.max_header_fields) + "."));
    }
    if (!ApplyRouteBodyLimit()) return;
    // Trailer fields arrive after the body, and Beast adds them to the
    // header fields. The server honours no trailer field, so the head is
    // kept as it was before the body and the trailers are dropped.
    if (parser_->chunked()) head_before_body_ = head.base();

    beast::get_lowest_layer(stream_).expires_after(limits_.body_read_timeout);
    std::string_view expect = head[http::field::expect];
    if (expect.empty()) return DoReadBody();
    if (!beast::iequals(expect, "100-continue")) {
      return SendAndClose(417, EncodeError("expectation_failed",
                                           "The only supported Expect value is 100-continue."));
    }
    // HTTP/1.0 clients do not know the interim response, and a request
    // without a body has nothing to wait for.
    if (head.version() < 11 || parser_->is_done()) return DoReadBody();

    // The client waits for this interim response before sending the body.
    // A body over the limit with a Content-Length never gets here: Beast
    // fails the head read, so the client gets the error instead.
    auto interim =
        std::make_shared<http::response<http::empty_body>>(http::status::continue_, head.version());
    http::async_write(stream_, *interim,
                      [self = shared_from_this(), interim](beast::error_code write_ec, size_t) {
                        if (write_ec) return self->Close();
                        self->DoReadBody();
                      });
  }

  // Narrows the body limit to the ingest route's own, so a body the route
  // must reject is not read whole first. Returns false after rejecting a
  // Content-Length over that limit.
  bool ApplyRouteBodyLimit() {
    SetRouteBodyLimit();
    if (!route_family_) return true;

    boost::optional<uint64_t> length = parser_->content_length();
    if (length && *length > body_limit_) {
      Send(RawBodyTooLargeAnswer(*route_family_, body_limit_), parser_->get().version(),
           /*keep_alive=*/false);
      return false;
    }
    // Chunked bodies: Beast counts this limit down chunk by chunk.
    parser_->body_limit(body_limit_);
    // With the parsers' padding reserved up front, an ingest body that
    // needs no decoding is parsed where it was read, not copied first.
    if (length) parser_->get().body().reserve(*length + kBodyPaddingBytes);
    return true;
  }

  // Sets route_family_ from the request target, and body_limit_ to the
  // smaller of the server-wide limit and the ingest route's own.
  void SetRouteBodyLimit() {
    body_limit_ = limits_.max_body_bytes;
    route_family_ = IngestFamilyFor(SplitTarget(parser_->get().target()).first);
    if (!route_family_) return;
    std::optional<size_t> route_limit = MaxRawBodyBytes(*route_family_, services_.ingest.limits());
    if (route_limit) body_limit_ = std::min(body_limit_, *route_limit);
  }

  void DoReadBody() {
    parser_->eager(true);
    beast::error_code ec;
    if (ParseBuffered([this] { return parser_->is_done(); }, ec)) return OnReadBody(ec, 0);
    if (ec) return OnReadFailed(ec, ReadStage::kBody);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnReadBody, shared_from_this()));
  }

  void OnReadBody(beast::error_code ec, size_t) {
    if (ec) return OnReadFailed(ec, ReadStage::kBody);
    HttpRequest request = parser_->release();
    if (head_before_body_) {
      request.base() = std::move(*head_before_body_);
      head_before_body_.reset();
    }
    // keep_alive(), is_upgrade() and the WebSocket handshake of Beast (Boost
    // 1.81) read only the first Connection line.
    JoinFieldLines(request, http::field::connection);
    JoinFieldLines(request, http::field::accept);

    auto [path, query] = SplitTarget(request.target());
    if (path == "/v1/alerts/stream" && request.method() == http::verb::get) {
      if (beast::websocket::is_upgrade(request) ||
          AcceptsEventStream(request[http::field::accept])) {
        return OpenAlertStream(std::move(request), query);
      }
    }
    if (beast::websocket::is_upgrade(request) && path == "/v1/ingest") {
      return UpgradeIngest(std::move(request), query);
    }

    // The response to an ingest request may come after a commit shared with
    // other connections' requests, on whichever thread ran that commit.
    services_.router.HandleAsync(
        request, received_ms_,
        [self = shared_from_this(), version = request.version(),
         keep_alive = request.keep_alive()](HttpAnswer answer) {
          asio::dispatch(self->executor_,
                         [self, answer = std::move(answer), version, keep_alive]() mutable {
                           self->Send(std::move(answer), version, keep_alive);
                         });
        });
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
    RecordUpgrade();
    if (beast::websocket::is_upgrade(request)) {
      auto stream = std::make_shared<WebSocketAlertStream<Stream>>(
          std::move(stream_), std::move(request), services_.store, services_.hub,
          std::move(options), std::move(slot_), id_);
      stream->Run();
      connections_.Add(stream);
      return;
    }
    auto stream = std::make_shared<SseAlertStream<Stream>>(
        std::move(stream_), request.version(), services_.store, services_.hub, std::move(options),
        std::move(slot_), id_);
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
    auto session = std::make_shared<IngestStreamSession<Stream>>(
        std::move(stream_), services_.ingest, std::move(key), services_.max_in_flight,
        std::move(slot_), id_);
    session->Run(std::move(request));
    connections_.Add(session);
  }

  void OnReadFailed(beast::error_code ec, ReadStage stage) {
    // A shutdown closed (plain) or cancelled (TLS) the read of an idle
    // connection.
    if (draining_ && ec == asio::error::operation_aborted) return Close();
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      return Close();
    }
    // beast::tcp_stream has closed the socket already, so no response can
    // be sent.
    if (ec == beast::error::timeout) {
      if (stage == ReadStage::kIdle) {
        spdlog::debug("[conn {}] closed after {} s without a request", id_,
                      limits_.idle_timeout.count());
      } else if (stage == ReadStage::kHeader) {
        spdlog::debug("[conn {}] closed: the request head did not arrive within {} s", id_,
                      limits_.header_read_timeout.count());
      } else {
        spdlog::debug("[conn {}] closed: the request body did not arrive within {} s", id_,
                      limits_.body_read_timeout.count());
      }
      return Close();
    }
    if (ec == http::error::body_limit) {
      // A Content-Length over the server-wide limit fails the head read,
      // before the route is known, so the route and its limit are found here.
      if (stage == ReadStage::kHeader) SetRouteBodyLimit();
      if (route_family_) {
        return Send(RawBodyTooLargeAnswer(*route_family_, body_limit_), 11,
                    /*keep_alive=*/false);
      }
      return SendAndClose(400, EncodeError("request_too_large",
                                           "The raw request body is larger than the limit of " +
                                               std::to_string(body_limit_) + " bytes."));
    }
    if (ec == http::error::header_limit) {
      return SendAndClose(
          431, EncodeError("headers_too_large", "The request head is larger than " +
                                                    std::to_string(limits_.max_header_bytes) +
                                                    " bytes."));
    }
    if (ec == http::error::buffer_overflow) {
      return SendAndClose(431,
                          EncodeError("headers_too_large",
                                      "A chunk header or the trailer section is larger than " +
                                          std::to_string(limits_.max_header_bytes) + " bytes."));
    }
    spdlog::debug("[conn {}] invalid HTTP request: {}", id_, ec.message());
    SendAndClose(400,
                 EncodeError("invalid_http", "The HTTP request is invalid: " + ec.message() + "."));
  }

  void SendAndClose(int status, std::string body) {
    Send(JsonAnswer(status, std::move(body)), 11, /*keep_alive=*/false);
  }

  // Sends `answer`, without its body when the request is a HEAD. Without
  // `keep_alive` the session lingers after the write, since the client may
  // still be sending a body; a shutdown only drops keep-alive, and the
  // session then closes after the write.
  void Send(HttpAnswer answer, unsigned version, bool keep_alive) {
    services_.metrics.RecordRequest(route_index_, answer.status,
                                    std::chrono::steady_clock::now() - received_at_);
    if (answer.status >= 400 && answer.status < 500) LogClientError(answer);
    const bool linger = !keep_alive;
    keep_alive = keep_alive && !draining_;
    auto wire = std::make_shared<std::string>(
        SerializeAnswer(answer, version, keep_alive, /*send_body=*/!head_request_));
    // A client that does not read its response is treated like an idle one.
    beast::get_lowest_layer(stream_).expires_after(limits_.idle_timeout);
    asio::async_write(stream_, asio::buffer(*wire),
                      [self = shared_from_this(), wire, keep_alive, linger](
                          beast::error_code ec, size_t) { self->OnWrite(ec, keep_alive, linger); });
  }

  void OnWrite(beast::error_code ec, bool keep_alive, bool linger) {
    if (ec) {
      spdlog::debug("[conn {}] write failed: {}", id_, ec.message());
      return Close();
    }
    if (linger) return Linger();
    // A shutdown that began while the response was being written ends the
    // connection too.
    if (!keep_alive || draining_) return Close();
    DoAwaitRequest();
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

  // Ends the sending side, then discards input until the client closes or
  // the linger bounds pass. Over TLS the close_notify ends the sending side,
  // and the shutdown reads and drops records until the client's own
  // close_notify arrives, within the linger time.
  void Linger() {
    buffer_.consume(buffer_.size());
    beast::get_lowest_layer(stream_).expires_after(kLingerTime);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
        beast::get_lowest_layer(self->stream_).close();
      });
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      DoDiscard();
    }
  }

  void DoDiscard() {
    stream_.async_read_some(buffer_.prepare(kReadChunkBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t bytes) {
                              self->discarded_bytes_ += bytes;
                              if (ec || self->discarded_bytes_ >= kLingerBytes) {
                                return self->Close();
                              }
                              self->DoDiscard();
                            });
  }

  void Close() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      // Sends close_notify, so the client can tell a complete response from
      // a truncated one, and waits for the client's within the linger time.
      beast::get_lowest_layer(stream_).expires_after(kLingerTime);
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
  const asio::any_io_executor executor_;  // the connection's strand
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request_header<>> head_before_body_;
  const HttpServices& services_;
  const HttpLimits& limits_;
  ConnectionRegistry& connections_;
  ConnectionSlot slot_;
  const uint64_t id_;
  std::string peer_;  // the client's IP address
  int64_t received_ms_ = 0;
  std::chrono::steady_clock::time_point received_at_ = std::chrono::steady_clock::now();
  size_t route_index_;  // of the request being served, for metrics and logs
  std::string method_;
  bool head_request_ = false;      // true while serving a HEAD, whose response has no body
  bool awaiting_request_ = false;  // waiting for the first byte of the next request
  bool draining_ = false;          // shutting down: no request after this one
  // The current request's ingest family, if any, and its raw body limit.
  std::optional<IngestFamily> route_family_;
  size_t body_limit_ = 0;
  size_t discarded_bytes_ = 0;
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, HttpServices services, HttpLimits limits,
                       asio::ssl::context* tls)
    : io_(io),
      acceptor_(asio::make_strand(io)),
      accept_retry_timer_(acceptor_.get_executor()),
      services_(services),
      limits_(limits),
      tls_(tls),
      open_connections_(std::make_shared<std::atomic<size_t>>(0)) {}

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
  acceptor_.async_accept(asio::make_strand(io_),
                         beast::bind_front_handler(&HttpServer::OnAccept, this));
}

void HttpServer::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted) return;
  if (ec) {
    // Out of file descriptors, for example. Retrying at once would fail
    // the same way in a tight loop.
    spdlog::warn("[listener] accept failed: {}; retrying in 100 ms", ec.message());
    accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
    accept_retry_timer_.async_wait([this](beast::error_code timer_ec) {
      if (!timer_ec) DoAccept();
    });
    return;
  }

  // Responses are small and each ends a request, so send them at once
  // instead of letting Nagle's algorithm hold the segment for an ACK.
  beast::error_code option_ec;
  socket.set_option(tcp::no_delay(true), option_ec);

  uint64_t id = next_connection_id_.fetch_add(1, std::memory_order_relaxed);
  size_t open = open_connections_->fetch_add(1, std::memory_order_relaxed);
  ConnectionSlot slot(open_connections_);
  if (open >= limits_.max_connections) {
    // The rejected connection is not counted: it lives for one short write
    // and the linger time.
    slot = ConnectionSlot();
    if (rejected_connections_++ % 1000 == 0) {
      spdlog::warn(
          "[conn {}] rejected with 503: {} connections are open, the limit ({} rejected "
          "so far)",
          id, open, rejected_connections_);
    }
    StartSession(std::move(socket), ConnectionSlot(), id, /*overloaded=*/true);
  } else {
    StartSession(std::move(socket), std::move(slot), id, /*overloaded=*/false);
  }
  DoAccept();
}

void HttpServer::StartSession(tcp::socket socket, ConnectionSlot slot, uint64_t id,
                              bool overloaded) {
  // Added before it starts, so that a shutdown cannot miss a session whose
  // first request is already under way. The session's first step and any
  // BeginShutdown both run on its strand, in the order posted.
  auto start = [&](auto session) {
    connections_.Add(session);
    overloaded ? session->RejectOverloaded() : session->Run();
  };
  if (tls_ != nullptr) {
    start(std::make_shared<HttpSession<TlsStream>>(TlsStream(std::move(socket), *tls_), services_,
                                                   limits_, connections_, std::move(slot), id));
  } else {
    start(std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), services_,
                                                     limits_, connections_, std::move(slot), id));
  }
}

}  // namespace uptake
