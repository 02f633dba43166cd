#include "server/webhook_dispatcher.h"

#include <spdlog/spdlog.h>

namespace uptake {

WebhookDispatcher::WebhookDispatcher(boost::asio::io_context& io, Store& store,
                                     const std::vector<WebhookConfig>& webhooks,
                                     const WebhookDeliveryOptions& options) {
  for (const WebhookConfig& webhook : webhooks) {
    deliveries_.push_back(std::make_shared<WebhookDelivery>(io, store, webhook, options));
  }
}

void WebhookDispatcher::Start() {
  if (deliveries_.empty()) return;
  spdlog::info("[webhooks] delivering alert changes to {} webhooks", deliveries_.size());
  for (const auto& delivery : deliveries_) delivery->Wake();
}

void WebhookDispatcher::Stop() {
  for (const auto& delivery : deliveries_) delivery->Stop();
}

void WebhookDispatcher::Deliver(AlertChangePtr) {
  // Which webhooks the change went to is already decided by the entries in
  // the outbox. A webhook with nothing new reads one empty outbox page.
  for (const auto& delivery : deliveries_) delivery->Wake();
}

}  // namespace uptake
