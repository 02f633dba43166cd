// Fan-out of alert changes to the connected alert-stream subscribers.

#ifndef UPTAKE_SERVER_ALERT_HUB_H_
#define UPTAKE_SERVER_ALERT_HUB_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace uptake {

// A receiver of alert messages. Deliver is called from any thread and must
// not block: implementations queue the message on their own strand.
class AlertSubscriber {
 public:
  virtual ~AlertSubscriber() = default;
  virtual void Deliver(std::shared_ptr<const std::string> message) = 0;
};

// Thread-safe. Holds subscribers weakly, so a closed session needs no
// explicit unsubscribe; expired entries are pruned on the next publish.
class AlertHub {
 public:
  void Subscribe(const std::shared_ptr<AlertSubscriber>& subscriber);

  // Hands `message` to every live subscriber. The lock covers only the copy
  // of the subscriber list, never a delivery.
  void Publish(std::shared_ptr<const std::string> message);

  size_t subscriber_count();

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<AlertSubscriber>> subscribers_;  // guarded by mu_
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_ALERT_HUB_H_
