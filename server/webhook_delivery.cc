#include "server/webhook_delivery.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>

#include "server/clock.h"
#include "server/webhook_signature.h"

namespace uptake {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

namespace {

// How long to wait before reading the outbox again after a read failed.
constexpr std::chrono::milliseconds kStoreRetryDelay{5000};

std::string IdempotencyKey(const OutboxEntry& entry) {
  return entry.webhook + "-" + std::to_string(entry.seq);
}

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

WebhookDelivery::WebhookDelivery(asio::io_context& io, Store& store, WebhookConfig config,
                                 WebhookDeliveryOptions options)
    : store_(store),
      config_(std::move(config)),
      options_(options),
      strand_(asio::make_strand(io)),
      resolver_(strand_),
      timer_(strand_),
      jitter_(std::random_device{}()) {
  if (config_.tls) SetUpTls();
}

void WebhookDelivery::SetUpTls() {
  tls_context_.emplace(ssl::context::tls_client);
  tls_context_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1);
  tls_context_->set_verify_mode(ssl::verify_peer);

  boost::system::error_code ec;
  tls_context_->set_default_verify_paths(ec);
  if (ec) {
    spdlog::warn("[webhook {}] loading the system CA store failed: {}", config_.name, ec.message());
  }
  if (config_.ca_file.empty()) return;

  // The file was checked when the config was loaded, but it may have
  // changed since.
  tls_context_->load_verify_file(config_.ca_file, ec);
  if (ec) {
    tls_setup_error_ = "loading CA file \"" + config_.ca_file + "\" failed: " + ec.message();
    spdlog::error(
        "[webhook {}] {}; every delivery attempt fails until the file is fixed and the "
        "server restarted",
        config_.name, tls_setup_error_);
  }
}

void WebhookDelivery::Wake() {
  asio::post(strand_, [self = shared_from_this()] { self->Pump(); });
}

void WebhookDelivery::Stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
    self->resolver_.cancel();
    self->CloseStream();
  });
}

void WebhookDelivery::Pump() {
  if (stopped_ || busy_) return;
  if (pending_.empty() && !LoadPage()) return;

  const int64_t wait_ms = pending_.front().next_attempt_ms - ServerClock::WallMs();
  busy_ = true;
  if (wait_ms > 0) return DoWait(std::chrono::milliseconds(wait_ms));
  DoResolve();
}

bool WebhookDelivery::LoadPage() {
  std::vector<OutboxEntry> page;
  StorageStatus status =
      store_.ReadOutbox(config_.name, loaded_through_seq_, options_.page_size, &page);
  if (!status.ok()) {
    spdlog::error("[webhook {}] reading the outbox failed: {}; retrying in {} s", config_.name,
                  status.message(), kStoreRetryDelay.count() / 1000);
    busy_ = true;
    DoWait(kStoreRetryDelay);
    return false;
  }
  if (page.empty()) return false;

  loaded_through_seq_ = page.back().seq;
  for (OutboxEntry& entry : page) pending_.push_back(std::move(entry));
  return true;
}

void WebhookDelivery::DoWait(std::chrono::milliseconds delay) {
  timer_.expires_after(delay);
  timer_.async_wait(beast::bind_front_handler(&WebhookDelivery::OnWait, shared_from_this()));
}

void WebhookDelivery::OnWait(boost::system::error_code ec) {
  if (ec == asio::error::operation_aborted) return;
  busy_ = false;
  Pump();
}

void WebhookDelivery::DoResolve() {
  request_ = BuildRequest(pending_.front());
  // NOTE: the request timeout does not cover this lookup, because Asio's
  // resolver runs getaddrinfo on a thread that cannot be cancelled.
  resolver_.async_resolve(
      config_.host, std::to_string(config_.port),
      beast::bind_front_handler(&WebhookDelivery::OnResolve, shared_from_this()));
}

void WebhookDelivery::OnResolve(boost::system::error_code ec,
                                tcp::resolver::results_type endpoints) {
  if (stopped_) return;
  if (ec) return OnFailed("resolving " + config_.host + " failed: " + ec.message());

  beast::tcp_stream* tcp_stream = nullptr;
  if (config_.tls) {
    if (!tls_setup_error_.empty()) return OnFailed(tls_setup_error_);
    tls_stream_.emplace(strand_, *tls_context_);
    const std::string error = PrepareTlsStream();
    if (!error.empty()) return OnFailed(error);
    tcp_stream = &tls_stream_->next_layer();
  } else {
    stream_.emplace(strand_);
    tcp_stream = &*stream_;
  }

  // One deadline covers connecting, the TLS handshake, sending and reading
  // the response head.
  tcp_stream->expires_after(options_.request_timeout);
  tcp_stream->async_connect(
      endpoints, beast::bind_front_handler(&WebhookDelivery::OnConnect, shared_from_this()));
}

std::string WebhookDelivery::PrepareTlsStream() {
  SSL* tls = tls_stream_->native_handle();
  X509_VERIFY_PARAM* verify = SSL_get0_param(tls);
  X509_VERIFY_PARAM_set_hostflags(verify, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);

  // RFC 6066 allows only host names in SNI, so an IP literal is checked
  // against the certificate's IP addresses and not sent.
  if (IsIpLiteral(config_.host)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(verify, config_.host.c_str()) != 1) {
      return "setting the expected IP address " + config_.host + " failed";
    }
    return "";
  }
  if (SSL_set_tlsext_host_name(tls, config_.host.c_str()) != 1) {
    return "setting the TLS server name " + config_.host + " failed";
  }
  if (X509_VERIFY_PARAM_set1_host(verify, config_.host.c_str(), config_.host.size()) != 1) {
    return "setting the expected host name " + config_.host + " failed";
  }
  return "";
}

void WebhookDelivery::OnConnect(boost::system::error_code ec, tcp::endpoint) {
  if (stopped_) return;
  if (ec) return OnFailed("connecting failed: " + ec.message());
  if (!config_.tls) return DoWrite();

  tls_stream_->async_handshake(
      ssl::stream_base::client,
      beast::bind_front_handler(&WebhookDelivery::OnHandshake, shared_from_this()));
}

void WebhookDelivery::OnHandshake(boost::system::error_code ec) {
  if (stopped_) return;
  if (ec) return OnFailed(DescribeTlsFailure(ec));
  DoWrite();
}

std::string WebhookDelivery::DescribeTlsFailure(boost::system::error_code ec) {
  std::string reason = "TLS handshake with " + HostHeader() + " failed: " + ec.message();
  const long verify_result = SSL_get_verify_result(tls_stream_->native_handle());
  if (verify_result != X509_V_OK) {
    reason += ": ";
    reason += X509_verify_cert_error_string(verify_result);
  }
  return reason;
}

void WebhookDelivery::DoWrite() {
  WithStream([this](auto& stream) {
    http::async_write(stream, request_,
                      beast::bind_front_handler(&WebhookDelivery::OnWrite, shared_from_this()));
  });
}

void WebhookDelivery::OnWrite(boost::system::error_code ec, size_t) {
  if (stopped_) return;
  if (ec) return OnFailed("sending the request failed: " + ec.message());
  parser_.emplace();
  buffer_.clear();
  // Only the status matters, so the response body is never read.
  WithStream([this](auto& stream) {
    http::async_read_header(
        stream, buffer_, *parser_,
        beast::bind_front_handler(&WebhookDelivery::OnReadHeader, shared_from_this()));
  });
}

void WebhookDelivery::OnReadHeader(boost::system::error_code ec, size_t) {
  if (stopped_) return;
  if (ec) return OnFailed("reading the response failed: " + ec.message());

  const unsigned status = parser_->get().result_int();
  if (config_.tls) return DoShutdown(status);
  CloseStream();
  OnResponse(status);
}

void WebhookDelivery::DoShutdown(unsigned status) {
  // Sends close_notify so the receiver can tell a complete exchange from a
  // cut connection, then waits a short time for the receiver's close_notify.
  tls_stream_->next_layer().expires_after(options_.tls_shutdown_timeout);
  tls_stream_->async_shutdown(
      beast::bind_front_handler(&WebhookDelivery::OnShutdown, shared_from_this(), status));
}

void WebhookDelivery::OnShutdown(unsigned status, boost::system::error_code ec) {
  if (stopped_) return;
  // Receivers often close the TCP connection without their own close_notify
  // (stream_truncated) or after the unread response body. Neither changes
  // the outcome, which the response status already decided.
  if (ec && ec != ssl::error::stream_truncated) {
    spdlog::debug("[webhook {}] TLS shutdown failed: {}", config_.name, ec.message());
  }
  CloseStream();
  OnResponse(status);
}

void WebhookDelivery::OnResponse(unsigned status) {
  if (status >= 200 && status < 300) return OnDelivered();
  OnFailed("the receiver answered " + std::to_string(status));
}

void WebhookDelivery::OnDelivered() {
  const OutboxEntry& entry = pending_.front();
  spdlog::debug("[webhook {}] delivered seq {} after {} failed attempts", config_.name, entry.seq,
                entry.attempts);
  StorageStatus status = store_.DeleteOutboxEntry(entry.webhook, entry.seq);
  if (!status.ok()) {
    // The entry is sent again after the next restart, under the same
    // idempotency key, so the receiver can discard it.
    spdlog::error("[webhook {}] removing delivered seq {} from the outbox failed: {}", config_.name,
                  entry.seq, status.message());
  }
  pending_.pop_front();
  busy_ = false;
  Pump();
}

void WebhookDelivery::OnFailed(const std::string& reason) {
  CloseStream();
  OutboxEntry& entry = pending_.front();
  ++entry.attempts;

  if (entry.attempts >= options_.max_attempts) {
    spdlog::error("[webhook {}] dropping seq {} after {} failed attempts; last error: {}",
                  config_.name, entry.seq, entry.attempts, reason);
    StorageStatus status = store_.DeleteOutboxEntry(entry.webhook, entry.seq);
    if (!status.ok()) {
      spdlog::error("[webhook {}] removing dropped seq {} from the outbox failed: {}", config_.name,
                    entry.seq, status.message());
    }
    pending_.pop_front();
    busy_ = false;
    return Pump();
  }

  const std::chrono::milliseconds delay = Backoff(entry.attempts);
  entry.next_attempt_ms = ServerClock::WallMs() + delay.count();
  spdlog::warn("[webhook {}] attempt {} of {} for seq {} failed: {}; retrying in {} ms",
               config_.name, entry.attempts, options_.max_attempts, entry.seq, reason,
               delay.count());
  StorageStatus status = store_.UpdateOutboxEntry(entry);
  if (!status.ok()) {
    // The retry still happens; after a restart the count starts from the
    // last value stored.
    spdlog::error("[webhook {}] storing the attempt count of seq {} failed: {}", config_.name,
                  entry.seq, status.message());
  }
  DoWait(delay);
}

WebhookDelivery::Request WebhookDelivery::BuildRequest(const OutboxEntry& entry) const {
  Request request(http::verb::post, config_.target, 11);
  request.set(http::field::host, HostHeader());
  request.set(http::field::user_agent, "uptake-webhook");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::connection, "close");
  request.set("X-Uptake-Signature", WebhookSignature(config_.secret, entry.body));
  request.set("X-Uptake-Idempotency-Key", IdempotencyKey(entry));
  request.set("X-Uptake-Seq", std::to_string(entry.seq));
  request.body() = entry.body;
  request.prepare_payload();
  return request;
}

std::string WebhookDelivery::HostHeader() const {
  const bool ipv6 = config_.host.find(':') != std::string::npos;
  std::string host = ipv6 ? "[" + config_.host + "]" : config_.host;
  const uint16_t default_port = config_.tls ? 443 : 80;
  if (config_.port != default_port) host += ":" + std::to_string(config_.port);
  return host;
}

std::chrono::milliseconds WebhookDelivery::Backoff(uint32_t attempts) {
  // Shifting by 31 or more overflows, and the cap is reached long before.
  const uint32_t doublings = std::min<uint32_t>(attempts - 1, 30);
  const int64_t base = std::min<int64_t>(options_.initial_backoff.count() << doublings,
                                         options_.max_backoff.count());
  std::uniform_int_distribution<int64_t> jitter(0, base / 10);
  return std::chrono::milliseconds(base + jitter(jitter_));
}

void WebhookDelivery::CloseStream() {
  // The stream itself is replaced by the next POST, not destroyed here,
  // because this may run inside one of its completion handlers.
  beast::tcp_stream* tcp_stream = nullptr;
  if (tls_stream_) tcp_stream = &tls_stream_->next_layer();
  if (stream_) tcp_stream = &*stream_;
  if (tcp_stream == nullptr || !tcp_stream->socket().is_open()) return;

  beast::error_code ignored;
  tcp_stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp_stream->close();
}

}  // namespace uptake
