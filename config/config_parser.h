// Builds a Config from a parsed YAML document. Private to config/.

#ifndef UPTAKE_CONFIG_CONFIG_PARSER_H_
#define UPTAKE_CONFIG_CONFIG_PARSER_H_

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  // In auth_parser.cc.
  bool ParseWriteKeys(const Field& field);
  bool ParseWriteKeyEntry(const Field& item, std::string* key);
  bool ParseRateLimit(const FieldMap& fields, RateLimit* limit);
  bool ParseAuth(const Field* field);
  bool AddTokens(const FieldMap& fields, std::string_view prefix, bool is_write_key,
                 std::vector<std::string>* tokens, bool* given);
  bool ParseAdminToken(const FieldMap& fields, const Field& parent);
  bool CheckCredentialSetsDisjoint(const Field& field);
  bool ParseTls(const Field& field);

  bool ParseLimits(const Field& field);
  bool ParseTransportLimits(const FieldMap& limits);
  bool CheckEventFitsRequest(const FieldMap& limits);
  bool ParseAccounts(const Field& field);
  bool ParseCors(const Field& field);
  bool ParseLog(const Field& field);
  bool ParseIngest(const Field& field);
  bool ParseAlerts(const Field& field);
  // The `storage` section: durability mode and event retention.
  bool ParseStorage(const Field& field);
  bool ParseFeatures(const Field& field);
  std::optional<FeatureDefinition> ParseFeature(const Field& item);

  YamlReader reader_;
  Config config_;
  // Where the write_keys list was, for errors found after it was read.
  std::optional<Field> write_keys_field_;
};

}  // namespace config_internal
}  // namespace uptake

#endif  // UPTAKE_CONFIG_CONFIG_PARSER_H_
