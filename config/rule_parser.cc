#include "config/rule_parser.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "metrics/alert_template.h"

namespace uptake {
namespace config_internal {
namespace {

constexpr std::array<std::string_view, 16> kRuleKeys = {
    "name",
    "kind",
    "severity",
    "min_account_events",
    "days",
    "min_features",
    "events",
    "min_count",
    "activity",
    "percent",
    "min_baseline",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
    "segments",
};

// Keys that every kind accepts.
constexpr std::array<std::string_view, 9> kCommonKeys = {
    "name",   "kind",        "severity", "min_account_events", "for", "keep_firing_for",
    "labels", "annotations", "segments"};

constexpr std::array<std::string_view, 7> kSegmentKeys = {
    "name", "match", "days", "min_features", "min_count", "percent", "min_baseline"};

// The keys of a segment that override one of the rule's thresholds.
constexpr std::array<std::string_view, 5> kThresholdKeys = {"days", "min_features", "min_count",
                                                            "percent", "min_baseline"};

constexpr std::array<std::string_view, 2> kMatchKeys = {"plan", "arr_at_least"};

// Same order as RuleKind.
constexpr std::array<std::string_view, 4> kKindNames = {"feature_adoption", "event_count",
                                                        "inactivity", "login_drop"};

constexpr std::array<std::string_view, 2> kFeatureAdoptionKeys = {"min_features", "days"};
constexpr std::array<std::string_view, 3> kEventCountKeys = {"events", "min_count", "days"};
constexpr std::array<std::string_view, 2> kInactivityKeys = {"days", "activity"};
constexpr std::array<std::string_view, 2> kLoginDropKeys = {"percent", "min_baseline"};

// The keys beyond kCommonKeys that each kind accepts, in the order of RuleKind.
constexpr std::array<std::span<const std::string_view>, 4> kKindKeys = {
    kFeatureAdoptionKeys, kEventCountKeys, kInactivityKeys, kLoginDropKeys};

// Same order as Severity.
constexpr std::array<std::string_view, 3> kSeverityNames = {"info", "warning", "critical"};

constexpr std::array<std::string_view, 2> kActivityNames = {"any", "login"};

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// Upper bound of `for` and keep_firing_for, about ten years. Far longer than
// any useful wait, and it keeps event time plus the duration far from
// int64 overflow.
constexpr int64_t kMaxAlertDurationMs = int64_t{3650} * 86'400'000;
constexpr int64_t kIntMax = std::numeric_limits<int>::max();

bool Contains(std::span<const std::string_view> list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

std::string_view KindName(RuleKind kind) { return kKindNames[static_cast<size_t>(kind)]; }

// Lists the kinds that accept `key`, for example "event_count, inactivity".
std::string KindsAccepting(std::string_view key) {
  std::string kinds;
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (!Contains(kKindKeys[i], key)) continue;
    if (!kinds.empty()) kinds += ", ";
    kinds += kKindNames[i];
  }
  return kinds;
}

// Label and annotation names, as in Prometheus: a letter or underscore,
// then letters, digits and underscores, so any alert receiver accepts them.
bool IsIdentifier(std::string_view name) {
  const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  return !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front())) &&
         std::all_of(name.begin(), name.end(), word);
}

// Returns the entries of `fields` in file order, so the first error reported
// is the first in the file.
std::vector<const Field*> ByLine(const FieldMap& fields) {
  std::vector<const Field*> entries;
  for (const auto& [key, field] : fields) entries.push_back(&field);
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Field* a, const Field* b) { return a->line < b->line; });
  return entries;
}

std::string RequiredBy(RuleKind kind) {
  return "kind " + std::string(KindName(kind)) + " requires it";
}

}  // namespace

std::optional<std::vector<Rule>> RuleParser::ParseList(const Field& field) {
  std::optional<std::vector<Field>> items = reader_->ReadSequence(field);
  if (!items) return std::nullopt;

  for (const Field& item : *items) {
    std::optional<Rule> rule = ParseRule(item);
    if (!rule) return std::nullopt;
    rules_.push_back(std::move(*rule));
  }
  return std::move(rules_);
}

std::optional<Rule> RuleParser::ParseRule(const Field& item) {
  std::optional<FieldMap> fields = reader_->ReadMapping(item, kRuleKeys);
  if (!fields) return std::nullopt;

  Rule rule;
  std::optional<std::string> name = ParseName(*fields, item);
  if (!name) return std::nullopt;
  rule.name = std::move(*name);

  const Field* kind_field = reader_->RequireField(*fields, item, "kind",
                                                  "expected one of feature_adoption, "
                                                  "event_count, inactivity, login_drop");
  if (kind_field == nullptr) return std::nullopt;
  const std::optional<size_t> kind = reader_->ReadChoice(*kind_field, kKindNames);
  if (!kind) return std::nullopt;
  rule.kind = static_cast<RuleKind>(*kind);
  if (!CheckKeysOfKind(*fields, rule.kind)) return std::nullopt;

  if (const Field* field = FindField(*fields, "severity")) {
    const std::optional<size_t> severity = reader_->ReadChoice(*field, kSeverityNames);
    if (!severity) return std::nullopt;
    rule.severity = static_cast<Severity>(*severity);
  }

  const std::optional<int64_t> min_account_events =
      reader_->ReadIntegerOr(*fields, "min_account_events", 0, kInt64Max, rule.min_account_events);
  if (!min_account_events) return std::nullopt;
  rule.min_account_events = *min_account_events;

  std::optional<Rule> with_alert_keys = ParseAlertKeys(*fields, std::move(rule));
  if (!with_alert_keys) return std::nullopt;
  rule = std::move(*with_alert_keys);

  std::optional<Rule> with_kind_keys = ParseKindKeys(*fields, item, std::move(rule));
  if (!with_kind_keys) return std::nullopt;
  return ParseSegments(*fields, std::move(*with_kind_keys));
}

std::optional<Rule> RuleParser::ParseKindKeys(const FieldMap& fields, const Field& item,
                                              Rule rule) {
  switch (rule.kind) {
    case RuleKind::kFeatureAdoption:
      return ParseFeatureAdoption(fields, item, std::move(rule));
    case RuleKind::kEventCount:
      return ParseEventCount(fields, item, std::move(rule));
    case RuleKind::kInactivity:
      return ParseInactivity(fields, item, std::move(rule));
    case RuleKind::kLoginDrop:
      return ParseLoginDrop(fields, item, std::move(rule));
  }
  return std::nullopt;  // unreachable: ReadChoice returned a valid kind
}

std::optional<Rule> RuleParser::ParseSegments(const FieldMap& fields, Rule rule) {
  const Field* field = FindField(fields, "segments");
  if (field == nullptr) return rule;
  std::optional<std::vector<Field>> items = reader_->ReadSequence(*field);
  if (!items) return std::nullopt;

  for (const Field& item : *items) {
    std::optional<Segment> segment = ParseSegment(item, rule);
    if (!segment) return std::nullopt;
    rule.segments.push_back(std::move(*segment));
  }
  return rule;
}

std::optional<Segment> RuleParser::ParseSegment(const Field& item, const Rule& rule) {
  std::optional<FieldMap> fields = reader_->ReadMapping(item, kSegmentKeys);
  if (!fields) return std::nullopt;

  Segment segment;
  const Field* name_field =
      reader_->RequireField(*fields, item, "name", "every segment needs a name for its alerts");
  if (name_field == nullptr) return std::nullopt;
  std::optional<std::string> name = reader_->ReadName(*name_field);
  if (!name) return std::nullopt;
  for (size_t i = 0; i < rule.segments.size(); ++i) {
    if (rule.segments[i].name != *name) continue;
    const std::string parent = item.key.substr(0, item.key.rfind('['));
    reader_->Fail(*name_field, "duplicate segment name \"" + *name + "\"; it is already used by " +
                                   ItemKey(parent, i));
    return std::nullopt;
  }
  segment.name = std::move(*name);

  const Field* match_field =
      reader_->RequireField(*fields, item, "match", "it selects the accounts the segment covers");
  if (match_field == nullptr) return std::nullopt;
  std::optional<SegmentMatch> match = ParseSegmentMatch(*reader_, *match_field);
  if (!match) return std::nullopt;
  segment.match = std::move(*match);

  if (!CheckThresholdKeys(*fields, rule.kind)) return std::nullopt;
  return ParseSegmentThresholds(*fields, std::move(segment));
}

std::optional<SegmentMatch> ParseSegmentMatch(YamlReader& reader, const Field& field) {
  std::optional<FieldMap> fields = reader.ReadMapping(field, kMatchKeys);
  if (!fields) return std::nullopt;
  if (fields->empty()) {
    reader.Fail(field, "must set plan, arr_at_least or both");
    return std::nullopt;
  }

  SegmentMatch match;
  if (const Field* plan = FindField(*fields, "plan")) {
    match.plan = reader.ReadName(*plan);
    if (!match.plan) return std::nullopt;
  }
  if (const Field* arr = FindField(*fields, "arr_at_least")) {
    match.arr_at_least = reader.ReadNumber(*arr);
    if (!match.arr_at_least) return std::nullopt;
    if (*match.arr_at_least < 0) {
      reader.Fail(*arr, "must be 0 or more, got " + arr->value.Scalar());
      return std::nullopt;
    }
  }
  return match;
}

bool RuleParser::CheckThresholdKeys(const FieldMap& fields, RuleKind kind) {
  const Field* misplaced = nullptr;
  for (const auto& [key, field] : fields) {
    if (!Contains(kThresholdKeys, key) || Contains(kKindKeys[static_cast<size_t>(kind)], key)) {
      continue;
    }
    if (misplaced == nullptr || field.line < misplaced->line) misplaced = &field;
  }
  if (misplaced == nullptr) return true;

  const std::string key = misplaced->key.substr(misplaced->key.rfind('.') + 1);
  reader_->Fail(*misplaced, "not a threshold of kind " + std::string(KindName(kind)) +
                                "; it applies to " + KindsAccepting(key));
  return false;
}

std::optional<Segment> RuleParser::ParseSegmentThresholds(const FieldMap& fields, Segment segment) {
  if (const Field* field = FindField(fields, "days")) {
    const std::optional<int64_t> days = reader_->ReadInteger(*field, 1, kIntMax);
    if (!days) return std::nullopt;
    segment.days = static_cast<int>(*days);
  }
  if (const Field* field = FindField(fields, "min_features")) {
    // CheckThresholdKeys let the key through, so the rule is feature_adoption
    // and ParseFeatureAdoption has checked that the catalog is not empty.
    const std::optional<int64_t> min_features =
        reader_->ReadInteger(*field, 1, static_cast<int64_t>(feature_count_));
    if (!min_features) return std::nullopt;
    segment.min_features = static_cast<int>(*min_features);
  }
  if (const Field* field = FindField(fields, "min_count")) {
    segment.min_count = reader_->ReadInteger(*field, 1, kInt64Max);
    if (!segment.min_count) return std::nullopt;
  }
  if (const Field* field = FindField(fields, "percent")) {
    segment.percent = ParsePercent(*field);
    if (!segment.percent) return std::nullopt;
  }
  if (const Field* field = FindField(fields, "min_baseline")) {
    segment.min_baseline = reader_->ReadInteger(*field, 1, kInt64Max);
    if (!segment.min_baseline) return std::nullopt;
  }
  return segment;
}

std::optional<double> RuleParser::ParsePercent(const Field& field) {
  const std::optional<double> percent = reader_->ReadNumber(field);
  if (!percent) return std::nullopt;
  if (*percent <= 0 || *percent > 100) {
    reader_->Fail(field, "must be greater than 0 and at most 100, got " + field.value.Scalar());
    return std::nullopt;
  }
  return percent;
}

std::optional<std::string> RuleParser::ParseName(const FieldMap& fields, const Field& item) {
  const Field* field =
      reader_->RequireField(fields, item, "name", "every rule needs a unique name for its alerts");
  if (field == nullptr) return std::nullopt;
  std::optional<std::string> name = reader_->ReadName(*field);
  if (!name) return std::nullopt;

  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].name != *name) continue;
    reader_->Fail(*field, "duplicate rule name \"" + *name + "\"; it is already used by " +
                              ItemKey("rules", i));
    return std::nullopt;
  }
  return name;
}

bool RuleParser::CheckKeysOfKind(const FieldMap& fields, RuleKind kind) {
  // FieldMap is sorted by key, so the earliest line is searched for to
  // report the first misplaced key in the file.
  const Field* misplaced = nullptr;
  for (const auto& [key, field] : fields) {
    if (Contains(kCommonKeys, key) || Contains(kKindKeys[static_cast<size_t>(kind)], key)) continue;
    if (misplaced == nullptr || field.line < misplaced->line) misplaced = &field;
  }
  if (misplaced == nullptr) return true;

  const std::string key = misplaced->key.substr(misplaced->key.rfind('.') + 1);
  reader_->Fail(*misplaced, "not allowed for kind " + std::string(KindName(kind)) +
                                "; it applies to " + KindsAccepting(key));
  return false;
}

std::optional<Rule> RuleParser::ParseAlertKeys(const FieldMap& fields, Rule rule) {
  if (const Field* field = FindField(fields, "for")) {
    const std::optional<int64_t> for_ms = reader_->ReadDurationMs(*field, kMaxAlertDurationMs);
    if (!for_ms) return std::nullopt;
    rule.for_ms = *for_ms;
  }
  if (const Field* field = FindField(fields, "keep_firing_for")) {
    const std::optional<int64_t> keep_ms = reader_->ReadDurationMs(*field, kMaxAlertDurationMs);
    if (!keep_ms) return std::nullopt;
    rule.keep_firing_for_ms = *keep_ms;
  }

  std::optional<StringMap> labels = ParseStringMap(fields, "labels", /*templates=*/false);
  if (!labels) return std::nullopt;
  rule.labels = std::move(*labels);
  std::optional<StringMap> annotations = ParseStringMap(fields, "annotations", /*templates=*/true);
  if (!annotations) return std::nullopt;
  rule.annotations = std::move(*annotations);
  return rule;
}

std::optional<RuleParser::StringMap> RuleParser::ParseStringMap(const FieldMap& fields,
                                                                std::string_view name,
                                                                bool templates) {
  StringMap values;
  const Field* field = FindField(fields, name);
  if (field == nullptr) return values;
  std::optional<FieldMap> entries = reader_->ReadFreeMapping(*field);
  if (!entries) return std::nullopt;

  for (const Field* entry : ByLine(*entries)) {
    const std::string key = entry->key.substr(field->key.size() + 1);
    if (!IsIdentifier(key)) {
      reader_->Fail(*entry,
                    "invalid name; use letters, digits and underscores, not starting with a digit");
      return std::nullopt;
    }
    std::optional<std::string> value = reader_->ReadString(*entry);
    if (!value) return std::nullopt;
    if (templates) {
      if (std::optional<std::string> error = FindTemplateError(*value)) {
        reader_->Fail(*entry, *error);
        return std::nullopt;
      }
    }
    values.emplace(key, std::move(*value));
  }
  return values;
}

std::optional<Rule> RuleParser::ParseFeatureAdoption(const FieldMap& fields, const Field& item,
                                                     Rule rule) {
  const Field* field = reader_->RequireField(fields, item, "min_features", RequiredBy(rule.kind));
  if (field == nullptr) return std::nullopt;
  if (feature_count_ == 0) {
    reader_->Fail(*field,
                  "the feature catalog is empty; define features before using kind "
                  "feature_adoption");
    return std::nullopt;
  }
  const std::optional<int64_t> min_features =
      reader_->ReadInteger(*field, 1, static_cast<int64_t>(feature_count_));
  if (!min_features) return std::nullopt;
  rule.min_features = static_cast<int>(*min_features);

  const std::optional<int> days = ParseDays(fields, item, rule.kind);
  if (!days) return std::nullopt;
  rule.days = *days;
  return rule;
}

std::optional<Rule> RuleParser::ParseEventCount(const FieldMap& fields, const Field& item,
                                                Rule rule) {
  const Field* events_field = reader_->RequireField(fields, item, "events", RequiredBy(rule.kind));
  if (events_field == nullptr) return std::nullopt;
  std::optional<std::vector<std::string>> events =
      reader_->ReadNameList(*events_field, /*secret=*/false);
  if (!events) return std::nullopt;
  if (events->empty()) {
    reader_->Fail(*events_field, "must list at least one event name");
    return std::nullopt;
  }
  rule.events = std::move(*events);

  const Field* count_field =
      reader_->RequireField(fields, item, "min_count", RequiredBy(rule.kind));
  if (count_field == nullptr) return std::nullopt;
  const std::optional<int64_t> min_count = reader_->ReadInteger(*count_field, 1, kInt64Max);
  if (!min_count) return std::nullopt;
  rule.min_count = *min_count;

  const std::optional<int> days = ParseDays(fields, item, rule.kind);
  if (!days) return std::nullopt;
  rule.days = *days;
  return rule;
}

std::optional<Rule> RuleParser::ParseInactivity(const FieldMap& fields, const Field& item,
                                                Rule rule) {
  const std::optional<int> days = ParseDays(fields, item, rule.kind);
  if (!days) return std::nullopt;
  rule.days = *days;

  const Field* field = FindField(fields, "activity");
  if (field == nullptr) return rule;
  const std::optional<size_t> activity = reader_->ReadChoice(*field, kActivityNames);
  if (!activity) return std::nullopt;
  rule.logins_only = kActivityNames[*activity] == "login";
  if (rule.logins_only && !has_login_events_) {
    reader_->Fail(*field, "login_events is empty, so no event counts as a login");
    return std::nullopt;
  }
  return rule;
}

std::optional<Rule> RuleParser::ParseLoginDrop(const FieldMap& fields, const Field& item,
                                               Rule rule) {
  if (!has_login_events_) {
    // ParseRule has read the kind, so the key is present.
    reader_->Fail(*FindField(fields, "kind"),
                  "login_events is empty, so no event counts as a login");
    return std::nullopt;
  }

  const Field* field = reader_->RequireField(fields, item, "percent", RequiredBy(rule.kind));
  if (field == nullptr) return std::nullopt;
  const std::optional<double> percent = ParsePercent(*field);
  if (!percent) return std::nullopt;
  rule.percent = *percent;

  const std::optional<int64_t> min_baseline =
      reader_->ReadIntegerOr(fields, "min_baseline", 1, kInt64Max, rule.min_baseline);
  if (!min_baseline) return std::nullopt;
  rule.min_baseline = *min_baseline;
  return rule;
}

std::optional<int> RuleParser::ParseDays(const FieldMap& fields, const Field& item, RuleKind kind) {
  const Field* field = reader_->RequireField(fields, item, "days", RequiredBy(kind));
  if (field == nullptr) return std::nullopt;
  const std::optional<int64_t> days = reader_->ReadInteger(*field, 1, kIntMax);
  if (!days) return std::nullopt;
  return static_cast<int>(*days);
}

}  // namespace config_internal
}  // namespace uptake
