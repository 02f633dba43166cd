#include "server/silence.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "proto/json_writer.h"
#include "proto/time.h"

namespace uptake {
namespace {

constexpr std::string_view kBodyKeys[] = {"matchers", "starts_at", "ends_at", "author", "comment"};
constexpr std::string_view kMatcherKeys[] = {"rule", "account", "severity"};

template <size_t N>
bool IsOneOf(std::string_view key, const std::string_view (&keys)[N]) {
  for (std::string_view known : keys) {
    if (key == known) return true;
  }
  return false;
}

SilenceRequest Invalid(std::string field, std::string message) {
  return SilenceRequest{std::nullopt, std::move(field), std::move(message)};
}

// Reads an optional string field. Returns false when it is present with
// another type; null counts as absent.
bool OptionalString(simdjson::dom::object object, std::string_view key, std::string* value) {
  simdjson::dom::element element;
  if (object[key].get(element) != simdjson::SUCCESS || element.is_null()) return true;
  std::string_view text;
  if (element.get(text) != simdjson::SUCCESS) return false;
  *value = std::string(text);
  return true;
}

// Fills the matchers of `silence` from the "matchers" object, or returns
// the error.
std::optional<SilenceRequest> ReadMatchers(simdjson::dom::object body, Silence& silence) {
  simdjson::dom::object matchers;
  if (body["matchers"].get(matchers) != simdjson::SUCCESS) {
    return Invalid("matchers",
                   "\"matchers\" is required: an object with rule, account or severity.");
  }
  for (auto [key, value] : matchers) {
    if (!IsOneOf(key, kMatcherKeys)) {
      return Invalid(fmt::format("matchers.{}", key),
                     fmt::format("Unknown matcher \"{}\"; use rule, account or severity.", key));
    }
    std::string_view text;
    if (value.get(text) != simdjson::SUCCESS || text.empty()) {
      return Invalid(fmt::format("matchers.{}", key),
                     fmt::format("Matcher \"{}\" must be a non-empty string.", key));
    }
  }
  OptionalString(matchers, "rule", &silence.rule);
  OptionalString(matchers, "account", &silence.account);
  OptionalString(matchers, "severity", &silence.severity);
  if (silence.rule.empty() && silence.account.empty() && silence.severity.empty()) {
    return Invalid("matchers", "Set at least one of matchers.rule, account or severity.");
  }
  if (!silence.severity.empty() && silence.severity != "info" && silence.severity != "warning" &&
      silence.severity != "critical") {
    return Invalid("matchers.severity", "matchers.severity must be info, warning or critical.");
  }
  return std::nullopt;
}

// Reads an ISO 8601 time field into `ms`, leaving it unchanged when the
// field is absent or null. Returns the error, if any.
std::optional<SilenceRequest> ReadTime(simdjson::dom::object body, std::string_view key,
                                       int64_t& ms) {
  std::string text;
  if (!OptionalString(body, key, &text)) {
    return Invalid(std::string(key), fmt::format("\"{}\" must be an ISO 8601 string.", key));
  }
  if (text.empty()) return std::nullopt;
  std::optional<int64_t> parsed = ParseIso8601Ms(text);
  if (!parsed) {
    return Invalid(std::string(key),
                   fmt::format("\"{}\" is not a valid ISO 8601 time: '{}'.", key, text));
  }
  ms = *parsed;
  return std::nullopt;
}

std::optional<SilenceRequest> ReadWindow(simdjson::dom::object body, int64_t now_ms,
                                         Silence& silence) {
  silence.starts_at_ms = now_ms;
  silence.ends_at_ms = 0;
  if (auto error = ReadTime(body, "starts_at", silence.starts_at_ms)) return error;

  simdjson::dom::element ends_at;
  if (body["ends_at"].get(ends_at) != simdjson::SUCCESS || ends_at.is_null()) {
    return Invalid("ends_at", "\"ends_at\" is required: an ISO 8601 time after starts_at.");
  }
  return ReadTime(body, "ends_at", silence.ends_at_ms);
}

std::optional<SilenceRequest> ReadAuthorAndComment(simdjson::dom::object body, Silence& silence) {
  if (!OptionalString(body, "author", &silence.author) || silence.author.empty()) {
    return Invalid("author",
                   "\"author\" is required: who creates the silence, a non-empty string.");
  }
  if (!OptionalString(body, "comment", &silence.comment)) {
    return Invalid("comment", "\"comment\" must be a string.");
  }
  return std::nullopt;
}

}  // namespace

bool Silence::Matches(std::string_view alert_rule, std::string_view alert_account,
                      std::string_view alert_severity) const {
  if (!rule.empty() && rule != alert_rule) return false;
  if (!account.empty() && account != alert_account) return false;
  return severity.empty() || severity == alert_severity;
}

SilenceRequest ParseSilenceRequest(const std::string& body, int64_t now_ms) {
  simdjson::dom::parser parser;
  simdjson::dom::object fields;
  if (parser.parse(body).get(fields) != simdjson::SUCCESS) {
    return Invalid("body", "The body must be a JSON object with matchers, ends_at and author.");
  }
  for (auto [key, value] : fields) {
    if (!IsOneOf(key, kBodyKeys)) {
      return Invalid(
          std::string(key),
          fmt::format("Unknown field \"{}\"; use matchers, starts_at, ends_at, author or "
                      "comment.",
                      key));
    }
  }

  Silence silence;
  if (auto error = ReadMatchers(fields, silence)) return std::move(*error);
  if (auto error = ReadWindow(fields, now_ms, silence)) return std::move(*error);
  if (silence.ends_at_ms <= silence.starts_at_ms) {
    return Invalid("ends_at", "\"ends_at\" must be after starts_at (" +
                                  FormatIso8601Ms(silence.starts_at_ms) + ").");
  }
  if (auto error = ReadAuthorAndComment(fields, silence)) return std::move(*error);
  // Checked here and not in ReadAuthorAndComment, so that a silence stored
  // before the limits existed still loads.
  if (silence.author.size() > kMaxActorBytes) {
    return Invalid("author", fmt::format("\"author\" is longer than {} bytes.", kMaxActorBytes));
  }
  if (silence.comment.size() > kMaxCommentBytes) {
    return Invalid("comment",
                   fmt::format("\"comment\" is longer than {} bytes.", kMaxCommentBytes));
  }
  return SilenceRequest{std::move(silence), {}, {}};
}

std::string EncodeSilence(const Silence& silence, std::optional<int64_t> now_ms) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("id");
  writer.Int(static_cast<int64_t>(silence.id));

  writer.Key("matchers");
  writer.BeginObject();
  if (!silence.rule.empty()) {
    writer.Key("rule");
    writer.String(silence.rule);
  }
  if (!silence.account.empty()) {
    writer.Key("account");
    writer.String(silence.account);
  }
  if (!silence.severity.empty()) {
    writer.Key("severity");
    writer.String(silence.severity);
  }
  writer.EndObject();

  writer.Key("starts_at");
  writer.String(FormatIso8601Ms(silence.starts_at_ms));
  writer.Key("ends_at");
  writer.String(FormatIso8601Ms(silence.ends_at_ms));
  writer.Key("author");
  writer.String(silence.author);
  writer.Key("comment");
  if (silence.comment.empty()) {
    writer.Null();
  } else {
    writer.String(silence.comment);
  }
  writer.Key("created_at");
  writer.String(FormatIso8601Ms(silence.created_at_ms));

  if (now_ms) {
    writer.Key("active");
    writer.Bool(silence.ActiveAt(*now_ms));
  }
  writer.EndObject();
  return writer.Release();
}

std::optional<Silence> DecodeSilence(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object fields;
  if (parser.parse(json.data(), json.size()).get(fields) != simdjson::SUCCESS) return std::nullopt;

  Silence silence;
  if (fields["id"].get(silence.id) != simdjson::SUCCESS) return std::nullopt;
  if (ReadMatchers(fields, silence)) return std::nullopt;
  if (ReadTime(fields, "starts_at", silence.starts_at_ms)) return std::nullopt;
  if (ReadTime(fields, "ends_at", silence.ends_at_ms)) return std::nullopt;
  if (ReadTime(fields, "created_at", silence.created_at_ms)) return std::nullopt;
  if (ReadAuthorAndComment(fields, silence)) return std::nullopt;
  return silence;
}

}  // namespace uptake
