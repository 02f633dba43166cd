#include "server/connection_registry.h"

#include <algorithm>

namespace uptake {

void ConnectionRegistry::Add(const std::shared_ptr<DrainableConnection>& connection) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!shutting_down_) {
      connections_.push_back(connection);
      // Pruning when the list has doubled keeps Add amortized O(1).
      if (connections_.size() >= prune_at_) PruneLocked();
      return;
    }
  }
  connection->BeginShutdown();
}

void ConnectionRegistry::ShutdownAll() {
  std::vector<std::shared_ptr<DrainableConnection>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    for (const auto& weak : connections_) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
  }
  for (const auto& connection : live) connection->BeginShutdown();
}

size_t ConnectionRegistry::LiveCount() {
  std::lock_guard<std::mutex> lock(mu_);
  PruneLocked();
  return connections_.size();
}

void ConnectionRegistry::PruneLocked() {
  std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
  prune_at_ = std::max<size_t>(64, 2 * connections_.size());
}

}  // namespace uptake
