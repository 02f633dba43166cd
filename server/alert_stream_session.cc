#include "server/alert_stream_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <utility>

namespace uptake {
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

AlertStreamSession::AlertStreamSession(beast::tcp_stream&& stream, AlertHub& hub,
                                       uint64_t connection_id)
    : ws_(std::move(stream)),
      close_timer_(ws_.get_executor()),
      hub_(hub),
      connection_id_(connection_id) {}

void AlertStreamSession::Run(beast::http::request<beast::http::string_body> upgrade) {
  // The HTTP session's timeout must not apply to a long-lived stream. The
  // suggested server settings ping idle peers and time out dead ones.
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(beast::http::field::server, "uptake");
  }));
  ws_.read_message_max(64 * 1024);

  // Subscribing before the handshake response goes out means an alert that
  // fires while the client completes its handshake is queued, not missed.
  hub_.Subscribe(shared_from_this());
  ws_.async_accept(upgrade,
                   beast::bind_front_handler(&AlertStreamSession::OnAccept, shared_from_this()));
}

void AlertStreamSession::OnAccept(beast::error_code ec) {
  if (ec) {
    End();
    spdlog::debug("[conn {}] alert stream handshake failed: {}", connection_id_, ec.message());
    return;
  }
  open_ = true;
  ws_.text(true);
  spdlog::info("[conn {}] alert stream subscriber connected", connection_id_);
  if (!queue_.empty()) DoWrite();
  DoRead();
}

// Subscribers send nothing meaningful. Reading keeps control frames (ping,
// close) flowing and detects when the peer goes away.
void AlertStreamSession::DoRead() {
  ws_.async_read(read_buffer_,
                 [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
}

void AlertStreamSession::OnRead(beast::error_code ec) {
  if (ec) {
    End();
    if (ec != websocket::error::closed) {
      spdlog::debug("[conn {}] alert stream read ended: {}", connection_id_, ec.message());
    }
    spdlog::info("[conn {}] alert stream subscriber disconnected", connection_id_);
    return;
  }
  read_buffer_.consume(read_buffer_.size());
  DoRead();
}

void AlertStreamSession::Deliver(std::shared_ptr<const std::string> message) {
  boost::asio::post(ws_.get_executor(),
                    [self = shared_from_this(), message = std::move(message)]() mutable {
                      self->Enqueue(std::move(message));
                    });
}

void AlertStreamSession::Enqueue(std::shared_ptr<const std::string> message) {
  if (ended_ || closing_) return;
  if (queue_.size() >= kMaxQueuedMessages) {
    CloseSlow();
    return;
  }
  queue_.push_back(std::move(message));
  // Before the handshake completes, OnAccept starts the writes.
  if (open_ && queue_.size() == 1) DoWrite();
}

void AlertStreamSession::DoWrite() {
  ws_.async_write(boost::asio::buffer(*queue_.front()),
                  [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
}

void AlertStreamSession::OnWrite(beast::error_code ec) {
  if (ec) {
    End();
    spdlog::debug("[conn {}] alert stream write failed: {}", connection_id_, ec.message());
    return;
  }
  queue_.pop_front();
  if (closing_) return SendClose();
  if (!queue_.empty()) DoWrite();
}

void AlertStreamSession::CloseSlow() {
  closing_ = true;
  spdlog::warn("[conn {}] closing alert stream subscriber: more than {} alerts queued",
               connection_id_, kMaxQueuedMessages);

  // Only the message being written stays, because a close frame may not be
  // sent while a write is in flight. A peer that reads nothing never lets
  // that write finish, so the timer ends the connection regardless.
  queue_.resize(1);
  close_timer_.expires_after(kCloseGrace);
  close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec) return;
    beast::get_lowest_layer(self->ws_).close();
  });
}

void AlertStreamSession::SendClose() {
  websocket::close_reason reason(websocket::close_code::policy_error,
                                 "subscriber fell behind: too many alerts queued");
  ws_.async_close(reason, [self = shared_from_this()](beast::error_code) {
    self->End();
    self->close_timer_.cancel();
  });
}

void AlertStreamSession::End() {
  open_ = false;
  ended_ = true;
  queue_.clear();
}

}  // namespace uptake
