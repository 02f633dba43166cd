// Typed, validating reads from a yaml-cpp document. Private to config/.

#ifndef UPTAKE_CONFIG_YAML_READER_H_
#define UPTAKE_CONFIG_YAML_READER_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace uptake {
namespace config_internal {

// One value in the document together with where it came from.
struct Field {
  std::string key;   // dotted path, for example "rules[2].days"
  YAML::Node value;  // may be a Null node for "key:" with nothing after it
  int line = 0;      // 1-based line of the value, or of its key when the value is empty
};

// Fields of one mapping, by key name.
using FieldMap = std::map<std::string, Field, std::less<>>;

// Returns the field named `name`, or nullptr when the key is absent.
const Field* FindField(const FieldMap& fields, std::string_view name);

// Returns "parent.name", or "name" at the top level.
std::string ChildKey(std::string_view parent, std::string_view name);

// Returns "parent[index]".
std::string ItemKey(std::string_view parent, size_t index);

// Reads typed values out of one document and keeps the first error found, so
// that the error reported is the earliest one the user has to fix. Every
// Read* function returns nullopt after recording an error; callers stop at
// the first nullopt. Not thread-safe, so each file gets its own reader.
class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  YamlReader(const YamlReader&) = delete;
  YamlReader& operator=(const YamlReader&) = delete;

  // Records an error unless one is already recorded.
  void Fail(int line, std::string key, std::string message);
  void Fail(const Field& field, std::string message) { Fail(field.line, field.key, message); }

  bool failed() const { return error_.has_value(); }
  const std::optional<ConfigError>& error() const { return error_; }

  // Reads a mapping whose keys must be plain strings, unique, and listed in
  // `allowed`. An absent or empty `field` gives an empty map.
  std::optional<FieldMap> ReadMapping(const Field& field,
                                      std::span<const std::string_view> allowed);

  // Reads a mapping whose keys are plain strings and unique, but otherwise
  // free, such as a rule's labels. An absent or empty `field` gives an
  // empty map.
  std::optional<FieldMap> ReadFreeMapping(const Field& field);

  // Reads a sequence into one Field per item, keyed "parent[index]". An absent
  // or empty `field` gives an empty list.
  std::optional<std::vector<Field>> ReadSequence(const Field& field);

  // Returns the field named `name` of the mapping `parent`, or records that it
  // is missing, with `reason` telling why it is required, and returns nullptr.
  const Field* RequireField(const FieldMap& fields, const Field& parent, std::string_view name,
                            std::string_view reason);

  // Reads a plain (unquoted) integer within [min, max].
  std::optional<int64_t> ReadInteger(const Field& field, int64_t min, int64_t max);

  // Reads the integer under `name` like ReadInteger, or returns `fallback`
  // when the key is absent.
  std::optional<int64_t> ReadIntegerOr(const FieldMap& fields, std::string_view name, int64_t min,
                                       int64_t max, int64_t fallback);

  // Reads a duration in milliseconds, written as a whole number followed by
  // s, m, h or d ("90s", "30m", "12h", "3d"), or as a plain whole number of
  // seconds. Rejects values above `max_ms`.
  std::optional<int64_t> ReadDurationMs(const Field& field, int64_t max_ms);

  // Reads a plain (unquoted) decimal number. The caller checks the range.
  std::optional<double> ReadNumber(const Field& field);

  // Reads any scalar as text.
  std::optional<std::string> ReadString(const Field& field);

  // Reads a non-empty scalar without control characters: an event name, a
  // feature id, a rule name or a write key.
  std::optional<std::string> ReadName(const Field& field);

  // Reads a sequence of names, rejecting repeats. `secret` keeps the values
  // out of error messages.
  std::optional<std::vector<std::string>> ReadNameList(const Field& field, bool secret);

  // Reads one of `choices` and returns its index.
  std::optional<size_t> ReadChoice(const Field& field, std::span<const std::string_view> choices);

 private:
  // Records an error saying that `field` is not a scalar of the `expected` kind.
  void FailType(const Field& field, std::string_view expected);

  // ReadMapping and ReadFreeMapping. Without `allowed`, any key is accepted.
  std::optional<FieldMap> ReadEntries(const Field& field,
                                      std::optional<std::span<const std::string_view>> allowed);

  std::string file_;
  std::optional<ConfigError> error_;
};

}  // namespace config_internal
}  // namespace uptake

#endif  // UPTAKE_CONFIG_YAML_READER_H_
