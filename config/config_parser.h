// Builds a Config from a parsed YAML document. Private to config/.

#ifndef UPTAKE_CONFIG_CONFIG_PARSER_H_
#define UPTAKE_CONFIG_CONFIG_PARSER_H_

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace uptake {
namespace config_internal {

// Parses one document of one file. Not thread-safe, and each parser is used
// once.
class ConfigParser {
 public:
  explicit ConfigParser(std::string file) : reader_(std::move(file)) {}

  // Applies the document `root` over the built-in defaults and validates
  // it. Returns the first error; an empty document leaves every default.
  [[nodiscard]] std::optional<ConfigError> Parse(const YAML::Node& root);

  // The configuration built by a Parse call that returned no error.
  const Config& config() const { return config_; }

 private:
  // Each Parse* below returns false after recording an error in reader_.
  bool ParseServer(const FieldMap& top);
  bool ParseListen(const Field& field);
  bool ParseWriteKeys(const Field& field);
  bool ParseLimits(const Field& field);
  bool CheckEventFitsRequest(const FieldMap& limits);
  bool ParseAccounts(const Field& field);
  bool ParseCors(const Field& field);
  bool ParseLog(const Field& field);
  bool ParseIngest(const Field& field);
  bool ParseAlerts(const Field& field);
  bool ParseFeatures(const Field& field);
  std::optional<FeatureDefinition> ParseFeature(const Field& item);

  YamlReader reader_;
  Config config_;
};

}  // namespace config_internal
}  // namespace uptake

#endif  // UPTAKE_CONFIG_CONFIG_PARSER_H_
