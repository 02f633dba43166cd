// A counted open connection, so the listener can bound how many it serves.

#ifndef UPTAKE_SERVER_CONNECTION_SLOT_H_
#define UPTAKE_SERVER_CONNECTION_SLOT_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <utility>

namespace uptake {

// One unit of the listener's open-connection count, released when
// destroyed. It moves with the socket, so a connection handed from the HTTP
// session to a WebSocket or SSE stream stays counted until the stream ends.
// The count is shared, because sessions may outlive the listener during
// shutdown.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  explicit ConnectionSlot(std::shared_ptr<std::atomic<size_t>> open_count)
      : open_count_(std::move(open_count)) {}
  ConnectionSlot(ConnectionSlot&& other) noexcept = default;
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
      Release();
      open_count_ = std::move(other.open_count_);
    }
    return *this;
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { Release(); }

 private:
  void Release() {
    if (open_count_) open_count_->fetch_sub(1, std::memory_order_relaxed);
    open_count_.reset();
  }

  std::shared_ptr<std::atomic<size_t>> open_count_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_CONNECTION_SLOT_H_
