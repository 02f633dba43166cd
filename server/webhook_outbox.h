// Chooses the webhooks an alert change goes to and renders each one's POST
// body for the outbox.

#ifndef UPTAKE_SERVER_WEBHOOK_OUTBOX_H_
#define UPTAKE_SERVER_WEBHOOK_OUTBOX_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "server/alert_hub.h"
#include "storage/outbox_entry.h"

namespace uptake {

// Returns whether `webhook` is sent a change of kind `change` ("fired",
// "acknowledged" or "resolved") of `rule` at `severity`.
bool WebhookWants(const WebhookConfig& webhook, std::string_view change, std::string_view rule,
                  std::string_view severity);

// Renders the body `webhook` is sent for `change`, whose json must be an
// object as AlertRecorder builds it. json: the change as the alert stream
// sends it. slack: {"text": "<one line>"} with the change kind, rule,
// severity, account and summary.
std::string RenderWebhookBody(const WebhookConfig& webhook, const AlertChange& change,
                              std::string_view change_kind);

// Returns one entry, due now, per webhook that wants the change.
std::vector<OutboxEntry> OutboxEntriesFor(std::span<const WebhookConfig> webhooks,
                                          const AlertChange& change, std::string_view change_kind);

}  // namespace uptake

#endif  // UPTAKE_SERVER_WEBHOOK_OUTBOX_H_
