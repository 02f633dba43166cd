#include "server/alert_stream.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <charconv>
#include <type_traits>
#include <utility>
#include <vector>

#include "proto/answers.h"
#include "server/router.h"

namespace uptake {
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

namespace {

// Changes read from storage per replay step. Small enough to stay far below
// the queue bound, large enough that a long replay takes few reads.
constexpr size_t kReplayPage = 256;

// SSE comment sent on an idle stream, so proxies keep it open and a dead
// peer is noticed.
constexpr std::chrono::seconds kSsePingInterval{15};

// How long a TLS stream closed for a shutdown waits for the client's
// close_notify before closing the socket.
constexpr std::chrono::seconds kTlsCloseTimeout{2};

std::optional<uint64_t> ParseSeq(std::string_view text) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

bool AlertStreamFilter::Matches(const AlertChange& change) const {
  if (rule && *rule != change.rule) return false;
  if (account_id && *account_id != change.account_id) return false;
  if (severity && *severity != change.severity) return false;
  if (owner && *owner != change.owner) return false;
  if (tier && *tier != change.tier) return false;
  return true;
}

bool ParseAlertStreamOptions(std::string_view query, std::string_view last_event_id,
                             AlertStreamOptions* options, std::string* error) {
  if (!PercentDecode(query, /*plus_is_space=*/true)) {
    *error = kMalformedQueryEscape;
    return false;
  }
  options->filter.rule = QueryParameter(query, "rule");
  options->filter.account_id = QueryParameter(query, "account");
  options->filter.severity = QueryParameter(query, "severity");
  options->filter.owner = QueryParameter(query, "owner");
  options->filter.tier = QueryParameter(query, "tier");
  const auto& severity = options->filter.severity;
  if (severity && *severity != "info" && *severity != "warning" && *severity != "critical") {
    *error = "severity must be info, warning or critical.";
    return false;
  }

  std::optional<std::string> cursor = QueryParameter(query, "after");
  if (!last_event_id.empty()) cursor = std::string(last_event_id);
  if (cursor) {
    options->after_seq = ParseSeq(*cursor);
    if (!options->after_seq) {
      *error = "The stream cursor (after or Last-Event-ID) must be a seq, a whole number.";
      return false;
    }
  }
  return true;
}

AlertStream::AlertStream(boost::asio::any_io_executor executor, Store& store, AlertHub& hub,
                         AlertStreamOptions options, ConnectionSlot slot, uint64_t connection_id)
    : connection_id_(connection_id),
      store_(store),
      hub_(hub),
      options_(std::move(options)),
      slot_(std::move(slot)),
      write_timer_(executor) {}

void AlertStream::Start() {
  // Subscribing first means every change is either in storage when the
  // replay reads it, or delivered live afterwards; the seq removes overlap.
  hub_.Subscribe(shared_from_this());
  replaying_ = options_.after_seq.has_value();
  if (replaying_) last_seq_ = *options_.after_seq;
  StartTransport();
}

void AlertStream::OnOpen() {
  open_ = true;
  if (shutting_down_) return CloseForShutdown();
  spdlog::info("[conn {}] alert stream subscriber connected{}", connection_id_,
               replaying_ ? " (resuming)" : "");
  if (!queue_.empty()) StartWrite();
  if (replaying_) ReplayPage();
}

void AlertStream::End() {
  open_ = false;
  ended_ = true;
  queue_.clear();
  SetQueued();
  write_timer_.cancel();
}

void AlertStream::BeginShutdown() {
  boost::asio::post(Executor(), [self = shared_from_this()] { self->ShutdownOnStrand(); });
}

void AlertStream::ShutdownOnStrand() {
  if (shutting_down_ || ended_) return;
  shutting_down_ = true;
  replaying_ = false;
  // The frame being written must stay alive until its write completes;
  // OnFrameWritten then closes.
  if (writing_) {
    queue_.resize(1);
    SetQueued();
    return;
  }
  queue_.clear();
  SetQueued();
  // Before the handshake completes, OnOpen closes.
  if (open_) CloseForShutdown();
}

void AlertStream::Deliver(AlertChangePtr change) {
  boost::asio::post(Executor(), [self = shared_from_this(), change = std::move(change)] {
    self->OnLiveChange(change);
  });
}

void AlertStream::OnLiveChange(const AlertChangePtr& change) {
  if (ended_) return;
  newest_live_seq_ = std::max(newest_live_seq_, change->seq);
  // The change is in storage already; the replay under way will read it.
  if (replaying_ || change->seq <= last_seq_) return;

  if (queue_.size() >= kCatchUpThreshold) {
    replaying_ = true;
    return;
  }
  last_seq_ = change->seq;
  if (options_.filter.Matches(*change)) Enqueue(EncodeChange(*change));
}

void AlertStream::Enqueue(std::string frame) {
  if (ended_ || shutting_down_) return;
  queue_.push_back(std::move(frame));
  SetQueued();
  if (open_ && !writing_) StartWrite();
}

void AlertStream::StartWrite() {
  writing_ = true;
  write_timer_.expires_after(options_.write_timeout);
  write_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->OnWriteStalled();
  });
  WriteFrame(queue_.front());
}

void AlertStream::OnWriteStalled() {
  if (ended_ || !writing_) return;
  spdlog::warn(
      "[conn {}] closing alert stream subscriber: a write made no progress for {} ms, "
      "so it stopped reading; it can resume from seq {}",
      connection_id_, options_.write_timeout.count(), last_seq_);
  End();
  Abort();
}

void AlertStream::OnFrameWritten() {
  writing_ = false;
  write_timer_.cancel();
  if (!queue_.empty()) queue_.pop_front();
  SetQueued();
  if (ended_) return;
  if (shutting_down_) return CloseForShutdown();
  if (!queue_.empty()) return StartWrite();
  if (replaying_) ReplayPage();
}

void AlertStream::ReplayPage() {
  uint64_t oldest = 0;
  uint64_t newest = 0;
  StorageStatus status = store_.AlertChangeBounds(&oldest, &newest);
  if (!status.ok()) {
    spdlog::error("[conn {}] reading the alert change log failed: {}", connection_id_,
                  status.message());
  } else if (oldest > 0 && last_seq_ + 1 < oldest) {
    return SendResync(newest, "The cursor is older than the retained alert changes.");
  } else if (last_seq_ > newest) {
    // Replaying from here would skip every change up to the cursor, so the
    // subscriber would miss them without knowing.
    return SendResync(newest, "The cursor is newer than the newest alert change.");
  }

  // Pages are read until one leaves something queued; the next is read once
  // that is written, keeping the queue short however long the replay.
  while (!ended_) {
    std::vector<std::pair<uint64_t, std::string>> page;
    status = store_.ReadAlertChanges(last_seq_, kReplayPage, &page);
    if (!status.ok()) {
      spdlog::error("[conn {}] replaying alert changes failed: {}", connection_id_,
                    status.message());
      replaying_ = false;
      return;
    }
    for (auto& [seq, json] : page) {
      last_seq_ = seq;
      std::optional<Alert> alert = DecodeAlert(json);
      if (!alert) continue;
      const AlertChange change = MakeAlertChange(seq, std::move(json), *alert);
      if (options_.filter.Matches(change)) Enqueue(EncodeChange(change));
    }
    // Caught up once the log has nothing newer than what was published.
    if (page.size() < kReplayPage && last_seq_ >= newest_live_seq_) {
      replaying_ = false;
      return;
    }
    if (!queue_.empty()) return;
  }
}

void AlertStream::SendResync(uint64_t newest_seq, std::string_view reason) {
  std::string open_alerts = "[";
  StorageStatus status = store_.ForEachAlert([&](uint64_t, std::string_view json) {
    std::optional<Alert> alert = DecodeAlert(json);
    if (!alert || alert->state != AlertState::kFiring) return;
    if (!options_.filter.Matches(MakeAlertChange(newest_seq, std::string(json), *alert))) return;
    if (open_alerts.size() > 1) open_alerts += ",";
    open_alerts.append(json);
  });
  open_alerts += "]";
  if (!status.ok()) {
    spdlog::error("[conn {}] listing open alerts for a resync failed: {}", connection_id_,
                  status.message());
  }
  last_seq_ = newest_seq;
  const std::string seq = std::to_string(newest_seq);
  std::string body = R"({"type":"resync","seq":)" + seq + R"(,"reason":")" + std::string(reason) +
                     " These are the open alerts; the stream continues after seq " + seq +
                     R"(.","open_alerts":)" + open_alerts + "}";
  Enqueue(EncodeResync(newest_seq, std::move(body)));
  // Changes published after the bounds were read are still in the log.
  if (newest_live_seq_ <= last_seq_) replaying_ = false;
}

template <class Stream>
WebSocketAlertStream<Stream>::WebSocketAlertStream(Stream&& stream,
                                                   http::request<http::string_body> upgrade,
                                                   Store& store, AlertHub& hub,
                                                   AlertStreamOptions options, ConnectionSlot slot,
                                                   uint64_t connection_id)
    : AlertStream(stream.get_executor(), store, hub, std::move(options), std::move(slot),
                  connection_id),
      ws_(std::move(stream)),
      upgrade_(std::move(upgrade)) {}

template <class Stream>
void WebSocketAlertStream<Stream>::StartTransport() {
  // The HTTP session's timeout must not apply to a long-lived stream. The
  // suggested server settings ping idle peers and time out dead ones.
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, "uptake"); }));
  ws_.read_message_max(64 * 1024);
  auto self = std::static_pointer_cast<WebSocketAlertStream<Stream>>(shared_from_this());
  ws_.async_accept(upgrade_, [self](beast::error_code ec) {
    if (ec) {
      self->End();
      spdlog::debug("[conn {}] alert stream handshake failed: {}", self->connection_id_,
                    ec.message());
      return;
    }
    self->ws_.text(true);
    self->DoRead();
    self->OnOpen();
  });
}

// Subscribers send nothing meaningful, and text messages are discarded.
// Reading keeps control frames (ping, close) flowing and detects when the
// peer goes away. Beast closes a message over read_message_max with 1009,
// invalid UTF-8 with 1007 and an unmasked frame with 1002.
template <class Stream>
void WebSocketAlertStream<Stream>::DoRead() {
  auto self = std::static_pointer_cast<WebSocketAlertStream<Stream>>(shared_from_this());
  ws_.async_read(read_buffer_, [self](beast::error_code ec, size_t) {
    if (ec) {
      self->End();
      spdlog::info("[conn {}] alert stream subscriber disconnected", self->connection_id_);
      return;
    }
    self->read_buffer_.consume(self->read_buffer_.size());
    if (self->ws_.got_binary()) {
      // The stream is a text protocol; 1003 tells the client so.
      self->End();
      spdlog::info("[conn {}] closing alert stream subscriber: it sent a binary message",
                   self->connection_id_);
      self->ws_.async_close(
          websocket::close_reason(websocket::close_code::unknown_data,
                                  "binary messages are not accepted; this stream is JSON text"),
          [self](beast::error_code) {});
      return;
    }
    self->DoRead();
  });
}

template <class Stream>
std::string WebSocketAlertStream<Stream>::EncodeChange(const AlertChange& change) {
  return change.json;
}

template <class Stream>
std::string WebSocketAlertStream<Stream>::EncodeResync(uint64_t, std::string body) {
  return body;
}

template <class Stream>
void WebSocketAlertStream<Stream>::WriteFrame(const std::string& frame) {
  auto self = std::static_pointer_cast<WebSocketAlertStream<Stream>>(shared_from_this());
  ws_.async_write(boost::asio::buffer(frame), [self](beast::error_code ec, size_t) {
    if (ec) {
      spdlog::debug("[conn {}] alert stream write failed: {}", self->connection_id_, ec.message());
      return self->End();
    }
    self->OnFrameWritten();
  });
}

template <class Stream>
boost::asio::any_io_executor WebSocketAlertStream<Stream>::Executor() {
  return ws_.get_executor();
}

template <class Stream>
boost::asio::any_io_executor SseAlertStream<Stream>::Executor() {
  return stream_.get_executor();
}

template <class Stream>
void WebSocketAlertStream<Stream>::Abort() {
  beast::get_lowest_layer(ws_).close();
}

template <class Stream>
void WebSocketAlertStream<Stream>::CloseForShutdown() {
  End();
  // The pending read sees the peer's close frame and ends the session;
  // over TLS, Beast's teardown then sends close_notify.
  auto self = std::static_pointer_cast<WebSocketAlertStream<Stream>>(shared_from_this());
  ws_.async_close(
      websocket::close_reason(websocket::close_code::going_away, "server shutting down"),
      [self](beast::error_code ec) {
        if (ec) {
          spdlog::debug("[conn {}] alert stream close failed: {}", self->connection_id_,
                        ec.message());
        }
      });
}

template <class Stream>
SseAlertStream<Stream>::SseAlertStream(Stream&& stream, unsigned http_version, Store& store,
                                       AlertHub& hub, AlertStreamOptions options,
                                       ConnectionSlot slot, uint64_t connection_id)
    : AlertStream(stream.get_executor(), store, hub, std::move(options), std::move(slot),
                  connection_id),
      stream_(std::move(stream)),
      http_version_(http_version),
      ping_timer_(stream_.get_executor()) {}

template <class Stream>
void SseAlertStream<Stream>::StartTransport() {
  beast::get_lowest_layer(stream_).expires_never();
  // No Content-Length and no chunking: the event stream ends when the
  // connection closes, which HTTP/1.1 allows for a response.
  std::string head = http_version_ == 10 ? "HTTP/1.0" : "HTTP/1.1";
  head +=
      " 200 OK\r\nServer: uptake\r\nContent-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\nConnection: close\r\n\r\n";
  Enqueue(std::move(head));
  DoRead();
  SchedulePing();
  OnOpen();
}

template <class Stream>
void SseAlertStream<Stream>::DoRead() {
  // The client sends nothing after its request; a read ends when it leaves.
  auto self = std::static_pointer_cast<SseAlertStream<Stream>>(shared_from_this());
  stream_.async_read_some(
      boost::asio::buffer(&read_byte_, 1), [self](beast::error_code ec, size_t) {
        if (!ec) return self->DoRead();
        if (self->closing_) return self->SendCloseNotify();
        self->End();
        self->ping_timer_.cancel();
        spdlog::info("[conn {}] alert stream subscriber disconnected", self->connection_id_);
      });
}

template <class Stream>
void SseAlertStream<Stream>::SchedulePing() {
  auto self = std::static_pointer_cast<SseAlertStream<Stream>>(shared_from_this());
  ping_timer_.expires_after(kSsePingInterval);
  ping_timer_.async_wait([self](beast::error_code ec) {
    if (ec) return;
    self->Enqueue(": ping\n\n");
    self->SchedulePing();
  });
}

template <class Stream>
std::string SseAlertStream<Stream>::EncodeChange(const AlertChange& change) {
  return "id: " + std::to_string(change.seq) + "\nevent: alert\ndata: " + change.json + "\n\n";
}

// The id makes a browser's EventSource resume after the resync.
template <class Stream>
std::string SseAlertStream<Stream>::EncodeResync(uint64_t seq, std::string body) {
  return "id: " + std::to_string(seq) + "\nevent: resync\ndata: " + body + "\n\n";
}

template <class Stream>
void SseAlertStream<Stream>::WriteFrame(const std::string& frame) {
  auto self = std::static_pointer_cast<SseAlertStream<Stream>>(shared_from_this());
  boost::asio::async_write(stream_, boost::asio::buffer(frame),
                           [self](beast::error_code ec, size_t) {
                             if (ec) {
                               self->End();
                               self->ping_timer_.cancel();
                               return;
                             }
                             self->OnFrameWritten();
                           });
}

template <class Stream>
void SseAlertStream<Stream>::CloseForShutdown() {
  End();
  // Ending the response is the end of the event stream; a browser's
  // EventSource reconnects with Last-Event-ID.
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    // Over TLS the response ends with close_notify, so the client can tell
    // it from a cut connection. The pending one-byte read must end first,
    // since the TLS shutdown reads too; its handler starts the shutdown.
    ping_timer_.cancel();
    closing_ = true;
    beast::get_lowest_layer(stream_).cancel();
  } else {
    Abort();
  }
}

template <class Stream>
void SseAlertStream<Stream>::SendCloseNotify() {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    auto self = std::static_pointer_cast<SseAlertStream<Stream>>(shared_from_this());
    beast::get_lowest_layer(stream_).expires_after(kTlsCloseTimeout);
    stream_.async_shutdown(
        [self](beast::error_code) { beast::get_lowest_layer(self->stream_).close(); });
  }
}

template <class Stream>
void SseAlertStream<Stream>::Abort() {
  ping_timer_.cancel();
  beast::error_code ignored;
  auto& tcp = beast::get_lowest_layer(stream_);
  tcp.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  tcp.close();
}

template class WebSocketAlertStream<PlainStream>;
template class WebSocketAlertStream<TlsStream>;
template class SseAlertStream<PlainStream>;
template class SseAlertStream<TlsStream>;

}  // namespace uptake
