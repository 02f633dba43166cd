// The server's configuration: built-in defaults, the YAML file, and
// validation with errors that name the file, line and key.

#ifndef UPTAKE_CONFIG_CONFIG_H_
#define UPTAKE_CONFIG_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metrics/catalog.h"
#include "metrics/name_table.h"
#include "metrics/routing.h"
#include "metrics/rule.h"
#include "proto/limits.h"

namespace uptake {

enum class ClockMode {
  kWall,   // now is the system clock
  kEvent,  // now is the newest event time seen, for replays and backtests
};

enum class DurabilityMode {
  kWal,    // write-ahead log without fsync: survives a crash of the process
  kFsync,  // write-ahead log synced before the answer, one fsync per group
};

enum class LogCompression {
  kZstd,  // LZ4 in the upper levels of the event log, ZSTD at the bottom
  kLz4,   // LZ4 at every level: larger, with less compaction work
};

enum class LogFormat {
  kText,  // one human-readable line per record
  kJson,  // one JSON object per line, for log collectors
};

enum class WebhookTemplate {
  kJson,   // the change JSON exactly as the alert stream sends it
  kSlack,  // a Slack incoming-webhook message: {"text": "..."}
};

// One receiver of alert changes over HTTP POST, plain or over TLS.
struct WebhookConfig {
  // Unique; part of every idempotency key and of the outbox keys, so
  // renaming a webhook abandons its queued deliveries.
  std::string name;

  // http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH] as written, and
  // its parts. HOST is kept without the brackets of an IPv6 literal. PORT
  // defaults to 80 for http and 443 for https, and PATH to "/".
  std::string url;
  std::string host;
  uint16_t port = 80;
  std::string target;

  // True for https: the POST goes over TLS, and the receiver's certificate
  // must chain to a trusted CA and name `host` (SNI is sent for host names,
  // not for IP literals). Default: false.
  bool tls = false;

  // PEM file of CA certificates trusted for this webhook in addition to the
  // system CA store, as written in the config (a relative path is resolved
  // against the working directory). Checked at load: it must exist, be
  // readable and contain at least one certificate. Only for https URLs.
  // Default: empty, which trusts the system CA store alone.
  std::string ca_file;

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

// Bounds on HTTP connections, so a slow, silent or hostile client cannot hold
// server resources forever. Read from the same `limits` mapping as
// IngestLimits.
struct TransportLimits {
  // Maximum size of a request head (request line and header fields), and of
  // a chunked body's trailer section, in bytes. Larger heads get 431.
  // Default: 16 KiB.
  uint32_t max_header_bytes = 16 * 1024;

  // Maximum number of header fields in one request. More get 431.
  // Default: 100.
  uint32_t max_header_fields = 100;

  // A keep-alive connection that starts no request for this long is closed.
  // It also bounds the time a client may take to read a response.
  // Default: 60 s.
  int idle_timeout_seconds = 60;

  // The whole request head must arrive within this time of its first byte.
  // Default: 10 s.
  int header_read_timeout_seconds = 10;

  // The whole request body must arrive within this time of the end of the
  // head. Default: 60 s.
  int body_read_timeout_seconds = 60;

  // Open connections, WebSocket and SSE streams included. Connections past
  // this get 503 with Retry-After and are closed. Default: 512.
  int max_connections = 512;
};

// A token bucket for one write key: the bucket holds up to `burst` events
// and refills at `rate_per_second`. A rate of 0 means no limit.
struct RateLimit {
  double rate_per_second = 0;
  int64_t burst = 0;

  bool enabled() const { return rate_per_second > 0; }
};

// Credentials of the read and admin routes. Values are secrets: they never
// appear in an error message or a log line.
struct AuthConfig {
  // Bearer tokens of the read routes (alerts, the alert stream,
  // acknowledgements, accounts). Empty: reads are open on a loopback
  // listener and refused on any other.
  std::vector<std::string> read_tokens;

  // Bearer token of the admin routes (reload, silences); it grants reads
  // too. Empty: admin routes are open on a loopback listener and refused on
  // any other.
  std::string admin_token;
};

// TLS for the listener. Both files are empty for plain HTTP.
struct TlsConfig {
  std::string cert_file;  // PEM certificate chain, leaf first
  std::string key_file;   // PEM private key of the leaf certificate
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

  // Per-key rate limits from write_keys entries written as mappings. A key
  // absent here uses `write_key_rate_limit`.
  std::map<std::string, RateLimit> write_key_limits;

  // The rate limit of every write key without its own. Default: none.
  RateLimit write_key_rate_limit;

  AuthConfig auth;
  TlsConfig tls;

  // Worker threads for the HTTP server; 0 means one per core. Default: 0.
  int threads = 0;

  IngestLimits limits;
  TransportLimits transport;

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

  // Distinct event names each account, and each of the aggregator's shards,
  // counts one by one, besides rules' names. Default: 1,000 per account,
  // 10,000 per shard.
  NameLimits event_names;

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

  // When an accepted event is acknowledged: after the write-ahead-log write
  // (kWal) or after its fsync, shared by concurrent requests (kFsync).
  // Default: kWal.
  DurabilityMode durability = DurabilityMode::kWal;

  // Compression of the event log's tables. Default: kZstd.
  LogCompression log_compression = LogCompression::kZstd;

  // Events older than this many days, by event time, are dropped from the
  // log by RocksDB compaction; 0 keeps every event. Default: 0.
  int retention_days = 0;

  // Ingest answers 503 while the data folder's filesystem has less free
  // space than this, in MiB; 0 turns the check off. Default: 256.
  int64_t min_free_disk_mb = 256;

  // How often a background thread checks whether to write an aggregate
  // snapshot to DATA_DIR/snapshots, in seconds; 0 turns periodic snapshots
  // off (a graceful stop still writes one). Default: 300.
  int snapshot_interval_seconds = 300;

  // A periodic snapshot is written only when at least this many events
  // were logged since the last one. Default: 100,000.
  int64_t snapshot_min_events = 100000;

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

// Like LoadConfigFile, with the file's contents already in memory. `path`
// names the file in errors and becomes config->source_path.
[[nodiscard]] std::optional<ConfigError> LoadConfigText(const std::string& path,
                                                        const std::string& text, Config* config);

// Parses "HOST:PORT" or "[V6]:PORT". Returns false when malformed.
[[nodiscard]] bool ParseListenAddress(const std::string& text, std::string* host, uint16_t* port);

}  // namespace uptake

#endif  // UPTAKE_CONFIG_CONFIG_H_
