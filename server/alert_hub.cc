#include "server/alert_hub.h"

#include <algorithm>
#include <utility>

namespace uptake {

AlertChange MakeAlertChange(uint64_t seq, std::string json, const Alert& alert) {
  AlertChange change;
  change.seq = seq;
  change.json = std::move(json);
  change.rule = alert.rule;
  change.account_id = alert.account_id;
  change.severity = SeverityName(alert.severity);
  change.owner = alert.owner;
  change.tier = alert.tier;
  return change;
}

void AlertHub::Subscribe(const std::shared_ptr<AlertSubscriber>& subscriber) {
  std::lock_guard<std::mutex> lock(mu_);
  subscribers_.push_back(subscriber);
}

void AlertHub::Publish(AlertChangePtr change) {
  std::vector<std::shared_ptr<AlertSubscriber>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(subscribers_, [](const auto& weak) { return weak.expired(); });
    live.reserve(subscribers_.size());
    for (const auto& weak : subscribers_) {
      if (auto subscriber = weak.lock()) live.push_back(std::move(subscriber));
    }
  }
  for (const auto& subscriber : live) subscriber->Deliver(change);
}

size_t AlertHub::subscriber_count() {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(subscribers_, [](const auto& weak) { return weak.expired(); });
  return subscribers_.size();
}

AlertStreamStats AlertHub::StreamStats() {
  std::vector<std::shared_ptr<AlertSubscriber>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& weak : subscribers_) {
      if (auto subscriber = weak.lock()) live.push_back(std::move(subscriber));
    }
  }
  AlertStreamStats stats;
  for (const auto& subscriber : live) {
    std::optional<size_t> queued = subscriber->QueuedMessages();
    if (!queued) continue;
    ++stats.subscribers;
    stats.queued_total += *queued;
    stats.queued_max = std::max(stats.queued_max, *queued);
  }
  return stats;
}

}  // namespace uptake
