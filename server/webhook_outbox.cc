#include "server/webhook_outbox.h"

#include <simdjson.h>

#include <algorithm>

#include "proto/json_writer.h"

namespace uptake {
namespace {

// Returns the string field `key` of `object`, or "" when it is absent or
// not a string.
std::string_view StringField(simdjson::dom::object object, std::string_view key) {
  std::string_view value;
  if (object[key].get(value) != simdjson::SUCCESS) return {};
  return value;
}

// Slack shows the text as one line only when it contains no line breaks.
std::string OneLine(std::string_view text) {
  std::string line(text);
  std::replace_if(
      line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return line;
}

// Slack reads "<...>" in message text as a link or a mention such as
// <!channel>. Its text formatting reference (api.slack.com, "Escaping
// text") asks for a literal &, < or > to be sent as &amp;, &lt; or &gt;.
std::string EscapeSlackText(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      default:
        escaped.push_back(c);
    }
  }
  return escaped;
}

// The account id, summary and acknowledging user come from clients, so the
// whole text is escaped and no part of it can become a mention or a link.
std::string SlackText(const AlertChange& change, std::string_view change_kind) {
  // The summary lives only in the JSON; the other fields are copies.
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  std::string_view summary;
  std::string_view acknowledged_by;
  if (parser.parse(change.json).get(object) == simdjson::SUCCESS) {
    summary = StringField(object, "summary");
    acknowledged_by = StringField(object, "acknowledged_by");
  }

  std::string kind(change_kind);
  std::transform(kind.begin(), kind.end(), kind.begin(), ::toupper);
  std::string text =
      kind + " " + change.rule + " (" + change.severity + ") account " + change.account_id;
  if (change_kind == "acknowledged" && !acknowledged_by.empty()) {
    text += " by " + std::string(acknowledged_by);
  }
  if (!summary.empty()) text += ": " + std::string(summary);
  return EscapeSlackText(OneLine(text));
}

}  // namespace

std::vector<std::string> RouteTargets(const Alert& alert, std::string_view change_kind) {
  std::vector<std::string> targets;
  if (alert.route.empty()) return targets;
  if (change_kind == "fired") return alert.route.front().webhooks;
  if (change_kind == "escalated") return alert.route.back().webhooks;
  for (const RouteStep& step : alert.route) {
    for (const std::string& webhook : step.webhooks) {
      if (std::find(targets.begin(), targets.end(), webhook) == targets.end()) {
        targets.push_back(webhook);
      }
    }
  }
  return targets;
}

bool WebhookWants(const WebhookConfig& webhook, const AlertChange& change,
                  std::string_view change_kind) {
  const auto& notify = webhook.notify;
  if (std::find(notify.begin(), notify.end(), change_kind) == notify.end()) return false;
  if (!webhook.match_rule.empty() && webhook.match_rule != change.rule) return false;
  if (!webhook.match_severity.empty() && webhook.match_severity != change.severity) return false;
  if (!webhook.routed) return true;
  const auto& targets = change.route_webhooks;
  return std::find(targets.begin(), targets.end(), webhook.name) != targets.end();
}

std::string RenderWebhookBody(const WebhookConfig& webhook, const AlertChange& change,
                              std::string_view change_kind) {
  if (webhook.body_template == WebhookTemplate::kJson) return change.json;

  JsonWriter writer;
  writer.BeginObject();
  writer.Key("text");
  writer.String(SlackText(change, change_kind));
  writer.EndObject();
  return writer.Release();
}

std::vector<OutboxEntry> OutboxEntriesFor(std::span<const WebhookConfig> webhooks,
                                          const AlertChange& change, std::string_view change_kind) {
  std::vector<OutboxEntry> entries;
  for (const WebhookConfig& webhook : webhooks) {
    if (!WebhookWants(webhook, change, change_kind)) continue;
    OutboxEntry entry;
    entry.webhook = webhook.name;
    entry.seq = change.seq;
    entry.body = RenderWebhookBody(webhook, change, change_kind);
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace uptake
