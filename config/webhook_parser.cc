#include "config/webhook_parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <string_view>

namespace uptake {
namespace config_internal {
namespace {

constexpr std::array<std::string_view, 7> kWebhookKeys = {
    "name", "url", "secret", "secret_env", "template", "notify", "match",
};
constexpr std::array<std::string_view, 2> kMatchKeys = {"rule", "severity"};

// Same order as WebhookTemplate.
constexpr std::array<std::string_view, 2> kTemplateNames = {"json", "slack"};
constexpr std::array<std::string_view, 4> kChangeKinds = {"fired", "escalated", "acknowledged",
                                                          "resolved"};
// Same order as Severity.
constexpr std::array<std::string_view, 3> kSeverityNames = {"info", "warning", "critical"};

constexpr std::string_view kHttpScheme = "http://";

struct UrlParts {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";
};

// Splits "HOST[:PORT]" or "[V6][:PORT]". Returns nullopt when malformed.
std::optional<UrlParts> SplitAuthority(std::string_view authority) {
  UrlParts parts;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    parts.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return std::nullopt;
    if (!rest.empty()) port_text = rest.substr(1);
    if (rest == ":") return std::nullopt;
  } else {
    const size_t colon = authority.find(':');
    parts.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (colon != std::string_view::npos && port_text.empty()) return std::nullopt;
  }
  if (parts.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return std::nullopt;
    }
    parts.port = static_cast<uint16_t>(port);
  }
  return parts;
}

// Parses http://HOST[:PORT][/PATH]. Returns nullopt when malformed.
std::optional<UrlParts> SplitHttpUrl(std::string_view url) {
  if (!url.starts_with(kHttpScheme)) return std::nullopt;
  url.remove_prefix(kHttpScheme.size());
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '#') return std::nullopt;
  }

  const size_t slash = url.find('/');
  std::optional<UrlParts> parts = SplitAuthority(url.substr(0, slash));
  if (parts && slash != std::string_view::npos) parts->target = std::string(url.substr(slash));
  return parts;
}

}  // namespace

std::optional<std::vector<WebhookConfig>> WebhookParser::ParseList(const Field& field) {
  std::optional<std::vector<Field>> items = reader_->ReadSequence(field);
  if (!items) return std::nullopt;

  std::vector<WebhookConfig> webhooks;
  for (const Field& item : *items) {
    std::optional<WebhookConfig> webhook = ParseWebhook(item);
    if (!webhook) return std::nullopt;
    for (size_t i = 0; i < webhooks.size(); ++i) {
      if (webhooks[i].name != webhook->name) continue;
      reader_->Fail(item, "duplicate webhook name \"" + webhook->name +
                              "\"; it is already used by " + ItemKey("webhooks", i));
      return std::nullopt;
    }
    webhooks.push_back(std::move(*webhook));
  }
  return webhooks;
}

std::optional<WebhookConfig> WebhookParser::ParseWebhook(const Field& item) {
  std::optional<FieldMap> fields = reader_->ReadMapping(item, kWebhookKeys);
  if (!fields) return std::nullopt;

  WebhookConfig webhook;
  const Field* name = reader_->RequireField(*fields, item, "name", "every webhook needs a name");
  if (name == nullptr) return std::nullopt;
  std::optional<std::string> name_text = reader_->ReadName(*name);
  if (!name_text) return std::nullopt;
  webhook.name = std::move(*name_text);

  const Field* url = reader_->RequireField(*fields, item, "url", "it is where changes are posted");
  if (url == nullptr || !ParseUrl(*url, &webhook)) return std::nullopt;
  if (!ParseSecret(*fields, item, &webhook)) return std::nullopt;

  if (const Field* body_template = FindField(*fields, "template")) {
    std::optional<size_t> choice = reader_->ReadChoice(*body_template, kTemplateNames);
    if (!choice) return std::nullopt;
    webhook.body_template = static_cast<WebhookTemplate>(*choice);
  }
  if (!ParseNotify(*fields, &webhook) || !ParseMatch(*fields, &webhook)) return std::nullopt;
  return webhook;
}

bool WebhookParser::ParseUrl(const Field& field, WebhookConfig* webhook) {
  std::optional<std::string> url = reader_->ReadString(field);
  if (!url) return false;

  std::optional<UrlParts> parts = SplitHttpUrl(*url);
  if (!parts) {
    reader_->Fail(field, "invalid URL \"" + *url +
                             "\"; expected http://HOST[:PORT][/PATH] (https is not supported)");
    return false;
  }
  webhook->url = std::move(*url);
  webhook->host = std::move(parts->host);
  webhook->port = parts->port;
  webhook->target = std::move(parts->target);
  return true;
}

bool WebhookParser::ParseSecret(const FieldMap& fields, const Field& item, WebhookConfig* webhook) {
  const Field* secret = FindField(fields, "secret");
  const Field* secret_env = FindField(fields, "secret_env");
  if ((secret == nullptr) == (secret_env == nullptr)) {
    reader_->Fail(item, "set exactly one of secret and secret_env; the secret signs every body");
    return false;
  }

  // The secret's value never appears in an error message.
  if (secret != nullptr) {
    std::optional<std::string> value = reader_->ReadString(*secret);
    if (!value) return false;
    if (value->empty()) {
      reader_->Fail(*secret, "must not be empty");
      return false;
    }
    webhook->secret = std::move(*value);
    return true;
  }

  std::optional<std::string> variable = reader_->ReadName(*secret_env);
  if (!variable) return false;
  const char* value = std::getenv(variable->c_str());
  if (value == nullptr || *value == '\0') {
    reader_->Fail(*secret_env, "environment variable " + *variable + " is not set or empty");
    return false;
  }
  webhook->secret = value;
  return true;
}

bool WebhookParser::ParseNotify(const FieldMap& fields, WebhookConfig* webhook) {
  const Field* notify = FindField(fields, "notify");
  if (notify == nullptr) return true;

  std::optional<std::vector<std::string>> kinds = reader_->ReadNameList(*notify, /*secret=*/false);
  if (!kinds) return false;
  if (kinds->empty()) {
    reader_->Fail(*notify, "must list at least one of fired, escalated, acknowledged, resolved");
    return false;
  }
  for (const std::string& kind : *kinds) {
    if (std::find(kChangeKinds.begin(), kChangeKinds.end(), kind) == kChangeKinds.end()) {
      reader_->Fail(*notify, "unknown change \"" + kind +
                                 "\"; expected fired, escalated, acknowledged or resolved");
      return false;
    }
  }
  webhook->notify = std::move(*kinds);
  return true;
}

bool WebhookParser::ParseMatch(const FieldMap& fields, WebhookConfig* webhook) {
  const Field* match = FindField(fields, "match");
  if (match == nullptr) return true;
  std::optional<FieldMap> keys = reader_->ReadMapping(*match, kMatchKeys);
  if (!keys) return false;

  if (const Field* rule = FindField(*keys, "rule")) {
    std::optional<std::string> name = reader_->ReadName(*rule);
    if (!name) return false;
    const bool known = std::any_of(rules_.begin(), rules_.end(),
                                   [&](const Rule& candidate) { return candidate.name == *name; });
    if (!known) {
      reader_->Fail(*rule, "no rule is named \"" + *name + "\"");
      return false;
    }
    webhook->match_rule = std::move(*name);
  }
  if (const Field* severity = FindField(*keys, "severity")) {
    std::optional<size_t> choice = reader_->ReadChoice(*severity, kSeverityNames);
    if (!choice) return false;
    webhook->match_severity = std::string(kSeverityNames[*choice]);
  }
  return true;
}

}  // namespace config_internal
}  // namespace uptake
