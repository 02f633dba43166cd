// The TCP listener and the HTTP/1.1 sessions it accepts.

#ifndef UPTAKE_SERVER_HTTP_SERVER_H_
#define UPTAKE_SERVER_HTTP_SERVER_H_

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "server/access_control.h"
#include "server/alert_hub.h"
#include "server/connection_registry.h"
#include "server/connection_slot.h"
#include "server/ingest_service.h"
#include "server/log_rate_limiter.h"
#include "server/router.h"
#include "server/server_metrics.h"

namespace uptake {

// Per-connection bounds; TransportLimits in config/config.h documents each.
struct HttpLimits {
  // Largest raw (possibly compressed) request body, in bytes.
  size_t max_body_bytes = 516 * 1024;
  // Largest request head, and largest trailer section, in bytes.
  uint32_t max_header_bytes = 16 * 1024;
  uint32_t max_header_fields = 100;
  // Waiting for the first byte of a request, and for the client to read a
  // response.
  std::chrono::seconds idle_timeout{60};
  // From the first byte of a request to the end of its head.
  std::chrono::seconds header_read_timeout{10};
  // From the end of the head to the end of the body.
  std::chrono::seconds body_read_timeout{60};
  // Open connections, streams included; more get 503.
  size_t max_connections = 512;
};

// The long-lived services every connection uses.
struct HttpServices {
  Router& router;
  const AccessPolicy& access;
  AlertHub& hub;
  IngestService& ingest;
  Store& store;
  size_t max_in_flight;                           // WebSocket ingest responses queued before 429s
  std::chrono::milliseconds alert_write_timeout;  // see AlertStreamOptions::write_timeout
  ServerMetrics& metrics;
  // Limits the info lines logged for 4xx responses, per peer, route and
  // status.
  LogRateLimiter& client_errors;
};

// Accepts connections and runs one session per connection on its own strand.
// A connection past `max_connections` gets 503 and is closed.
class HttpServer {
 public:
  // `tls`, when not null, must outlive the server; every connection then
  // speaks TLS. Null serves plain HTTP.
  HttpServer(boost::asio::io_context& io, HttpServices services, HttpLimits limits,
             boost::asio::ssl::context* tls);

  // Binds and listens. Returns false and sets `error` when the address
  // cannot be used.
  bool Listen(const std::string& host, uint16_t port, std::string* error);

  // The bound address, with the real port when 0 was requested.
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Starts accepting; returns at once.
  void Start();

  // Stops accepting new connections.
  void Stop();

  // Stops accepting and asks every open connection to finish what it is
  // doing and close; see DrainableConnection. Returns at once.
  void BeginShutdown();

  // Returns the number of connections still open.
  size_t open_connections() { return connections_.LiveCount(); }

 private:
  void DoAccept();
  void OnAccept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);
  // Runs a session over plain TCP or TLS, or one that only sends 503 when
  // `overloaded`.
  void StartSession(boost::asio::ip::tcp::socket socket, ConnectionSlot slot, uint64_t id,
                    bool overloaded);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  // Delays the next accept after a failure such as EMFILE, which would
  // otherwise repeat at once and spin a core.
  boost::asio::steady_timer accept_retry_timer_;
  const HttpServices services_;
  const HttpLimits limits_;
  boost::asio::ssl::context* const tls_;
  std::atomic<uint64_t> next_connection_id_{1};
  std::shared_ptr<std::atomic<size_t>> open_connections_;
  // Rejections logged so far, for rate-limiting the warning.
  uint64_t rejected_connections_ = 0;
  ConnectionRegistry connections_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_HTTP_SERVER_H_
