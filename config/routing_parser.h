// Parses the `routing` list of the configuration. Private to config/.

#ifndef UPTAKE_CONFIG_ROUTING_PARSER_H_
#define UPTAKE_CONFIG_ROUTING_PARSER_H_

#include <optional>
#include <vector>

#include "config/config.h"
#include "config/yaml_reader.h"
#include "metrics/routing.h"

namespace uptake {
namespace config_internal {

// Not thread-safe, and each parser is used once.
class RoutingParser {
 public:
  // `reader` records errors and must outlive the parser. `webhooks` are the
  // configured webhooks, which every tier's webhook names must be among.
  RoutingParser(YamlReader* reader, const std::vector<WebhookConfig>& webhooks)
      : reader_(reader), webhooks_(webhooks) {}

  // Parses a sequence of tier mappings. Returns nullopt after recording the
  // first error in the reader.
  std::optional<std::vector<RoutingTier>> ParseList(const Field& field);

 private:
  std::optional<RoutingTier> ParseTier(const Field& item);
  std::optional<std::vector<std::string>> ParseWebhookNames(const Field& field);
  std::optional<Escalation> ParseEscalation(const Field& field);

  YamlReader* const reader_;
  const std::vector<WebhookConfig>& webhooks_;
};

}  // namespace config_internal
}  // namespace uptake

#endif  // UPTAKE_CONFIG_ROUTING_PARSER_H_
