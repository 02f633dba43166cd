// Annotation templates: rule-supplied text whose {{placeholder}} fields are
// filled in for each alert.

#ifndef UPTAKE_METRICS_ALERT_TEMPLATE_H_
#define UPTAKE_METRICS_ALERT_TEMPLATE_H_

#include <optional>
#include <string>
#include <string_view>

namespace uptake {

// The values a template can refer to, by placeholder name.
struct TemplateValues {
  std::string_view account;   // {{account}}, the account id
  std::string_view rule;      // {{rule}}, the rule name
  std::string_view severity;  // {{severity}}, "info", "warning" or "critical"
  double observed = 0;        // {{observed}}, in the rule's unit
  double threshold = 0;       // {{threshold}}, in the rule's unit
  std::string_view state;     // {{state}}, "pending", "firing" or "resolved"
};

// Checks that every "{{" in `text` opens a placeholder that is closed by
// "}}" and names one of account, rule, severity, observed, threshold or
// state. Spaces inside the braces are allowed. Returns nullopt for a valid
// template, or a message that names the first invalid placeholder.
[[nodiscard]] std::optional<std::string> FindTemplateError(std::string_view text);

// Returns `text` with each placeholder replaced by its value. Text that
// FindTemplateError rejects is copied as written from the first invalid
// placeholder on.
std::string RenderTemplate(std::string_view text, const TemplateValues& values);

// Formats an indicator value as alert summaries show it: a whole number
// without decimals, anything else with one decimal.
std::string FormatIndicator(double value);

}  // namespace uptake

#endif  // UPTAKE_METRICS_ALERT_TEMPLATE_H_
