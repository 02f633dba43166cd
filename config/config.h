// The server's configuration: built-in defaults, the YAML file, and
// validation with errors that name the file, line and key.

#ifndef UPTAKE_CONFIG_CONFIG_H_
#define UPTAKE_CONFIG_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metrics/catalog.h"
#include "metrics/routing.h"
#include "metrics/rule.h"
#include "proto/limits.h"

namespace uptake {

enum class ClockMode {
  kWall,   // now is the system clock
  kEvent,  // now is the newest event time seen, for replays and backtests
};

enum class LogFormat {
  kText,  // one human-readable line per record
  kJson,  // one JSON object per line, for log collectors
};

enum class WebhookTemplate {
  kJson,   // the change JSON exactly as the alert stream sends it
  kSlack,  // a Slack incoming-webhook message: {"text": "..."}
};

// One receiver of alert changes over HTTP POST.
struct WebhookConfig {
  // Unique; part of every idempotency key and of the outbox keys, so
  // renaming a webhook abandons its queued deliveries.
  std::string name;

  // http://HOST[:PORT][/PATH] as written, and its parts. PORT defaults to 80
  // and PATH to "/". https is not supported.
  std::string url;
  std::string host;
  uint16_t port = 80;
  std::string target;

  // HMAC-SHA256 key of the X-Uptake-Signature header, from `secret` or from
  // the environment variable named by `secret_env`. Never logged.
  std::string secret;

  // Default: kJson.
  WebhookTemplate body_template = WebhookTemplate::kJson;

  // Change kinds sent: any of "fired", "escalated", "acknowledged",
  // "resolved". Default: all four.
  std::vector<std::string> notify = {"fired", "escalated", "acknowledged", "resolved"};

  // Only changes of this rule, or of this severity name, are sent. Default:
  // empty, which matches any.
  std::string match_rule;
  std::string match_severity;

  // Set when a routing tier names this webhook: it is then sent only the
  // changes of alerts routed to it. Derived, not a key of its own.
  bool routed = false;
};

struct Config {
  // Address to listen on. Default: 127.0.0.1, port 8080.
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;

  // Folder of the RocksDB database, created when missing. Default: ./data.
  std::string data_dir = "./data";

  // Default: kWall.
  ClockMode clock = ClockMode::kWall;

  // Write keys accepted on ingest routes. Default: the single development
  // key "dev", which the server warns about at startup.
  std::vector<std::string> write_keys = {"dev"};

  // Worker threads for the HTTP server; 0 means one per core. Default: 0.
  int threads = 0;

  IngestLimits limits;

  // The feature catalog, in order. Default: empty.
  std::vector<FeatureDefinition> features;

  // Event names that count as a login. Default: "Signed In", "Logged In",
  // "login".
  std::vector<std::string> login_events = {"Signed In", "Logged In", "login"};

  // Default: none.
  std::vector<Rule> rules;

  // The group type that names an account: the key of PostHog's
  // properties.$groups and of Amplitude's groups. Default: "company".
  std::string group_type = "company";

  // The Mixpanel event property that names an account. Default: "company".
  std::string mixpanel_account_property = "company";

  // Browser origins (scheme://host[:port]) allowed to post events from a
  // page; "*" allows any origin. Default: none, so no CORS headers are sent.
  std::vector<std::string> cors_allowed_origins;

  // How long browsers may cache a CORS preflight response, in seconds.
  // Default: 600.
  int cors_max_age_seconds = 600;

  // How long a (write key, message id) dedup mark is kept, in days; a resend
  // after that is stored again. Marks are dropped by RocksDB compaction, not
  // by a scan. Default: 7.
  int dedup_retention_days = 7;

  // Alert changes kept for resuming streams with ?after=SEQ; older cursors
  // get a resync message with the open alerts. Default: 100,000.
  uint64_t retained_alert_changes = 100000;

  // An alert-stream subscriber whose pending write makes no progress for
  // this many milliseconds has stopped reading and is closed. Default: 30 s.
  int64_t alert_subscriber_write_timeout_ms = 30000;

  // WebSocket ingest: messages a connection may have in flight before the
  // server rejects further ones with too_many_in_flight. Default: 64.
  int max_unacknowledged_messages = 64;

  // Receivers of alert changes. Default: none.
  std::vector<WebhookConfig> webhooks;

  // Routing policy: account tiers in match order, each with the webhooks
  // of its first step and of its escalation. A webhook named by a tier
  // gets only the changes of alerts routed to it; the others get every
  // change. Default: none, so every webhook gets every change.
  std::vector<RoutingTier> routing;

  // Log line format. Default: kText.
  LogFormat log_format = LogFormat::kText;

  // Lowest level logged: trace, debug, info, warn, error or off. Default:
  // info.
  std::string log_level = "info";

  // The file this was loaded from; empty for the built-in defaults.
  std::string source_path;
};

struct ConfigError {
  std::string file;  // path as given, or "--flag" for command-line values
  int line = 0;      // 1-based; 0 when not tied to a line
  std::string key;   // dotted path, for example "rules[2].days"
  std::string message;

  // "FILE:LINE: KEY: MESSAGE"
  std::string ToString() const;
};

// Loads `path` over the built-in defaults and validates it: unknown keys,
// wrong types, out-of-range values, duplicate names, and rules that need a
// catalog or login events that are empty.
[[nodiscard]] std::optional<ConfigError> LoadConfigFile(const std::string& path, Config* config);

// Parses "HOST:PORT" or "[V6]:PORT". Returns false when malformed.
[[nodiscard]] bool ParseListenAddress(const std::string& text, std::string* host, uint16_t* port);

}  // namespace uptake

#endif  // UPTAKE_CONFIG_CONFIG_H_
