// Parses the `webhooks` list of the configuration. Private to config/.

#ifndef UPTAKE_CONFIG_WEBHOOK_PARSER_H_
#define UPTAKE_CONFIG_WEBHOOK_PARSER_H_

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/yaml_reader.h"
#include "metrics/rule.h"

namespace uptake {
namespace config_internal {

// Not thread-safe, and each parser is used once.
class WebhookParser {
 public:
  // `reader` records errors and must outlive the parser. `rules` are the
  // configured rules, which `match.rule` must name one of.
  WebhookParser(YamlReader* reader, const std::vector<Rule>& rules)
      : reader_(reader), rules_(rules) {}

  // Parses a sequence of webhook mappings. Returns nullopt after recording
  // the first error in the reader.
  std::optional<std::vector<WebhookConfig>> ParseList(const Field& field);

 private:
  std::optional<WebhookConfig> ParseWebhook(const Field& item);
  bool ParseUrl(const Field& field, WebhookConfig* webhook);
  bool ParseSecret(const FieldMap& fields, const Field& item, WebhookConfig* webhook);
  // Reads `ca_file`; needs the URL parsed first, because only https takes it.
  bool ParseCaFile(const FieldMap& fields, WebhookConfig* webhook);
  bool ParseNotify(const FieldMap& fields, WebhookConfig* webhook);
  bool ParseMatch(const FieldMap& fields, WebhookConfig* webhook);

  YamlReader* const reader_;
  const std::vector<Rule>& rules_;
};

}  // namespace config_internal
}  // namespace uptake

#endif  // UPTAKE_CONFIG_WEBHOOK_PARSER_H_
