// Sends alert changes to the configured webhooks from the RocksDB outbox.

#ifndef UPTAKE_SERVER_WEBHOOK_DISPATCHER_H_
#define UPTAKE_SERVER_WEBHOOK_DISPATCHER_H_

#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "config/config.h"
#include "server/alert_hub.h"
#include "server/webhook_delivery.h"
#include "storage/store.h"

namespace uptake {

// AlertRecorder writes each change's outbox entries in the change's own
// WriteBatch and then publishes the change. The dispatcher takes the
// publish as the signal to read the outbox. Subscribe it to the AlertHub
// and call Start once. Thread-safe. Create it with std::make_shared,
// because the hub keeps only a weak pointer.
class WebhookDispatcher : public AlertSubscriber {
 public:
  // `store` must outlive every operation on `io`.
  WebhookDispatcher(boost::asio::io_context& io, Store& store,
                    const std::vector<WebhookConfig>& webhooks,
                    const WebhookDeliveryOptions& options = {});

  // Resumes the entries stored before the last stop or crash.
  void Start();

  // Cancels timers and POSTs in flight; undelivered entries stay stored.
  void Stop();

  // Wakes every webhook's delivery. It does not block.
  void Deliver(AlertChangePtr change) override;

 private:
  // Immutable after construction.
  std::vector<std::shared_ptr<WebhookDelivery>> deliveries_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_WEBHOOK_DISPATCHER_H_
