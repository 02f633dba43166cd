// GET /v1/alerts/stream: a WebSocket that pushes each alert change as it
// happens.

#ifndef UPTAKE_SERVER_ALERT_STREAM_SESSION_H_
#define UPTAKE_SERVER_ALERT_STREAM_SESSION_H_

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "server/alert_hub.h"

namespace uptake {

// One subscriber. Everything except Deliver runs on the stream's strand.
// Messages wait in a bounded queue. A subscriber that falls further behind
// is closed with a policy-violation code and a reason, so it never slows
// ingest or the other subscribers.
class AlertStreamSession : public AlertSubscriber,
                           public std::enable_shared_from_this<AlertStreamSession> {
 public:
  // Maximum alert messages queued for one subscriber.
  static constexpr size_t kMaxQueuedMessages = 4096;

  // How long a subscriber closed for falling behind may take to accept the
  // close frame before the connection is dropped.
  static constexpr std::chrono::seconds kCloseGrace{5};

  AlertStreamSession(boost::beast::tcp_stream&& stream, AlertHub& hub, uint64_t connection_id);

  // Completes the WebSocket handshake for `upgrade` and starts streaming.
  void Run(boost::beast::http::request<boost::beast::http::string_body> upgrade);

  void Deliver(std::shared_ptr<const std::string> message) override;

 private:
  void OnAccept(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec);
  void Enqueue(std::shared_ptr<const std::string> message);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec);
  void CloseSlow();
  void SendClose();
  // Marks the connection over and drops what is queued.
  void End();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer read_buffer_;
  boost::asio::steady_timer close_timer_;
  AlertHub& hub_;
  const uint64_t connection_id_;

  // Owned by the strand.
  std::deque<std::shared_ptr<const std::string>> queue_;
  bool open_ = false;     // the handshake completed and the peer is connected
  bool ended_ = false;    // the connection is over; nothing more is queued
  bool closing_ = false;  // closing because the subscriber fell behind
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_ALERT_STREAM_SESSION_H_
