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

// Returns the webhooks the routing policy sends a change of kind
// `change_kind` of `alert` to: its first step's for "fired", its
// escalation's for "escalated", and every step's so far for
// "acknowledged" and "resolved", so each receiver that heard of the alert
// hears how it ended. Empty for an alert without a route.
std::vector<std::string> RouteTargets(const Alert& alert, std::string_view change_kind);

// Returns whether `webhook` is sent `change`, of kind `change_kind`
// ("fired", "escalated", "acknowledged" or "resolved"): the kind must be in
// its notify list, the change must pass its match, and a routed webhook
// must be among the change's route_webhooks.
bool WebhookWants(const WebhookConfig& webhook, const AlertChange& change,
                  std::string_view change_kind);

// Renders the body `webhook` is sent for `change`, whose json must be an
// object as AlertRecorder builds it. json: the change as the alert stream
// sends it. slack: {"text": "<one line>"} with the change kind, rule,
// severity, account and summary, with &, < and > escaped as Slack requires
// so that no part of the text becomes a mention or a link.
std::string RenderWebhookBody(const WebhookConfig& webhook, const AlertChange& change,
                              std::string_view change_kind);

// Returns one entry, due now, per webhook that wants the change.
std::vector<OutboxEntry> OutboxEntriesFor(std::span<const WebhookConfig> webhooks,
                                          const AlertChange& change, std::string_view change_kind);

}  // namespace uptake

#endif  // UPTAKE_SERVER_WEBHOOK_OUTBOX_H_
