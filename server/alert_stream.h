// GET /v1/alerts/stream: alert changes pushed as they happen, over a
// WebSocket or as Server-Sent Events, resumable from a cursor.

#ifndef UPTAKE_SERVER_ALERT_STREAM_H_
#define UPTAKE_SERVER_ALERT_STREAM_H_

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "server/alert_hub.h"
#include "server/connection_registry.h"
#include "server/connection_slot.h"
#include "server/transport.h"
#include "storage/store.h"

namespace uptake {

// The changes a subscriber wants. An unset field matches everything.
struct AlertStreamFilter {
  std::optional<std::string> rule;
  std::optional<std::string> account_id;
  std::optional<std::string> severity;
  std::optional<std::string> owner;  // the account's CSM, as in the alert's owner
  std::optional<std::string> tier;   // the routing tier, as in the alert's tier

  bool Matches(const AlertChange& change) const;
};

struct AlertStreamOptions {
  AlertStreamFilter filter;
  // Replay the stored changes after this seq before going live. Unset:
  // live changes only.
  std::optional<uint64_t> after_seq;

  // A subscriber whose current write has not completed for this long has
  // stopped reading and is closed with a reason.
  std::chrono::milliseconds write_timeout{30000};
};

// Parses the query of GET /v1/alerts/stream (rule, account, severity,
// owner, tier, after) and, for SSE, the Last-Event-ID header, which wins over `after`.
// Returns false and sets `error` on an invalid value.
bool ParseAlertStreamOptions(std::string_view query, std::string_view last_event_id,
                             AlertStreamOptions* options, std::string* error);

// One subscriber: everything except Deliver runs on the connection's
// strand. It subscribes to the hub before anything else, then replays the
// stored changes after its cursor page by page as its queue drains, and
// goes live once it has caught up. Every change is stored before it is
// published, so a live change that arrives during the replay needs no
// buffering: the replay reads on until it has passed that change's seq.
// Seqs already sent are skipped, so there is no gap and no duplicate. A
// cursor older than the retained log, or newer than the newest stored change
// (the data folder was replaced, or the cursor came from another server),
// gets one resync message instead: the open alerts and the seq the stream
// continues from.
//
// A live subscriber whose queue passes kCatchUpThreshold drops back to
// reading the change log, so a burst of changes costs bounded memory and
// never closes a subscriber that keeps reading. One whose write stalls for
// the write timeout is closed with a reason; it resumes from its cursor.
//
// At shutdown the frame being written completes, the rest of the queue is
// dropped (the subscriber resumes from its cursor), and the transport
// closes: a WebSocket with close code 1001, an SSE response by ending it.
class AlertStream : public AlertSubscriber,
                    public DrainableConnection,
                    public std::enable_shared_from_this<AlertStream> {
 public:
  // Queued messages past which a live subscriber catches up from the log.
  static constexpr size_t kCatchUpThreshold = 1024;

  void Deliver(AlertChangePtr change) override;
  std::optional<size_t> QueuedMessages() const override {
    return queued_.load(std::memory_order_relaxed);
  }
  void BeginShutdown() override;

 protected:
  AlertStream(boost::asio::any_io_executor executor, Store& store, AlertHub& hub,
              AlertStreamOptions options, ConnectionSlot slot, uint64_t connection_id);

  // Subscribes, then starts the transport; OnOpen is called once it is up.
  void Start();
  void OnOpen();
  // The transport lost the peer; stop queueing.
  void End();
  // A queued frame was written; send the next one.
  void OnFrameWritten();

  // The connection's strand.
  virtual boost::asio::any_io_executor Executor() = 0;
  virtual void StartTransport() = 0;
  virtual std::string EncodeChange(const AlertChange& change) = 0;
  // Wraps a resync message, `body` (a JSON object whose "seq" is `seq`).
  virtual std::string EncodeResync(uint64_t seq, std::string body) = 0;
  // Writes `frame`, which stays valid until OnFrameWritten, then calls
  // OnFrameWritten (or End on failure).
  virtual void WriteFrame(const std::string& frame) = 0;
  // Ends the connection at once. A stalled write rules out a close frame,
  // so the reason goes to the log.
  virtual void Abort() = 0;
  // Closes the transport for a shutdown; no write is in progress.
  virtual void CloseForShutdown() = 0;

  // Queues a frame and starts writing if idle.
  void Enqueue(std::string frame);

  const uint64_t connection_id_;

 private:
  void OnLiveChange(const AlertChangePtr& change);
  void ReplayPage();
  void SendResync(uint64_t newest_seq, std::string_view reason);
  void StartWrite();
  void OnWriteStalled();
  void ShutdownOnStrand();
  void SetQueued() { queued_.store(queue_.size(), std::memory_order_relaxed); }

  Store& store_;
  AlertHub& hub_;
  const AlertStreamOptions options_;
  const ConnectionSlot slot_;

  // Owned by the strand.
  std::deque<std::string> queue_;
  bool open_ = false;
  bool ended_ = false;
  bool writing_ = false;
  bool replaying_ = false;
  bool shutting_down_ = false;
  uint64_t last_seq_ = 0;         // the newest seq sent or skipped by the filter
  uint64_t newest_live_seq_ = 0;  // the newest seq published so far, seen live
  boost::asio::steady_timer write_timer_;
  // queue_.size(), readable from any thread for the metrics endpoint.
  std::atomic<size_t> queued_{0};
};

// The WebSocket form of the stream, over PlainStream or TlsStream.
template <class Stream>
class WebSocketAlertStream : public AlertStream {
 public:
  WebSocketAlertStream(Stream&& stream,
                       boost::beast::http::request<boost::beast::http::string_body> upgrade,
                       Store& store, AlertHub& hub, AlertStreamOptions options, ConnectionSlot slot,
                       uint64_t connection_id);
  void Run() { Start(); }

 private:
  boost::asio::any_io_executor Executor() override;
  void StartTransport() override;
  std::string EncodeChange(const AlertChange& change) override;
  std::string EncodeResync(uint64_t seq, std::string body) override;
  void WriteFrame(const std::string& frame) override;
  void Abort() override;
  void CloseForShutdown() override;
  void DoRead();

  boost::beast::websocket::stream<Stream> ws_;
  boost::beast::http::request<boost::beast::http::string_body> upgrade_;
  boost::beast::flat_buffer read_buffer_;
};

// The Server-Sent Events form: one long HTTP response, each change an
// event whose id is its seq, so a browser's EventSource resumes with
// Last-Event-ID on its own. Over PlainStream or TlsStream.
template <class Stream>
class SseAlertStream : public AlertStream {
 public:
  SseAlertStream(Stream&& stream, unsigned http_version, Store& store, AlertHub& hub,
                 AlertStreamOptions options, ConnectionSlot slot, uint64_t connection_id);
  void Run() { Start(); }

 private:
  boost::asio::any_io_executor Executor() override;
  void StartTransport() override;
  std::string EncodeChange(const AlertChange& change) override;
  std::string EncodeResync(uint64_t seq, std::string body) override;
  void WriteFrame(const std::string& frame) override;
  void Abort() override;
  void CloseForShutdown() override;
  // Ends a TLS stream with close_notify, then closes the socket.
  void SendCloseNotify();
  void SchedulePing();
  void DoRead();

  Stream stream_;
  const unsigned http_version_;
  boost::asio::steady_timer ping_timer_;
  char read_byte_ = 0;
  bool closing_ = false;  // a shutdown cancelled the read to send close_notify
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_ALERT_STREAM_H_
