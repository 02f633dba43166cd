// Fan-out of alert changes to the connected alert-stream subscribers.

#ifndef UPTAKE_SERVER_ALERT_HUB_H_
#define UPTAKE_SERVER_ALERT_HUB_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "metrics/alert.h"

namespace uptake {

// One entry of the alert change log as subscribers receive it.
struct AlertChange {
  uint64_t seq = 0;  // strictly increasing over the server's life
  std::string json;  // the alert's fields plus "seq" and "change"

  // Copies of fields subscribers filter on.
  std::string rule;
  std::string account_id;
  std::string severity;
  std::string owner;  // empty when the account has no owner trait
  std::string tier;   // empty without a routing policy

  // The webhooks the routing policy sends this change to; see RouteTargets
  // in webhook_outbox.h. Not set on changes read back from the log.
  std::vector<std::string> route_webhooks;
};

// Returns the change `seq` of `alert`, whose stream form is `json`, with
// the filter fields copied from `alert`.
AlertChange MakeAlertChange(uint64_t seq, std::string json, const Alert& alert);

using AlertChangePtr = std::shared_ptr<const AlertChange>;

// A receiver of alert changes. Deliver is called from any thread and must
// not block: implementations queue the change on their own strand.
class AlertSubscriber {
 public:
  virtual ~AlertSubscriber() = default;
  virtual void Deliver(AlertChangePtr change) = 0;

  // Messages waiting to be written to a stream subscriber's connection, or
  // nullopt for a subscriber that is not a stream (the webhook dispatcher).
  virtual std::optional<size_t> QueuedMessages() const { return std::nullopt; }
};

// Stream subscribers and their queues at one moment, for the metrics
// endpoint.
struct AlertStreamStats {
  size_t subscribers = 0;
  size_t queued_total = 0;  // summed over subscribers
  size_t queued_max = 0;    // of the subscriber with the longest queue
};

// Thread-safe. Holds subscribers weakly, so a closed session needs no
// explicit unsubscribe; expired entries are pruned on the next publish.
class AlertHub {
 public:
  void Subscribe(const std::shared_ptr<AlertSubscriber>& subscriber);

  // Hands `change` to every live subscriber. The lock covers only the copy
  // of the subscriber list, never a delivery.
  void Publish(AlertChangePtr change);

  size_t subscriber_count();

  // Counts the live stream subscribers and their queued messages.
  AlertStreamStats StreamStats();

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<AlertSubscriber>> subscribers_;  // guarded by mu_
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_ALERT_HUB_H_
