// GET /v1/ingest: a WebSocket over which a product streams Segment events
// and batches, each acknowledged after its commit.

#ifndef UPTAKE_SERVER_INGEST_STREAM_SESSION_H_
#define UPTAKE_SERVER_INGEST_STREAM_SESSION_H_

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <string>

#include "server/connection_registry.h"
#include "server/connection_slot.h"
#include "server/ingest_service.h"
#include "server/transport.h"

namespace uptake {

// One ingest connection, authenticated once by the upgrade request. All
// handlers run on the stream's strand. Messages are handled in arrival
// order, and each gets one response tagged with its requestId.
//
// Backpressure: responses wait in a queue until the client reads them. With
// `max_in_flight` responses queued, further messages get 429
// too_many_in_flight and not stored; with twice that many queued the server
// stops reading until the client catches up.
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
  std::string HandleMessage(std::string message);
  void Enqueue(std::string answer);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec);
  void CloseForShutdown();

  boost::beast::websocket::stream<Stream> ws_;
  boost::beast::flat_buffer buffer_;
  IngestService& ingest_;
  const std::string write_key_;
  const size_t max_in_flight_;
  const ConnectionSlot slot_;
  const uint64_t connection_id_;

  // Owned by the strand.
  std::deque<std::string> answers_;
  bool reading_ = false;
  bool closed_ = false;
  bool accepted_ = false;
  bool shutting_down_ = false;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_INGEST_STREAM_SESSION_H_
