// GET /v1/ingest: a WebSocket over which a product streams Segment events
// and batches, each acknowledged after its commit.

#ifndef UPTAKE_SERVER_INGEST_STREAM_SESSION_H_
#define UPTAKE_SERVER_INGEST_STREAM_SESSION_H_

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "server/connection_registry.h"
#include "server/connection_slot.h"
#include "server/ingest_service.h"
#include "server/transport.h"
#include "storage/pending_links.h"

namespace uptake {

// One ingest connection, authenticated once by the upgrade request. All
// handlers run on the stream's strand. Each message gets one response
// tagged with its requestId, in arrival order. A message that passes its
// checks waits until the messages that arrived with it are read too. Then
// they join the ingest service's commit queue together and share a store
// commit. A response waits for its message's commit, and so do the
// responses of the messages after it. A message's events are attributed
// when it joins the queue. They see the group calls of the messages before
// it, even when those are not committed yet.
//
// Backpressure: a message counts as in flight from its arrival until its
// response is written. With `max_in_flight` in flight, further messages get
// 429 too_many_in_flight and are not stored. With twice that many the
// server stops reading until the client catches up.
// Runs over PlainStream or TlsStream.
//
// At shutdown the queued responses are written, then the server sends a
// close frame with 1001 going away (and, over TLS, close_notify after the
// closing handshake). A message read after that point is neither stored nor
// answered, so the client resends it elsewhere.
template <class Stream>
class IngestStreamSession : public DrainableConnection,
                            public std::enable_shared_from_this<IngestStreamSession<Stream>> {
 public:
  IngestStreamSession(Stream&& stream, IngestService& ingest, std::string write_key,
                      size_t max_in_flight, ConnectionSlot slot, uint64_t connection_id);

  // Completes the WebSocket handshake for `upgrade` and starts reading.
  void Run(boost::beast::http::request<boost::beast::http::string_body> upgrade);

  void BeginShutdown() override;

 private:
  void OnAccept(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  // Checks `message`, then either sets its error response at once or keeps
  // it back for the commit queue.
  void HandleMessage(std::string message);
  // Posts OnReleaseDue unless it is posted already.
  void ScheduleRelease();
  // Hands the held messages to the commit queue once no more are read at
  // once.
  void OnReleaseDue();
  // Sets the response of message `sequence` and writes what is ready.
  void SetAnswer(uint64_t sequence, std::string answer);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec);
  void CloseForShutdown();

  boost::beast::websocket::stream<Stream> ws_;
  // The connection's strand, saved so that a commit's completion on another
  // thread need not touch ws_.
  const boost::asio::any_io_executor executor_;
  boost::beast::flat_buffer buffer_;
  IngestService& ingest_;
  const std::string write_key_;
  const size_t max_in_flight_;
  const ConnectionSlot slot_;
  const uint64_t connection_id_;

  // A message in flight: its response, once known.
  struct PendingAnswer {
    bool ready = false;
    std::string text;
  };

  // A message that passed its checks, not yet in the commit queue.
  struct HeldMessage {
    uint64_t sequence = 0;
    std::string request_id;
    ParsedRequest parsed;
  };

  // Owned by the strand.
  std::vector<HeldMessage> held_;  // in arrival order
  bool release_posted_ = false;
  bool read_since_release_ = false;    // a message was read since OnReleaseDue was posted
  std::deque<PendingAnswer> answers_;  // in arrival order
  // The group and alias links of messages handed to the commit queue whose
  // commit has not finished, tagged with their sequence numbers.
  PendingLinks links_;
  uint64_t front_sequence_ = 0;  // the sequence number of answers_.front()
  bool reading_ = false;
  bool writing_ = false;
  bool closed_ = false;
  bool accepted_ = false;
  bool shutting_down_ = false;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_INGEST_STREAM_SESSION_H_
