// Parses the `rules` list of the configuration. Private to config/.

#ifndef UPTAKE_CONFIG_RULE_PARSER_H_
#define UPTAKE_CONFIG_RULE_PARSER_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/yaml_reader.h"
#include "metrics/rule.h"

namespace uptake {
namespace config_internal {

// Reads a segment or tier condition: a mapping with plan, arr_at_least or
// both. Returns nullopt after recording an error in `reader`.
std::optional<SegmentMatch> ParseSegmentMatch(YamlReader& reader, const Field& field);

// Checks each rule against its kind and against the catalog it will run
// with. Not thread-safe, and each parser is used once.
class RuleParser {
 public:
  // `reader` records errors and must outlive the parser. `feature_count` is
  // the size of the catalog, and `has_login_events` is whether any event
  // counts as a login.
  RuleParser(YamlReader* reader, size_t feature_count, bool has_login_events)
      : reader_(reader), feature_count_(feature_count), has_login_events_(has_login_events) {}

  // Parses a sequence of rule mappings. Returns nullopt after recording the
  // first error in the reader.
  std::optional<std::vector<Rule>> ParseList(const Field& field);

 private:
  std::optional<Rule> ParseRule(const Field& item);
  std::optional<std::string> ParseName(const FieldMap& fields, const Field& item);
  bool CheckKeysOfKind(const FieldMap& fields, RuleKind kind);

  using StringMap = std::map<std::string, std::string>;

  // Reads the keys of the alert lifecycle that every kind accepts: `for`,
  // keep_firing_for, labels and annotations.
  std::optional<Rule> ParseAlertKeys(const FieldMap& fields, Rule rule);

  // Reads the optional mapping `name` of identifier keys to strings. With
  // `templates`, each value must be a valid annotation template.
  std::optional<StringMap> ParseStringMap(const FieldMap& fields, std::string_view name,
                                          bool templates);

  // Each reads the keys of one kind into `rule` and returns it, or nullopt
  // after recording an error.
  std::optional<Rule> ParseFeatureAdoption(const FieldMap& fields, const Field& item, Rule rule);
  std::optional<Rule> ParseEventCount(const FieldMap& fields, const Field& item, Rule rule);
  std::optional<Rule> ParseInactivity(const FieldMap& fields, const Field& item, Rule rule);
  std::optional<Rule> ParseLoginDrop(const FieldMap& fields, const Field& item, Rule rule);

  // Reads the keys of the rule's kind into `rule` and returns it.
  std::optional<Rule> ParseKindKeys(const FieldMap& fields, const Field& item, Rule rule);

  // Reads the optional `segments` list into `rule`, after its kind's keys,
  // because each segment's thresholds are checked against the kind.
  std::optional<Rule> ParseSegments(const FieldMap& fields, Rule rule);
  std::optional<Segment> ParseSegment(const Field& item, const Rule& rule);

  // Rejects a segment's threshold key that the rule's kind does not have.
  bool CheckThresholdKeys(const FieldMap& fields, RuleKind kind);
  std::optional<Segment> ParseSegmentThresholds(const FieldMap& fields, Segment segment);

  // Reads a login_drop percentage, greater than 0 and at most 100.
  std::optional<double> ParsePercent(const Field& field);

  // Reads the required `days` key.
  std::optional<int> ParseDays(const FieldMap& fields, const Field& item, RuleKind kind);

  YamlReader* const reader_;
  const size_t feature_count_;
  const bool has_login_events_;

  // Rules parsed so far, to find repeated names.
  std::vector<Rule> rules_;
};

}  // namespace config_internal
}  // namespace uptake

#endif  // UPTAKE_CONFIG_RULE_PARSER_H_
