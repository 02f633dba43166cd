#include "server/webhook_delivery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>

#include "server/clock.h"
#include "server/webhook_signature.h"

namespace uptake {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

// How long to wait before reading the outbox again after a read failed.
constexpr std::chrono::milliseconds kStoreRetryDelay{5000};

std::string IdempotencyKey(const OutboxEntry& entry) {
  return entry.webhook + "-" + std::to_string(entry.seq);
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
      jitter_(std::random_device{}()) {}

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

  stream_.emplace(strand_);
  // One deadline covers connecting, sending and reading the response head.
  stream_->expires_after(options_.request_timeout);
  stream_->async_connect(
      endpoints, beast::bind_front_handler(&WebhookDelivery::OnConnect, shared_from_this()));
}

void WebhookDelivery::OnConnect(boost::system::error_code ec, tcp::endpoint) {
  if (stopped_) return;
  if (ec) return OnFailed("connecting failed: " + ec.message());
  http::async_write(*stream_, request_,
                    beast::bind_front_handler(&WebhookDelivery::OnWrite, shared_from_this()));
}

void WebhookDelivery::OnWrite(boost::system::error_code ec, size_t) {
  if (stopped_) return;
  if (ec) return OnFailed("sending the request failed: " + ec.message());
  parser_.emplace();
  buffer_.clear();
  // Only the status matters, so the response body is never read.
  http::async_read_header(
      *stream_, buffer_, *parser_,
      beast::bind_front_handler(&WebhookDelivery::OnReadHeader, shared_from_this()));
}

void WebhookDelivery::OnReadHeader(boost::system::error_code ec, size_t) {
  if (stopped_) return;
  if (ec) return OnFailed("reading the response failed: " + ec.message());
  CloseStream();

  const unsigned status = parser_->get().result_int();
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
  request.set(http::field::host, config_.host + ":" + std::to_string(config_.port));
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
  if (!stream_ || !stream_->socket().is_open()) return;
  beast::error_code ignored;
  stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_->close();
}

}  // namespace uptake
