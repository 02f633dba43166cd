// The TCP listener and the HTTP/1.1 sessions it accepts.

#ifndef UPTAKE_SERVER_HTTP_SERVER_H_
#define UPTAKE_SERVER_HTTP_SERVER_H_

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "server/alert_hub.h"
#include "server/connection_registry.h"
#include "server/ingest_service.h"
#include "server/log_rate_limiter.h"
#include "server/router.h"
#include "server/server_metrics.h"

namespace uptake {

struct HttpLimits {
  // Largest raw (possibly compressed) request body, in bytes.
  size_t max_body_bytes = 516 * 1024;
  // Largest request head, in bytes.
  uint32_t max_header_bytes = 16 * 1024;
  // A connection that neither sends a full request nor reads its response
  // within this time is closed.
  std::chrono::seconds idle_timeout{60};
};

// The long-lived services every connection uses.
struct HttpServices {
  Router& router;
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
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServices services, HttpLimits limits);

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

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const HttpServices services_;
  const HttpLimits limits_;
  std::atomic<uint64_t> next_connection_id_{1};
  ConnectionRegistry connections_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_HTTP_SERVER_H_
