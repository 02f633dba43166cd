#include "server/ingest_stream_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <utility>

#include "proto/segment.h"
#include "proto/stream_envelope.h"
#include "server/clock.h"

namespace uptake {
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

template <class Stream>
IngestStreamSession<Stream>::IngestStreamSession(Stream&& stream, IngestService& ingest,
                                                 std::string write_key, size_t max_in_flight,
                                                 ConnectionSlot slot, uint64_t connection_id)
    : ws_(std::move(stream)),
      executor_(ws_.get_executor()),
      ingest_(ingest),
      write_key_(std::move(write_key)),
      max_in_flight_(max_in_flight),
      slot_(std::move(slot)),
      connection_id_(connection_id) {}

template <class Stream>
void IngestStreamSession<Stream>::Run(beast::http::request<beast::http::string_body> upgrade) {
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(beast::http::field::server, "uptake");
  }));
  // Beast (1.81) enforces the WebSocket protocol rules on client frames:
  // a message larger than a Segment request is closed with 1009, a text
  // message that is not valid UTF-8 with 1007, and an unmasked frame with
  // 1002. Pings are answered between the fragments of a message.
  ws_.read_message_max(ingest_.limits().max_request_bytes);
  ws_.async_accept(upgrade, beast::bind_front_handler(&IngestStreamSession<Stream>::OnAccept,
                                                      this->shared_from_this()));
}

template <class Stream>
void IngestStreamSession<Stream>::OnAccept(beast::error_code ec) {
  if (ec) {
    spdlog::debug("[conn {}] ingest stream handshake failed: {}", connection_id_, ec.message());
    return;
  }
  ws_.text(true);
  accepted_ = true;
  spdlog::info("[conn {}] ingest stream connected", connection_id_);
  if (shutting_down_) return CloseForShutdown();
  DoRead();
}

template <class Stream>
void IngestStreamSession<Stream>::BeginShutdown() {
  boost::asio::post(executor_, [self = this->shared_from_this()] {
    if (self->shutting_down_) return;
    self->shutting_down_ = true;
    // Before the handshake, OnAccept closes; with messages in flight,
    // OnWrite closes once their responses are written.
    if (self->accepted_ && !self->closed_ && self->answers_.empty()) self->CloseForShutdown();
  });
}

template <class Stream>
void IngestStreamSession<Stream>::CloseForShutdown() {
  closed_ = true;
  ws_.async_close(
      websocket::close_reason(websocket::close_code::going_away, "server shutting down"),
      [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) {
          spdlog::debug("[conn {}] ingest stream close failed: {}", self->connection_id_,
                        ec.message());
        }
      });
}

template <class Stream>
void IngestStreamSession<Stream>::DoRead() {
  reading_ = true;
  ws_.async_read(buffer_, beast::bind_front_handler(&IngestStreamSession<Stream>::OnRead,
                                                    this->shared_from_this()));
}

template <class Stream>
void IngestStreamSession<Stream>::OnRead(beast::error_code ec, size_t) {
  reading_ = false;
  if (ec) {
    closed_ = true;
    if (ec != websocket::error::closed) {
      spdlog::debug("[conn {}] ingest stream read ended: {}", connection_id_, ec.message());
    }
    spdlog::info("[conn {}] ingest stream disconnected", connection_id_);
    return;
  }
  if (shutting_down_) {
    // The close frame is sent or about to be; this message is not stored.
    buffer_.consume(buffer_.size());
    return;
  }

  if (ws_.got_binary()) {
    closed_ = true;
    ws_.async_close(websocket::close_reason(websocket::close_code::unknown_data,
                                            "binary frames are not accepted; send JSON text"),
                    [self = this->shared_from_this()](beast::error_code) {});
    return;
  }

  std::string message = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  HandleMessage(std::move(message));

  // Past twice the bound the client is not reading its responses, so stop
  // reading too, so TCP flow control holds it back.
  if (answers_.size() < 2 * max_in_flight_) DoRead();
  read_since_release_ = true;
  if (!held_.empty()) ScheduleRelease();
}

template <class Stream>
void IngestStreamSession<Stream>::HandleMessage(std::string message) {
  StreamEnvelope envelope = ReadStreamEnvelope(message);
  const bool over_bound = answers_.size() >= max_in_flight_;
  const uint64_t sequence = front_sequence_ + answers_.size();
  answers_.emplace_back();
  if (over_bound) {
    return SetAnswer(
        sequence,
        EncodeStreamError(envelope.request_id,
                          {429, "too_many_in_flight",
                           std::to_string(max_in_flight_) +
                               " messages are in flight on this connection (not yet answered, "
                               "or their answers not yet sent); this message was not stored. "
                               "Read the answers, then resend it."}));
  }

  ParsedRequest parsed =
      ParseSegment(envelope.call, message, ServerClock::WallMs(), ingest_.limits());
  if (parsed.error) {
    return SetAnswer(sequence, EncodeStreamError(envelope.request_id, *parsed.error));
  }
  if (auto error = SingleEventError(parsed)) {
    return SetAnswer(sequence, EncodeStreamError(envelope.request_id, *error));
  }

  int64_t retry_after = 0;
  if (auto limited = ingest_.CheckRateLimit(write_key_, parsed, &retry_after)) {
    return SetAnswer(sequence, EncodeStreamError(envelope.request_id, *limited));
  }

  held_.push_back(HeldMessage{sequence, std::move(envelope.request_id), std::move(parsed)});
}

template <class Stream>
void IngestStreamSession<Stream>::ScheduleRelease() {
  if (release_posted_) return;
  release_posted_ = true;
  read_since_release_ = false;
  boost::asio::post(executor_, [self = this->shared_from_this()] { self->OnReleaseDue(); });
}

template <class Stream>
void IngestStreamSession<Stream>::OnReleaseDue() {
  release_posted_ = false;
  // Beast (1.81) posts the completion of a read whose frame is already
  // buffered, so it runs before a handler posted after it. A read completed
  // since the last post means the client may have sent more at once, and
  // waiting one more turn lets those messages share a commit. The wait ends
  // after a turn without a new message, and held_ never exceeds the
  // in-flight bound.
  if (reading_ && read_since_release_) return ScheduleRelease();

  std::vector<HeldMessage> released;
  released.swap(held_);
  for (HeldMessage& message : released) {
    ingest_.CommitParsedAsync(
        write_key_, std::move(message.parsed), links_, message.sequence,
        [self = this->shared_from_this(), sequence = message.sequence,
         request_id = std::move(message.request_id)](CommitResult result) {
          std::string answer =
              result.error
                  ? EncodeStreamError(request_id, *result.error)
                  : EncodeStreamAccepted(request_id, result.outcome.accepted,
                                         result.outcome.duplicates, result.outcome.rejected);
          // The commit may have run on another thread, shared with other
          // connections' requests.
          boost::asio::dispatch(self->executor_,
                                [self, sequence, answer = std::move(answer)]() mutable {
                                  // The store now contains this
                                  // message's links.
                                  self->links_.Forget(sequence);
                                  self->SetAnswer(sequence, std::move(answer));
                                });
        });
  }
}

template <class Stream>
void IngestStreamSession<Stream>::SetAnswer(uint64_t sequence, std::string answer) {
  PendingAnswer& pending = answers_[sequence - front_sequence_];
  pending.ready = true;
  pending.text = std::move(answer);
  // After the connection closed, the response has no reader, and a message
  // stored by then is a duplicate when the client resends it.
  if (!writing_ && !closed_ && answers_.front().ready) DoWrite();
}

template <class Stream>
void IngestStreamSession<Stream>::DoWrite() {
  writing_ = true;
  ws_.async_write(
      boost::asio::buffer(answers_.front().text),
      [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
}

template <class Stream>
void IngestStreamSession<Stream>::OnWrite(beast::error_code ec) {
  writing_ = false;
  if (ec) {
    closed_ = true;
    spdlog::debug("[conn {}] ingest stream write failed: {}", connection_id_, ec.message());
    return;
  }
  answers_.pop_front();
  ++front_sequence_;
  if (!answers_.empty()) {
    // A response still waiting for its commit is written by SetAnswer.
    if (answers_.front().ready) DoWrite();
  } else if (shutting_down_ && !closed_) {
    return CloseForShutdown();
  }
  if (shutting_down_) return;
  if (!reading_ && !closed_ && answers_.size() < max_in_flight_) DoRead();
}

template class IngestStreamSession<PlainStream>;
template class IngestStreamSession<TlsStream>;

}  // namespace uptake
