#include "config/yaml_reader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

namespace uptake {
namespace config_internal {
namespace {

// yaml-cpp marks count lines from 0, and an absent node has no mark.
int LineOf(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  return node.Mark().line + 1;
}

// Describes `node` for "expected X, got Y" messages, quoting a scalar so the
// user can find it.
std::string DescribeNode(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";

  constexpr size_t kMaxExcerptLength = 40;
  std::string excerpt = node.Scalar().substr(0, kMaxExcerptLength);
  if (node.Scalar().size() > kMaxExcerptLength) excerpt += "...";
  // yaml-cpp tags a quoted scalar "!" and a plain one "?".
  if (node.Tag() == "!") return "the quoted string \"" + excerpt + "\"";
  return "\"" + excerpt + "\"";
}

bool IsPlainScalar(const YAML::Node& node) { return node.IsScalar() && node.Tag() != "!"; }

bool HasControlCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

std::string JoinChoices(std::span<const std::string_view> choices) {
  std::string joined;
  for (std::string_view choice : choices) {
    if (!joined.empty()) joined += ", ";
    joined += choice;
  }
  return joined;
}

// Parses YAML's plain integer form, an optional sign and decimal digits.
// Hexadecimal, octal and digit separators are rejected as likely typos.
std::optional<int64_t> ParseInteger(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> ParseNumber(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

// A duration as written: a count of units.
struct Duration {
  int64_t count = 0;
  int64_t unit_ms = 1000;
};

// Parses "90s", "30m", "12h" or "3d", or, when `plain`, a bare whole number
// of seconds. A quoted bare number is rejected like a quoted integer.
std::optional<Duration> ParseDuration(std::string_view text, bool plain) {
  constexpr std::array<std::pair<char, int64_t>, 4> kUnits = {{
      {'s', 1000},
      {'m', 60 * 1000},
      {'h', 60 * 60 * 1000},
      {'d', 24 * 60 * 60 * 1000},
  }};

  Duration duration;
  const auto unit = std::find_if(kUnits.begin(), kUnits.end(), [&](const auto& entry) {
    return !text.empty() && text.back() == entry.first;
  });
  if (unit != kUnits.end()) {
    text.remove_suffix(1);
    duration.unit_ms = unit->second;
  } else if (!plain) {
    return std::nullopt;
  }

  // Digits only: a sign, a fraction or a space is not a duration. A count
  // too large for int64 is kept at the maximum so it fails the range check.
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), duration.count);
  if (ec == std::errc::result_out_of_range) duration.count = std::numeric_limits<int64_t>::max();
  return duration;
}

// Writes `ms` in the largest unit that divides it, for example "3650d".
std::string FormatDuration(int64_t ms) {
  if (ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  return std::to_string(ms / 1000) + "s";
}

}  // namespace

const Field* FindField(const FieldMap& fields, std::string_view name) {
  const auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

std::string ChildKey(std::string_view parent, std::string_view name) {
  if (parent.empty()) return std::string(name);
  return std::string(parent) + "." + std::string(name);
}

std::string ItemKey(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

void YamlReader::Fail(int line, std::string key, std::string message) {
  if (error_) return;
  error_ = ConfigError{file_, line, std::move(key), std::move(message)};
}

void YamlReader::FailType(const Field& field, std::string_view expected) {
  Fail(field, "expected " + std::string(expected) + ", got " + DescribeNode(field.value));
}

std::optional<FieldMap> YamlReader::ReadMapping(const Field& field,
                                                std::span<const std::string_view> allowed) {
  return ReadEntries(field, allowed);
}

std::optional<FieldMap> YamlReader::ReadFreeMapping(const Field& field) {
  return ReadEntries(field, std::nullopt);
}

std::optional<FieldMap> YamlReader::ReadEntries(
    const Field& field, std::optional<std::span<const std::string_view>> allowed) {
  FieldMap fields;
  if (!field.value.IsDefined() || field.value.IsNull()) return fields;
  if (!field.value.IsMap()) {
    FailType(field, "a mapping of keys to values");
    return std::nullopt;
  }

  for (const auto& entry : field.value) {
    const YAML::Node& key_node = entry.first;
    const int key_line = LineOf(key_node);
    if (!key_node.IsScalar()) {
      Fail(key_line, field.key, "every key must be a plain string");
      return std::nullopt;
    }

    const std::string& name = key_node.Scalar();
    std::string key = ChildKey(field.key, name);
    if (allowed && std::find(allowed->begin(), allowed->end(), name) == allowed->end()) {
      Fail(key_line, key, "unknown key; expected one of " + JoinChoices(*allowed));
      return std::nullopt;
    }
    // yaml-cpp keeps both entries of a repeated key, and a lookup would
    // silently pick the first, so repeats are rejected here.
    if (fields.contains(name)) {
      Fail(key_line, key,
           "duplicate key; it is already set on line " +
               std::to_string(fields.find(name)->second.line));
      return std::nullopt;
    }

    // An empty value's mark points at the next line, so the key's line is used.
    const YAML::Node& value = entry.second;
    const int line = value.IsNull() ? key_line : LineOf(value);
    fields.emplace(name, Field{std::move(key), value, line});
  }
  return fields;
}

std::optional<std::vector<Field>> YamlReader::ReadSequence(const Field& field) {
  std::vector<Field> items;
  if (!field.value.IsDefined() || field.value.IsNull()) return items;
  if (!field.value.IsSequence()) {
    FailType(field, "a list");
    return std::nullopt;
  }

  for (const YAML::Node& item : field.value) {
    const int line = item.IsNull() ? field.line : LineOf(item);
    items.push_back(Field{ItemKey(field.key, items.size()), item, line});
  }
  return items;
}

const Field* YamlReader::RequireField(const FieldMap& fields, const Field& parent,
                                      std::string_view name, std::string_view reason) {
  const Field* field = FindField(fields, name);
  if (field == nullptr)
    Fail(parent.line, ChildKey(parent.key, name), "missing; " + std::string(reason));
  return field;
}

std::optional<int64_t> YamlReader::ReadIntegerOr(const FieldMap& fields, std::string_view name,
                                                 int64_t min, int64_t max, int64_t fallback) {
  const Field* field = FindField(fields, name);
  if (field == nullptr) return fallback;
  return ReadInteger(*field, min, max);
}

std::optional<int64_t> YamlReader::ReadInteger(const Field& field, int64_t min, int64_t max) {
  std::optional<int64_t> value;
  if (IsPlainScalar(field.value)) value = ParseInteger(field.value.Scalar());
  if (!value) {
    FailType(field, "a whole number");
    return std::nullopt;
  }

  if (*value < min || *value > max) {
    Fail(field, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                    ", got " + std::to_string(*value));
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> YamlReader::ReadDurationMs(const Field& field, int64_t max_ms) {
  std::optional<Duration> duration;
  if (field.value.IsScalar())
    duration = ParseDuration(field.value.Scalar(), IsPlainScalar(field.value));
  if (!duration) {
    FailType(field, "a duration such as 90s, 30m, 12h or 3d, or a whole number of seconds");
    return std::nullopt;
  }

  // Dividing the maximum instead of multiplying the count keeps a huge count
  // from overflowing before it is compared.
  if (duration->count > max_ms / duration->unit_ms) {
    Fail(field, "must be at most " + FormatDuration(max_ms) + ", got " + field.value.Scalar());
    return std::nullopt;
  }
  return duration->count * duration->unit_ms;
}

std::optional<double> YamlReader::ReadNumber(const Field& field) {
  std::optional<double> value;
  if (IsPlainScalar(field.value)) value = ParseNumber(field.value.Scalar());
  if (!value) FailType(field, "a number");
  return value;
}

std::optional<std::string> YamlReader::ReadString(const Field& field) {
  if (!field.value.IsScalar()) {
    FailType(field, "a string");
    return std::nullopt;
  }
  return field.value.Scalar();
}

std::optional<std::string> YamlReader::ReadName(const Field& field) {
  std::optional<std::string> name = ReadString(field);
  if (!name) return std::nullopt;

  if (name->empty()) {
    Fail(field, "must not be empty");
    return std::nullopt;
  }
  if (HasControlCharacter(*name)) {
    Fail(field, "must not contain control characters such as tabs or line breaks");
    return std::nullopt;
  }
  return name;
}

std::optional<std::vector<std::string>> YamlReader::ReadNameList(const Field& field, bool secret) {
  std::optional<std::vector<Field>> items = ReadSequence(field);
  if (!items) return std::nullopt;

  std::vector<std::string> names;
  std::map<std::string, std::string, std::less<>> key_by_name;
  for (const Field& item : *items) {
    std::optional<std::string> name = ReadName(item);
    if (!name) return std::nullopt;

    const auto [it, inserted] = key_by_name.emplace(*name, item.key);
    if (!inserted) {
      const std::string shown_name = secret ? "value" : "\"" + *name + "\"";
      Fail(item, "duplicate " + shown_name + "; it is already listed as " + it->second);
      return std::nullopt;
    }
    names.push_back(std::move(*name));
  }
  return names;
}

std::optional<size_t> YamlReader::ReadChoice(const Field& field,
                                             std::span<const std::string_view> choices) {
  std::optional<std::string> text = ReadString(field);
  if (!text) return std::nullopt;

  const auto it = std::find(choices.begin(), choices.end(), *text);
  if (it == choices.end()) {
    Fail(field, "invalid value \"" + *text + "\"; expected one of " + JoinChoices(choices));
    return std::nullopt;
  }
  return static_cast<size_t>(it - choices.begin());
}

}  // namespace config_internal
}  // namespace uptake
