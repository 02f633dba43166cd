#include "bench/alert_line.h"

#include <cctype>

#include <simdjson.h>

#include "bench/terminal_text.h"

namespace uptake {
namespace {

namespace ondemand = simdjson::ondemand;

struct AlertFields {
  std::string state;
  std::string change;  // set on stream messages: fired, escalated, acknowledged, resolved
  std::string severity;
  std::string rule;
  std::string account_id;
  std::string summary;
};

// Stores the string members the line shows. Members of other types (for
// example a null "resolved_at") are skipped.
simdjson::error_code ReadAlertFields(ondemand::object object, AlertFields* fields) {
  for (auto field : object) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return error;
    std::string* target = key == "state"        ? &fields->state
                          : key == "change"     ? &fields->change
                          : key == "severity"   ? &fields->severity
                          : key == "rule"       ? &fields->rule
                          : key == "account_id" ? &fields->account_id
                          : key == "summary"    ? &fields->summary
                                                : nullptr;
    std::string_view text;
    if (target != nullptr && field.value().get_string().get(text) == simdjson::SUCCESS) {
      target->assign(text);
    }
  }
  return simdjson::SUCCESS;
}

std::string ToUpper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

Result<std::string> FormatAlertLine(std::string_view message) {
  const simdjson::padded_string padded(message);
  ondemand::parser parser;
  ondemand::document document;
  ondemand::object object;
  AlertFields fields;

  simdjson::error_code error = parser.iterate(padded).get(document);
  if (!error) error = document.get_object().get(object);
  if (!error) error = ReadAlertFields(object, &fields);
  if (error) {
    return Result<std::string>::Error(std::string("invalid alert JSON: ") +
                                      simdjson::error_message(error));
  }
  if (fields.state.empty() || fields.rule.empty() || fields.account_id.empty()) {
    return Result<std::string>::Error(
        "not an alert: missing \"state\", \"rule\" or \"account_id\"");
  }

  // An acknowledgement or escalation leaves the alert firing, so its state
  // alone would print a second FIRING line for it.
  const bool firing_change = fields.change == "acknowledged" || fields.change == "escalated";
  const std::string label = ToUpper(firing_change ? fields.change : fields.state);
  const std::string separator = "  ";
  // The fields come from clients (an account id is whatever a tracking call
  // sent), so a control character in one must not end the line or reach
  // the terminal.
  return Result<std::string>::Ok(EscapeForTerminal(label + separator + fields.severity + separator +
                                                   fields.rule + separator + fields.account_id +
                                                   separator + fields.summary));
}

Result<std::vector<std::string>> FormatResyncLines(std::string_view message) {
  using Lines = Result<std::vector<std::string>>;
  simdjson::dom::parser parser;
  simdjson::dom::object resync;
  std::string_view type;
  if (parser.parse(message.data(), message.size()).get(resync) || resync["type"].get(type) ||
      type != "resync") {
    return Lines::Error("not a resync message");
  }
  uint64_t seq = 0;
  std::string_view reason;
  simdjson::dom::array open_alerts;
  if (resync["seq"].get(seq) || resync["reason"].get(reason) ||
      resync["open_alerts"].get(open_alerts)) {
    return Lines::Error("invalid resync message: missing \"seq\", \"reason\" or \"open_alerts\"");
  }

  std::vector<std::string> lines;
  lines.push_back("RESYNC  after seq " + std::to_string(seq) + "  " + EscapeForTerminal(reason));
  for (simdjson::dom::element alert : open_alerts) {
    Result<std::string> line = FormatAlertLine(simdjson::minify(alert));
    if (!line.ok()) return Lines::Error(line.error());
    lines.push_back(line.value());
  }
  return Lines::Ok(std::move(lines));
}

}  // namespace uptake
