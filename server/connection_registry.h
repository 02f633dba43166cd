// The open connections of the HTTP server, so a shutdown can drain them.

#ifndef UPTAKE_SERVER_CONNECTION_REGISTRY_H_
#define UPTAKE_SERVER_CONNECTION_REGISTRY_H_

#include <memory>
#include <mutex>
#include <vector>

namespace uptake {

// A connection that can wind down for a shutdown.
class DrainableConnection {
 public:
  virtual ~DrainableConnection() = default;

  // Starts closing. May be called from any thread and returns at once: the
  // connection finishes the request it is serving, then closes (HTTP), or
  // sends a close frame with 1001 going away (WebSocket), or ends its
  // response (Server-Sent Events). Safe to call more than once.
  virtual void BeginShutdown() = 0;
};

// Thread-safe. Holds connections weakly, so a closed one needs no removal.
// The lock is taken once per connection, never per request or event.
class ConnectionRegistry {
 public:
  // Tracks `connection`. After ShutdownAll, it is told to shut down at once.
  void Add(const std::shared_ptr<DrainableConnection>& connection);

  // Calls BeginShutdown on every live connection, and on those added later.
  void ShutdownAll();

  // Returns the number of connections still alive.
  size_t LiveCount();

 private:
  void PruneLocked();

  std::mutex mu_;
  std::vector<std::weak_ptr<DrainableConnection>> connections_;  // guarded by mu_
  size_t prune_at_ = 64;                                         // guarded by mu_
  bool shutting_down_ = false;                                   // guarded by mu_
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_CONNECTION_REGISTRY_H_
