#include "config/config_parser.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

#include "config/routing_parser.h"
#include "config/rule_parser.h"
#include "config/webhook_parser.h"

namespace uptake {
namespace config_internal {
namespace {

constexpr std::array<std::string_view, 19> kTopLevelKeys = {
    "listen",   "data_dir", "clock",    "threads", "write_keys", "limits", "login_events",
    "features", "rules",    "accounts", "cors",    "ingest",     "alerts", "webhooks",
    "routing",  "storage",  "auth",     "tls",     "log",
};

constexpr std::array<std::string_view, 2> kLogKeys = {"format", "level"};
// Same order as LogFormat.
constexpr std::array<std::string_view, 2> kLogFormatNames = {"text", "json"};
constexpr std::array<std::string_view, 6> kLogLevelNames = {"trace", "debug", "info",
                                                            "warn",  "error", "off"};

constexpr std::array<std::string_view, 2> kAlertKeys = {"retained_changes",
                                                        "subscriber_write_timeout_seconds"};

constexpr std::array<std::string_view, 17> kLimitKeys = {
    "rate_per_second",
    "burst",
    "max_event_bytes",
    "max_request_bytes",
    "max_batch_events",
    "max_depth",
    "max_event_age_days",
    "future_tolerance_seconds",
    "max_posthog_request_bytes",
    "max_amplitude_request_bytes",
    "max_amplitude_batch_events",
    "max_header_bytes",
    "max_header_fields",
    "idle_timeout_seconds",
    "header_read_timeout_seconds",
    "body_read_timeout_seconds",
    "max_connections",
};

constexpr std::array<std::string_view, 4> kAccountKeys = {
    "group_type", "mixpanel_property", "max_event_names", "max_event_names_per_account"};
// Upper bound of both name limits. A million names in each of the 64
// tables would take about 6 GB (an estimate at 100 bytes a name).
constexpr int64_t kMaxEventNames = 1'000'000;
constexpr std::array<std::string_view, 2> kCorsKeys = {"allowed_origins", "max_age_seconds"};
constexpr std::array<std::string_view, 2> kIngestKeys = {"dedup_retention_days",
                                                         "max_unacknowledged_messages"};

constexpr std::array<std::string_view, 6> kStorageKeys = {"durability",
                                                          "compression",
                                                          "retention_days",
                                                          "min_free_disk_mb",
                                                          "snapshot_interval_seconds",
                                                          "snapshot_min_events"};

// A week: a longer interval leaves most of a restart to the event replay.
constexpr int64_t kMaxSnapshotIntervalSeconds = 7 * 24 * 3600;

// A tebibyte: catches typos such as a value in bytes.
constexpr int64_t kMaxFreeDiskMb = 1024 * 1024;

// Same order as DurabilityMode.
constexpr std::array<std::string_view, 2> kDurabilityNames = {"wal", "fsync"};
// Same order as LogCompression.
constexpr std::array<std::string_view, 2> kCompressionNames = {"zstd", "lz4"};

// A hundred years: catches typos such as a value in hours.
constexpr int64_t kMaxRetentionDays = 36500;

constexpr std::array<std::string_view, 2> kFeatureKeys = {"id", "events"};

// Same order as ClockMode.
constexpr std::array<std::string_view, 2> kClockNames = {"wall", "event"};

// Catches typos such as an extra digit. Raise it if a machine needs more.
constexpr int64_t kMaxThreads = 1024;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxDepth = 256;
constexpr int64_t kMillisPerSecond = 1000;
constexpr int64_t kMillisPerDay = 24 * 3600 * kMillisPerSecond;

}  // namespace

std::optional<ConfigError> ConfigParser::Parse(const YAML::Node& root) {
  const Field root_field{/*key=*/"", root, root.IsDefined() ? root.Mark().line + 1 : 0};
  std::optional<FieldMap> top = reader_.ReadMapping(root_field, kTopLevelKeys);
  if (!top) return reader_.error();

  if (!ParseServer(*top)) return reader_.error();

  const Field* limits = FindField(*top, "limits");
  if (limits != nullptr && !ParseLimits(*limits)) return reader_.error();
  const Field* accounts = FindField(*top, "accounts");
  if (accounts != nullptr && !ParseAccounts(*accounts)) return reader_.error();
  const Field* cors = FindField(*top, "cors");
  if (cors != nullptr && !ParseCors(*cors)) return reader_.error();
  const Field* ingest = FindField(*top, "ingest");
  if (ingest != nullptr && !ParseIngest(*ingest)) return reader_.error();
  const Field* alerts = FindField(*top, "alerts");
  if (alerts != nullptr && !ParseAlerts(*alerts)) return reader_.error();
  const Field* storage = FindField(*top, "storage");
  if (storage != nullptr && !ParseStorage(*storage)) return reader_.error();
  // After write_keys, because the auth section adds keys and checks that no
  // token is also a write key.
  const Field* auth = FindField(*top, "auth");
  if (!ParseAuth(auth)) return reader_.error();
  const Field* tls = FindField(*top, "tls");
  if (tls != nullptr && !ParseTls(*tls)) return reader_.error();
  const Field* log = FindField(*top, "log");
  if (log != nullptr && !ParseLog(*log)) return reader_.error();

  // The catalog comes before the rules whatever the order in the file,
  // because rules are checked against it.
  if (const Field* field = FindField(*top, "login_events")) {
    std::optional<std::vector<std::string>> events = reader_.ReadNameList(*field, /*secret=*/false);
    if (!events) return reader_.error();
    config_.login_events = std::move(*events);
  }
  const Field* features = FindField(*top, "features");
  if (features != nullptr && !ParseFeatures(*features)) return reader_.error();

  if (const Field* field = FindField(*top, "rules")) {
    RuleParser rule_parser(&reader_, config_.features.size(), !config_.login_events.empty());
    std::optional<std::vector<Rule>> rules = rule_parser.ParseList(*field);
    if (!rules) return reader_.error();
    config_.rules = std::move(*rules);
  }

  // After the rules, because a webhook's match.rule must name one.
  if (const Field* field = FindField(*top, "webhooks")) {
    WebhookParser webhook_parser(&reader_, config_.rules);
    std::optional<std::vector<WebhookConfig>> webhooks = webhook_parser.ParseList(*field);
    if (!webhooks) return reader_.error();
    config_.webhooks = std::move(*webhooks);
  }

  // After the webhooks, because each tier names some.
  if (const Field* field = FindField(*top, "routing")) {
    RoutingParser routing_parser(&reader_, config_.webhooks);
    std::optional<std::vector<RoutingTier>> tiers = routing_parser.ParseList(*field);
    if (!tiers) return reader_.error();
    config_.routing = std::move(*tiers);
    for (WebhookConfig& webhook : config_.webhooks) {
      webhook.routed = std::any_of(
          config_.routing.begin(), config_.routing.end(),
          [&](const RoutingTier& tier) { return TierNamesWebhook(tier, webhook.name); });
    }
  }
  return std::nullopt;
}

bool ConfigParser::ParseServer(const FieldMap& top) {
  const Field* listen = FindField(top, "listen");
  if (listen != nullptr && !ParseListen(*listen)) return false;

  if (const Field* field = FindField(top, "data_dir")) {
    std::optional<std::string> dir = reader_.ReadName(*field);
    if (!dir) return false;
    config_.data_dir = std::move(*dir);
  }

  if (const Field* field = FindField(top, "clock")) {
    std::optional<size_t> clock = reader_.ReadChoice(*field, kClockNames);
    if (!clock) return false;
    config_.clock = static_cast<ClockMode>(*clock);
  }

  std::optional<int64_t> threads =
      reader_.ReadIntegerOr(top, "threads", 0, kMaxThreads, config_.threads);
  if (!threads) return false;
  config_.threads = static_cast<int>(*threads);

  const Field* write_keys = FindField(top, "write_keys");
  return write_keys == nullptr || ParseWriteKeys(*write_keys);
}

bool ConfigParser::ParseListen(const Field& field) {
  std::optional<std::string> text = reader_.ReadString(field);
  if (!text) return false;

  if (!ParseListenAddress(*text, &config_.listen_host, &config_.listen_port)) {
    reader_.Fail(field, "invalid address \"" + *text +
                            "\"; expected HOST:PORT or [IPV6]:PORT with a port from 0 to 65535");
    return false;
  }
  return true;
}

bool ConfigParser::ParseLimits(const Field& field) {
  std::optional<FieldMap> fields = reader_.ReadMapping(field, kLimitKeys);
  if (!fields) return false;

  IngestLimits& limits = config_.limits;
  const auto event_bytes = reader_.ReadIntegerOr(*fields, "max_event_bytes", 1, kInt64Max,
                                                 static_cast<int64_t>(limits.max_event_bytes));
  const auto request_bytes = reader_.ReadIntegerOr(*fields, "max_request_bytes", 1, kInt64Max,
                                                   static_cast<int64_t>(limits.max_request_bytes));
  const auto batch_events = reader_.ReadIntegerOr(*fields, "max_batch_events", 1, kInt64Max,
                                                  static_cast<int64_t>(limits.max_batch_events));
  // The JSON validator recurses once per level up to this depth, so the cap
  // keeps a deep document far from the thread's stack limit.
  const auto depth = reader_.ReadIntegerOr(*fields, "max_depth", 1, kMaxDepth, limits.max_depth);
  // The bounds keep the values in milliseconds within int64_t.
  const auto age_days =
      reader_.ReadIntegerOr(*fields, "max_event_age_days", 1, kInt64Max / kMillisPerDay,
                            limits.max_event_age_ms / kMillisPerDay);
  const auto tolerance_seconds =
      reader_.ReadIntegerOr(*fields, "future_tolerance_seconds", 0, kInt64Max / kMillisPerSecond,
                            limits.future_tolerance_ms / kMillisPerSecond);
  const auto posthog_bytes =
      reader_.ReadIntegerOr(*fields, "max_posthog_request_bytes", 1, kInt64Max,
                            static_cast<int64_t>(limits.max_posthog_request_bytes));
  const auto amplitude_bytes =
      reader_.ReadIntegerOr(*fields, "max_amplitude_request_bytes", 1, kInt64Max,
                            static_cast<int64_t>(limits.max_amplitude_request_bytes));
  const auto amplitude_events =
      reader_.ReadIntegerOr(*fields, "max_amplitude_batch_events", 1, kInt64Max,
                            static_cast<int64_t>(limits.max_amplitude_batch_events));
  if (reader_.failed()) return false;
  if (!ParseRateLimit(*fields, &config_.write_key_rate_limit)) return false;

  limits.max_posthog_request_bytes = static_cast<size_t>(*posthog_bytes);
  limits.max_amplitude_request_bytes = static_cast<size_t>(*amplitude_bytes);
  limits.max_amplitude_batch_events = static_cast<size_t>(*amplitude_events);

  limits.max_event_bytes = static_cast<size_t>(*event_bytes);
  limits.max_request_bytes = static_cast<size_t>(*request_bytes);
  limits.max_batch_events = static_cast<size_t>(*batch_events);
  limits.max_depth = static_cast<int>(*depth);
  limits.max_event_age_ms = *age_days * kMillisPerDay;
  limits.future_tolerance_ms = *tolerance_seconds * kMillisPerSecond;
  return CheckEventFitsRequest(*fields) && ParseTransportLimits(*fields);
}

bool ConfigParser::ParseTransportLimits(const FieldMap& fields) {
  TransportLimits& transport = config_.transport;
  // A head below 1 KiB cannot carry a browser's usual headers; one above
  // 1 MiB is a typo or an attack surface nobody needs.
  const auto header_bytes = reader_.ReadIntegerOr(fields, "max_header_bytes", 1024, 1024 * 1024,
                                                  transport.max_header_bytes);
  const auto header_fields =
      reader_.ReadIntegerOr(fields, "max_header_fields", 1, 10000, transport.max_header_fields);
  // Timeouts are bounded at an hour to catch values meant as milliseconds.
  const auto idle = reader_.ReadIntegerOr(fields, "idle_timeout_seconds", 1, 3600,
                                          transport.idle_timeout_seconds);
  const auto header_read = reader_.ReadIntegerOr(fields, "header_read_timeout_seconds", 1, 3600,
                                                 transport.header_read_timeout_seconds);
  const auto body_read = reader_.ReadIntegerOr(fields, "body_read_timeout_seconds", 1, 3600,
                                               transport.body_read_timeout_seconds);
  const auto connections =
      reader_.ReadIntegerOr(fields, "max_connections", 1, 1000000, transport.max_connections);
  if (reader_.failed()) return false;

  transport.max_header_bytes = static_cast<uint32_t>(*header_bytes);
  transport.max_header_fields = static_cast<uint32_t>(*header_fields);
  transport.idle_timeout_seconds = static_cast<int>(*idle);
  transport.header_read_timeout_seconds = static_cast<int>(*header_read);
  transport.body_read_timeout_seconds = static_cast<int>(*body_read);
  transport.max_connections = static_cast<int>(*connections);
  return true;
}

bool ConfigParser::CheckEventFitsRequest(const FieldMap& limits) {
  if (config_.limits.max_event_bytes <= config_.limits.max_request_bytes) return true;

  // Only a value given in the file can cause this, because the defaults fit.
  const Field* field = FindField(limits, "max_event_bytes");
  if (field == nullptr) field = FindField(limits, "max_request_bytes");
  reader_.Fail(*field, "max_event_bytes (" + std::to_string(config_.limits.max_event_bytes) +
                           ") exceeds max_request_bytes (" +
                           std::to_string(config_.limits.max_request_bytes) +
                           "), so an event of the maximum size could never arrive");
  return false;
}

bool ConfigParser::ParseFeatures(const Field& field) {
  std::optional<std::vector<Field>> items = reader_.ReadSequence(field);
  if (!items) return false;

  for (const Field& item : *items) {
    // A feature set is stored as one 64-bit mask per account.
    if (config_.features.size() == Catalog::kMaxFeatures) {
      reader_.Fail(item, "too many features; the catalog holds at most " +
                             std::to_string(Catalog::kMaxFeatures));
      return false;
    }

    std::optional<FeatureDefinition> feature = ParseFeature(item);
    if (!feature) return false;
    config_.features.push_back(std::move(*feature));
  }
  return true;
}

std::optional<FeatureDefinition> ConfigParser::ParseFeature(const Field& item) {
  std::optional<FieldMap> fields = reader_.ReadMapping(item, kFeatureKeys);
  if (!fields) return std::nullopt;

  const Field* id_field = reader_.RequireField(*fields, item, "id", "every feature needs an id");
  if (id_field == nullptr) return std::nullopt;
  std::optional<std::string> id = reader_.ReadName(*id_field);
  if (!id) return std::nullopt;

  for (size_t i = 0; i < config_.features.size(); ++i) {
    if (config_.features[i].id != *id) continue;
    reader_.Fail(*id_field, "duplicate feature id \"" + *id + "\"; it is already used by " +
                                ItemKey("features", i));
    return std::nullopt;
  }

  const Field* events_field = reader_.RequireField(
      *fields, item, "events", "list the event names that count as using the feature");
  if (events_field == nullptr) return std::nullopt;
  std::optional<std::vector<std::string>> events =
      reader_.ReadNameList(*events_field, /*secret=*/false);
  if (!events) return std::nullopt;
  if (events->empty()) {
    reader_.Fail(*events_field, "must list at least one event name");
    return std::nullopt;
  }
  return FeatureDefinition{std::move(*id), std::move(*events)};
}

bool ConfigParser::ParseAccounts(const Field& field) {
  std::optional<FieldMap> fields = reader_.ReadMapping(field, kAccountKeys);
  if (!fields) return false;

  if (const Field* group_type = FindField(*fields, "group_type")) {
    std::optional<std::string> name = reader_.ReadName(*group_type);
    if (!name) return false;
    config_.group_type = std::move(*name);
  }
  if (const Field* property = FindField(*fields, "mixpanel_property")) {
    std::optional<std::string> name = reader_.ReadName(*property);
    if (!name) return false;
    config_.mixpanel_account_property = std::move(*name);
  }
  NameLimits& names = config_.event_names;
  const auto per_shard =
      reader_.ReadIntegerOr(*fields, "max_event_names", 1, kMaxEventNames, names.per_shard);
  if (!per_shard) return false;
  const auto per_account = reader_.ReadIntegerOr(*fields, "max_event_names_per_account", 1,
                                                 kMaxEventNames, names.per_account);
  if (!per_account) return false;
  names.per_shard = static_cast<uint32_t>(*per_shard);
  names.per_account = static_cast<uint32_t>(*per_account);
  return true;
}

bool ConfigParser::ParseLog(const Field& field) {
  std::optional<FieldMap> fields = reader_.ReadMapping(field, kLogKeys);
  if (!fields) return false;

  if (const Field* format = FindField(*fields, "format")) {
    std::optional<size_t> choice = reader_.ReadChoice(*format, kLogFormatNames);
    if (!choice) return false;
    config_.log_format = static_cast<LogFormat>(*choice);
  }
  if (const Field* level = FindField(*fields, "level")) {
    std::optional<size_t> choice = reader_.ReadChoice(*level, kLogLevelNames);
    if (!choice) return false;
    config_.log_level = std::string(kLogLevelNames[*choice]);
  }
  return true;
}

bool ConfigParser::ParseCors(const Field& field) {
  std::optional<FieldMap> fields = reader_.ReadMapping(field, kCorsKeys);
  if (!fields) return false;

  if (const Field* origins = FindField(*fields, "allowed_origins")) {
    std::optional<std::vector<std::string>> list = reader_.ReadNameList(*origins, /*secret=*/false);
    if (!list) return false;
    for (const std::string& origin : *list) {
      bool has_scheme = origin.starts_with("http://") || origin.starts_with("https://");
      if (origin != "*" && (!has_scheme || origin.back() == '/')) {
        reader_.Fail(*origins, "invalid origin \"" + origin +
                                   "\"; expected scheme://host[:port] without a path, or *");
        return false;
      }
    }
    config_.cors_allowed_origins = std::move(*list);
  }
  // Bounded at a day to catch typos such as a value in milliseconds.
  const auto max_age =
      reader_.ReadIntegerOr(*fields, "max_age_seconds", 0, 86400, config_.cors_max_age_seconds);
  if (!max_age) return false;
  config_.cors_max_age_seconds = static_cast<int>(*max_age);
  return true;
}

bool ConfigParser::ParseIngest(const Field& field) {
  std::optional<FieldMap> fields = reader_.ReadMapping(field, kIngestKeys);
  if (!fields) return false;

  const auto retention =
      reader_.ReadIntegerOr(*fields, "dedup_retention_days", 1, 3650, config_.dedup_retention_days);
  const auto in_flight = reader_.ReadIntegerOr(*fields, "max_unacknowledged_messages", 1, 65536,
                                               config_.max_unacknowledged_messages);
  if (reader_.failed()) return false;

  config_.dedup_retention_days = static_cast<int>(*retention);
  config_.max_unacknowledged_messages = static_cast<int>(*in_flight);
  return true;
}

bool ConfigParser::ParseAlerts(const Field& field) {
  std::optional<FieldMap> fields = reader_.ReadMapping(field, kAlertKeys);
  if (!fields) return false;
  const auto retained = reader_.ReadIntegerOr(*fields, "retained_changes", 1, kInt64Max,
                                              static_cast<int64_t>(config_.retained_alert_changes));
  const auto write_timeout =
      reader_.ReadIntegerOr(*fields, "subscriber_write_timeout_seconds", 1, 86400,
                            config_.alert_subscriber_write_timeout_ms / kMillisPerSecond);
  if (!retained || !write_timeout) return false;
  config_.retained_alert_changes = static_cast<uint64_t>(*retained);
  config_.alert_subscriber_write_timeout_ms = *write_timeout * kMillisPerSecond;
  return true;
}

bool ConfigParser::ParseStorage(const Field& field) {
  std::optional<FieldMap> fields = reader_.ReadMapping(field, kStorageKeys);
  if (!fields) return false;
  if (const Field* durability = FindField(*fields, "durability")) {
    std::optional<size_t> mode = reader_.ReadChoice(*durability, kDurabilityNames);
    if (!mode) return false;
    config_.durability = static_cast<DurabilityMode>(*mode);
  }
  if (const Field* compression = FindField(*fields, "compression")) {
    std::optional<size_t> choice = reader_.ReadChoice(*compression, kCompressionNames);
    if (!choice) return false;
    config_.log_compression = static_cast<LogCompression>(*choice);
  }
  const auto retention = reader_.ReadIntegerOr(*fields, "retention_days", 0, kMaxRetentionDays,
                                               config_.retention_days);
  const auto min_free = reader_.ReadIntegerOr(*fields, "min_free_disk_mb", 0, kMaxFreeDiskMb,
                                              config_.min_free_disk_mb);
  const auto interval =
      reader_.ReadIntegerOr(*fields, "snapshot_interval_seconds", 0, kMaxSnapshotIntervalSeconds,
                            config_.snapshot_interval_seconds);
  const auto min_events = reader_.ReadIntegerOr(*fields, "snapshot_min_events", 1, int64_t{1} << 40,
                                                config_.snapshot_min_events);
  if (!retention || !min_free || !interval || !min_events) return false;
  config_.retention_days = static_cast<int>(*retention);
  config_.min_free_disk_mb = *min_free;
  config_.snapshot_interval_seconds = static_cast<int>(*interval);
  config_.snapshot_min_events = *min_events;
  return true;
}

}  // namespace config_internal
}  // namespace uptake
