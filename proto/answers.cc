#include "proto/answers.h"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <map>
#include <string>
#include <utility>

#include "proto/json_writer.h"
#include "proto/time.h"

namespace uptake {

namespace {

namespace ondemand = simdjson::ondemand;

// Wire names of the metrics enums. proto keeps its own tables so it does
// not link against the metrics library; the order follows the enums.
constexpr std::array<std::pair<RuleKind, std::string_view>, 4> kRuleKindNames = {{
    {RuleKind::kFeatureAdoption, "feature_adoption"},
    {RuleKind::kEventCount, "event_count"},
    {RuleKind::kInactivity, "inactivity"},
    {RuleKind::kLoginDrop, "login_drop"},
}};

constexpr std::array<std::pair<Severity, std::string_view>, 3> kSeverityNames = {{
    {Severity::kInfo, "info"},
    {Severity::kWarning, "warning"},
    {Severity::kCritical, "critical"},
}};

constexpr std::array<std::pair<AlertState, std::string_view>, 3> kAlertStateNames = {{
    {AlertState::kFiring, "firing"},
    {AlertState::kResolved, "resolved"},
    {AlertState::kPending, "pending"},
}};

template <typename Enum, size_t N>
std::string_view NameOf(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum value) {
  for (const auto& [entry, name] : table) {
    if (entry == value) return name;
  }
  return "unknown";
}

template <typename Enum, size_t N>
std::optional<Enum> ValueOf(const std::array<std::pair<Enum, std::string_view>, N>& table,
                            std::string_view name) {
  for (const auto& [entry, entry_name] : table) {
    if (entry_name == name) return entry;
  }
  return std::nullopt;
}

void WriteTime(JsonWriter& writer, std::string_view key, int64_t ms) {
  writer.Key(key);
  writer.String(FormatIso8601Ms(ms));
}

// Writes `value`, or null when it is empty.
void WriteOptionalString(JsonWriter& writer, std::string_view key, const std::string& value) {
  writer.Key(key);
  if (value.empty()) {
    writer.Null();
  } else {
    writer.String(value);
  }
}

// Writes an ISO 8601 time, or null when `ms` is 0, which means unknown.
void WriteOptionalTime(JsonWriter& writer, std::string_view key, int64_t ms) {
  writer.Key(key);
  if (ms == 0) {
    writer.Null();
  } else {
    writer.String(FormatIso8601Ms(ms));
  }
}

void WriteInt(JsonWriter& writer, std::string_view key, int64_t value) {
  writer.Key(key);
  writer.Int(value);
}

// Writes the plan, arr and owner traits, each null when unknown.
void WriteTraits(JsonWriter& writer, const std::optional<std::string>& plan,
                 const std::optional<double>& arr, const std::optional<std::string>& owner) {
  WriteOptionalString(writer, "plan", plan.value_or(""));
  writer.Key("arr");
  if (arr) {
    writer.Double(*arr);
  } else {
    writer.Null();
  }
  WriteOptionalString(writer, "owner", owner.value_or(""));
}

void WriteAtRiskAccount(JsonWriter& writer, const AtRiskAccount& account) {
  writer.BeginObject();
  writer.Key("account_id");
  writer.String(account.account_id);
  WriteInt(writer, "priority", account.priority);
  WriteTraits(writer, account.plan, account.arr, account.owner);
  writer.Key("open_alerts");
  writer.BeginArray();
  for (const AtRiskAlert& alert : account.open_alerts) {
    writer.BeginObject();
    WriteInt(writer, "id", static_cast<int64_t>(alert.id));
    writer.Key("rule");
    writer.String(alert.rule);
    writer.Key("severity");
    writer.String(NameOf(kSeverityNames, alert.severity));
    WriteOptionalTime(writer, "fired_at", alert.fired_at_ms);
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
}

void WriteStrings(JsonWriter& writer, std::string_view key,
                  const std::vector<std::string>& values) {
  writer.Key(key);
  writer.BeginArray();
  for (const std::string& value : values) writer.String(value);
  writer.EndArray();
}

void WriteStringMap(JsonWriter& writer, std::string_view key,
                    const std::map<std::string, std::string>& values) {
  writer.Key(key);
  writer.BeginObject();
  for (const auto& [name, value] : values) {
    writer.Key(name);
    writer.String(value);
  }
  writer.EndObject();
}

std::string DayDate(int64_t day) {
  // The first ten characters of the ISO 8601 form are YYYY-MM-DD.
  return FormatIso8601Ms(day * 86'400'000).substr(0, 10);
}

void WriteActivity(JsonWriter& writer, const AccountView& view) {
  writer.Key("active_users");
  writer.BeginObject();
  WriteInt(writer, "1d", view.active_users_1d);
  WriteInt(writer, "7d", view.active_users_7d);
  WriteInt(writer, "30d", view.active_users_30d);
  writer.EndObject();

  writer.Key("logins");
  writer.BeginObject();
  WriteInt(writer, "7d", view.logins_7d);
  WriteInt(writer, "30d", view.logins_30d);
  writer.EndObject();
  WriteOptionalTime(writer, "last_login", view.last_login_ms);
  WriteInt(writer, "days_since_last_activity", view.days_since_last_activity);
}

void WriteCountsAndDays(JsonWriter& writer, const AccountView& view) {
  writer.Key("counts");
  writer.BeginObject();
  for (const auto& [name, count] : view.counts) WriteInt(writer, name, count);
  writer.EndObject();
  WriteInt(writer, "uncounted_name_events", view.uncounted_name_events);

  writer.Key("days");
  writer.BeginArray();
  for (const DayActivity& day : view.days) {
    writer.BeginObject();
    writer.Key("date");
    writer.String(DayDate(day.day));
    WriteInt(writer, "events", day.events);
    WriteInt(writer, "logins", day.logins);
    writer.EndObject();
  }
  writer.EndArray();
}

// Writes "route": [{"step", "at", "owner", "webhooks"}], owner null unless
// the step went to a named CSM.
void WriteRoute(JsonWriter& writer, const std::vector<RouteStep>& route) {
  writer.Key("route");
  writer.BeginArray();
  for (const RouteStep& step : route) {
    writer.BeginObject();
    writer.Key("step");
    writer.String(step.step);
    WriteTime(writer, "at", step.at_ms);
    WriteOptionalString(writer, "owner", step.owner);
    WriteStrings(writer, "webhooks", step.webhooks);
    writer.EndObject();
  }
  writer.EndArray();
}

// Reads the field `key` of an alert. The decoder accepts only what
// EncodeAlert writes, so each field is looked up by name in any order.
class AlertReader {
 public:
  explicit AlertReader(ondemand::object& object) : object_(object) {}

  std::optional<std::string> String(std::string_view key) {
    std::string_view text;
    if (object_.find_field_unordered(key).get_string().get(text)) return std::nullopt;
    return std::string(text);
  }

  std::optional<double> Double(std::string_view key) {
    double value = 0;
    if (object_.find_field_unordered(key).get_double().get(value)) return std::nullopt;
    return value;
  }

  std::optional<uint64_t> Uint(std::string_view key) {
    uint64_t value = 0;
    if (object_.find_field_unordered(key).get_uint64().get(value)) return std::nullopt;
    return value;
  }

  // A whole number, or 0 when the key is absent, as in alerts stored before
  // the field existed.
  std::optional<int64_t> OptionalInt(std::string_view key) {
    int64_t value = 0;
    const simdjson::error_code error = object_.find_field_unordered(key).get_int64().get(value);
    if (error == simdjson::NO_SUCH_FIELD) return 0;
    if (error) return std::nullopt;
    return value;
  }

  // A time written by WriteTime, or 0 for null when `nullable`.
  std::optional<int64_t> Time(std::string_view key, bool nullable) {
    ondemand::value value;
    if (object_.find_field_unordered(key).get(value)) return std::nullopt;
    return TimeOf(value, nullable);
  }

  // Like Time with `nullable`, but an absent key, as in alerts stored before
  // the field existed, also reads as 0.
  std::optional<int64_t> OptionalTime(std::string_view key) {
    ondemand::value value;
    const simdjson::error_code error = object_.find_field_unordered(key).get(value);
    if (error == simdjson::NO_SUCH_FIELD) return 0;
    if (error) return std::nullopt;
    return TimeOf(value, /*nullable=*/true);
  }

  // A string, or "" when the key is absent or null, as in alerts stored
  // before the field existed.
  std::optional<std::string> OptionalString(std::string_view key) {
    ondemand::value value;
    const simdjson::error_code error = object_.find_field_unordered(key).get(value);
    if (error == simdjson::NO_SUCH_FIELD) return std::string();
    if (error) return std::nullopt;
    if (value.is_null()) return std::string();
    std::string_view text;
    if (value.get_string().get(text)) return std::nullopt;
    return std::string(text);
  }

  // An object of strings written by WriteStringMap. Alerts stored before
  // labels and annotations existed lack the key, which reads as empty.
  std::optional<std::map<std::string, std::string>> OptionalStringMap(std::string_view key) {
    std::map<std::string, std::string> values;
    ondemand::object map;
    const simdjson::error_code error = object_.find_field_unordered(key).get_object().get(map);
    if (error == simdjson::NO_SUCH_FIELD) return values;
    if (error) return std::nullopt;
    for (auto field : map) {
      std::string_view name;
      std::string_view text;
      if (field.unescaped_key().get(name)) return std::nullopt;
      if (field.value().get_string().get(text)) return std::nullopt;
      values.insert_or_assign(std::string(name), std::string(text));
    }
    return values;
  }

  // The route written by WriteRoute, or empty when the key is absent, as
  // in alerts stored before routing existed.
  std::optional<std::vector<RouteStep>> OptionalRoute(std::string_view key) {
    std::vector<RouteStep> steps;
    ondemand::array array;
    const simdjson::error_code error = object_.find_field_unordered(key).get_array().get(array);
    if (error == simdjson::NO_SUCH_FIELD) return steps;
    if (error) return std::nullopt;
    for (auto element : array) {
      ondemand::object object;
      if (element.get_object().get(object)) return std::nullopt;
      AlertReader step_reader(object);
      auto step = step_reader.String("step");
      const auto at = step_reader.Time("at", /*nullable=*/false);
      auto owner = step_reader.OptionalString("owner");
      auto webhooks = step_reader.Strings("webhooks");
      if (!step || !at || !owner || !webhooks) return std::nullopt;
      steps.push_back({std::move(*step), *at, std::move(*owner), std::move(*webhooks)});
    }
    return steps;
  }

  std::optional<std::vector<std::string>> Strings(std::string_view key) {
    ondemand::array array;
    if (object_.find_field_unordered(key).get_array().get(array)) return std::nullopt;
    std::vector<std::string> values;
    for (auto element : array) {
      std::string_view text;
      if (element.get_string().get(text)) return std::nullopt;
      values.emplace_back(text);
    }
    return values;
  }

 private:
  static std::optional<int64_t> TimeOf(ondemand::value& value, bool nullable) {
    bool is_null = false;
    if (nullable && !value.is_null().get(is_null) && is_null) return 0;
    std::string_view text;
    if (value.get_string().get(text)) return std::nullopt;
    return ParseIso8601Ms(text);
  }

  ondemand::object& object_;
};

std::optional<Alert> ReadAlert(AlertReader& reader) {
  Alert alert;
  const auto id = reader.Uint("id");
  auto rule = reader.String("rule");
  const auto kind = reader.String("kind");
  auto account_id = reader.String("account_id");
  const auto severity = reader.String("severity");
  const auto state = reader.String("state");
  const auto observed = reader.Double("observed");
  const auto threshold = reader.Double("threshold");
  auto summary = reader.String("summary");
  auto evidence = reader.Strings("evidence");
  auto labels = reader.OptionalStringMap("labels");
  auto annotations = reader.OptionalStringMap("annotations");
  const auto priority = reader.OptionalInt("priority");
  auto owner = reader.OptionalString("owner");
  const auto active_since = reader.OptionalTime("active_since");
  const auto fired_at = reader.Time("fired_at", /*nullable=*/true);
  const auto resolved_at = reader.Time("resolved_at", /*nullable=*/true);
  const auto updated_at = reader.Time("updated_at", /*nullable=*/false);
  auto acknowledged_by = reader.OptionalString("acknowledged_by");
  auto acknowledgement_comment = reader.OptionalString("acknowledgement_comment");
  const auto acknowledged_at = reader.OptionalTime("acknowledged_at");
  auto tier = reader.OptionalString("tier");
  auto route = reader.OptionalRoute("route");
  const auto escalated_at = reader.OptionalTime("escalated_at");
  if (!tier || !route || !escalated_at) return std::nullopt;
  if (!id || !rule || !kind || !account_id || !severity || !state || !observed || !threshold ||
      !summary || !evidence || !labels || !annotations || !priority || !owner || !active_since ||
      !fired_at || !resolved_at || !updated_at || !acknowledged_by || !acknowledgement_comment ||
      !acknowledged_at) {
    return std::nullopt;
  }

  const auto kind_value = ValueOf(kRuleKindNames, *kind);
  const auto severity_value = ValueOf(kSeverityNames, *severity);
  const auto state_value = ValueOf(kAlertStateNames, *state);
  if (!kind_value || !severity_value || !state_value) return std::nullopt;

  alert.id = *id;
  alert.rule = std::move(*rule);
  alert.kind = *kind_value;
  alert.account_id = std::move(*account_id);
  alert.severity = *severity_value;
  alert.state = *state_value;
  alert.observed = *observed;
  alert.threshold = *threshold;
  alert.summary = std::move(*summary);
  alert.evidence = std::move(*evidence);
  alert.labels = std::move(*labels);
  alert.annotations = std::move(*annotations);
  alert.priority = static_cast<int>(*priority);
  alert.owner = std::move(*owner);
  alert.active_since_ms = *active_since;
  alert.fired_at_ms = *fired_at;
  alert.resolved_at_ms = *resolved_at;
  alert.updated_at_ms = *updated_at;
  alert.acknowledged_by = std::move(*acknowledged_by);
  alert.acknowledgement_comment = std::move(*acknowledgement_comment);
  alert.acknowledged_at_ms = *acknowledged_at;
  alert.tier = std::move(*tier);
  alert.route = std::move(*route);
  alert.escalated_at_ms = *escalated_at;
  return alert;
}

}  // namespace

std::string EncodeIngestAnswer(size_t accepted, size_t duplicates,
                               std::span<const EventRejection> rejected) {
  JsonWriter writer;
  writer.BeginObject();
  WriteInt(writer, "accepted", static_cast<int64_t>(accepted));
  WriteInt(writer, "duplicates", static_cast<int64_t>(duplicates));
  writer.Key("rejected");
  WriteRejections(writer, rejected);
  writer.EndObject();
  return writer.Release();
}

void WriteRejections(JsonWriter& writer, std::span<const EventRejection> rejected) {
  writer.BeginArray();
  for (const EventRejection& rejection : rejected) {
    writer.BeginObject();
    WriteInt(writer, "index", static_cast<int64_t>(rejection.index));
    writer.Key("error");
    writer.String(rejection.code);
    writer.Key("message");
    writer.String(rejection.message);
    writer.EndObject();
  }
  writer.EndArray();
}

std::string EncodeError(std::string_view code, std::string_view message) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("error");
  writer.String(code);
  writer.Key("message");
  writer.String(message);
  writer.EndObject();
  return writer.Release();
}

std::string EncodeAlert(const Alert& alert) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("id");
  // Alert ids count up from 1 and stay far below 2^63, so the signed writer
  // represents them exactly.
  writer.Int(static_cast<int64_t>(alert.id));
  writer.Key("rule");
  writer.String(alert.rule);
  writer.Key("kind");
  writer.String(NameOf(kRuleKindNames, alert.kind));
  writer.Key("account_id");
  writer.String(alert.account_id);
  writer.Key("severity");
  writer.String(NameOf(kSeverityNames, alert.severity));
  writer.Key("state");
  writer.String(NameOf(kAlertStateNames, alert.state));
  writer.Key("observed");
  writer.Double(alert.observed);
  writer.Key("threshold");
  writer.Double(alert.threshold);
  writer.Key("summary");
  writer.String(alert.summary);
  WriteStrings(writer, "evidence", alert.evidence);

  WriteStringMap(writer, "labels", alert.labels);
  WriteStringMap(writer, "annotations", alert.annotations);
  WriteInt(writer, "priority", alert.priority);
  WriteOptionalString(writer, "owner", alert.owner);
  WriteOptionalTime(writer, "active_since", alert.active_since_ms);
  WriteOptionalTime(writer, "fired_at", alert.fired_at_ms);
  WriteOptionalTime(writer, "resolved_at", alert.resolved_at_ms);
  WriteTime(writer, "updated_at", alert.updated_at_ms);
  WriteOptionalString(writer, "acknowledged_by", alert.acknowledged_by);
  WriteOptionalString(writer, "acknowledgement_comment", alert.acknowledgement_comment);
  WriteOptionalTime(writer, "acknowledged_at", alert.acknowledged_at_ms);
  WriteOptionalString(writer, "tier", alert.tier);
  WriteRoute(writer, alert.route);
  WriteOptionalTime(writer, "escalated_at", alert.escalated_at_ms);
  writer.EndObject();
  return writer.Release();
}

std::optional<Alert> DecodeAlert(std::string_view json) {
  thread_local ondemand::parser parser;
  const simdjson::padded_string padded(json);
  ondemand::document document;
  ondemand::object object;
  if (parser.iterate(padded).get(document) || document.get_object().get(object)) {
    return std::nullopt;
  }
  AlertReader reader(object);
  return ReadAlert(reader);
}

std::string EncodeAccountView(const AccountView& view) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("account_id");
  writer.String(view.account_id);
  WriteTime(writer, "first_seen", view.first_seen_ms);
  WriteTime(writer, "last_seen", view.last_seen_ms);
  WriteOptionalTime(writer, "created_at", view.created_at_ms);
  WriteTime(writer, "start", view.start_ms);
  WriteInt(writer, "event_count", view.event_count);
  WriteInt(writer, "user_count", view.user_count);
  WriteTraits(writer, view.plan, view.arr, view.owner);
  WriteActivity(writer, view);
  WriteStrings(writer, "features_used", view.features_used);
  WriteInt(writer, "adoption_window_days", view.adoption_window_days);
  WriteStrings(writer, "features_in_window", view.features_in_window);
  WriteCountsAndDays(writer, view);
  writer.EndObject();
  return writer.Release();
}

std::string EncodeAtRiskPage(const AtRiskPage& page) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("accounts");
  writer.BeginArray();
  for (const AtRiskAccount& account : page.accounts) WriteAtRiskAccount(writer, account);
  writer.EndArray();
  writer.Key("next_after");
  if (page.next) {
    writer.String(EncodeAtRiskCursor(*page.next));
  } else {
    writer.Null();
  }
  writer.EndObject();
  return writer.Release();
}

std::string EncodeAtRiskCursor(const AtRiskCursor& cursor) {
  constexpr char kHexDigits[] = "0123456789abcdef";
  std::string text = std::to_string(cursor.priority) + ".";
  for (char c : cursor.account_id) {
    const auto byte = static_cast<unsigned char>(c);
    text.push_back(kHexDigits[byte >> 4]);
    text.push_back(kHexDigits[byte & 0xf]);
  }
  return text;
}

std::optional<AtRiskCursor> DecodeAtRiskCursor(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  AtRiskCursor cursor;
  const auto [end, error] = std::from_chars(text.data(), text.data() + dot, cursor.priority);
  if (error != std::errc() || end != text.data() + dot || cursor.priority < 0) return std::nullopt;

  const std::string_view hex = text.substr(dot + 1);
  if (hex.size() % 2 != 0) return std::nullopt;
  for (size_t i = 0; i < hex.size(); i += 2) {
    uint8_t byte = 0;
    const auto [byte_end, byte_error] =
        std::from_chars(hex.data() + i, hex.data() + i + 2, byte, 16);
    if (byte_error != std::errc() || byte_end != hex.data() + i + 2) return std::nullopt;
    cursor.account_id.push_back(static_cast<char>(byte));
  }
  return cursor;
}

}  // namespace uptake
