#include "bench/gh_event.h"

#include <array>
#include <utility>

#include "bench/iso_time.h"

namespace uptake {
namespace {

namespace ondemand = simdjson::ondemand;

struct TypeCode {
  std::string_view code;
  std::string_view name;
};

// The codes of the mikeal/min-gharchive minimizer.
constexpr std::array<TypeCode, 14> kTypeCodes = {{
    {"pr", "PullRequestEvent"},
    {"issue", "IssuesEvent"},
    {"push", "PushEvent"},
    {"del", "DeleteEvent"},
    {"create", "CreateEvent"},
    {"icomment", "IssueCommentEvent"},
    {"fork", "ForkEvent"},
    {"public", "PublicEvent"},
    {"watch", "WatchEvent"},
    {"golem", "GollumEvent"},
    {"prcomment", "PullRequestReviewCommentEvent"},
    {"release", "ReleaseEvent"},
    {"member", "MemberEvent"},
    {"ccomment", "CommitCommentEvent"},
}};

std::string FieldError(std::string_view field, simdjson::error_code code) {
  return "invalid field \"" + std::string(field) + "\": " + simdjson::error_message(code);
}

// Reads a string, or a number kept as its text, because GH Archive ids are
// strings but a number would identify the event just as well.
simdjson::error_code ReadIdText(ondemand::value value, std::string* text) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  std::string_view view;
  if (type == ondemand::json_type::number) {
    // The raw token may carry the whitespace that follows it.
    view = value.raw_json_token();
    view = view.substr(0, view.find_first_of(" \t\r\n"));
  } else if (auto error = value.get_string().get(view)) {
    return error;
  }
  text->assign(view);
  return simdjson::SUCCESS;
}

// Reads `value` as a string, or as an object's member `member` when the
// full record shape nests it ({"login": ...}, {"name": ...}). A null object
// leaves `text` empty.
simdjson::error_code ReadNestedString(ondemand::value value, std::string_view member,
                                      std::string* text) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  if (type == ondemand::json_type::null) return simdjson::SUCCESS;

  std::string_view view;
  if (type == ondemand::json_type::object) {
    if (auto error = value.find_field_unordered(member).get_string().get(view)) return error;
  } else if (auto error = value.get_string().get(view)) {
    return error;
  }
  text->assign(view);
  return simdjson::SUCCESS;
}

simdjson::error_code ReadType(ondemand::value value, std::string* type) {
  std::string_view text;
  if (auto error = value.get_string().get(text)) return error;
  const std::string_view expanded = ExpandTypeCode(text);
  type->assign(expanded.empty() ? text : expanded);
  return simdjson::SUCCESS;
}

simdjson::error_code ReadTime(ondemand::value value, int64_t* time_ms) {
  std::string_view text;
  if (auto error = value.get_string().get(text)) return error;
  const std::optional<int64_t> parsed = ParseIsoTime(text);
  if (!parsed) return simdjson::INCORRECT_TYPE;
  *time_ms = *parsed;
  return simdjson::SUCCESS;
}

// Full records keep the action and the push size inside "payload".
simdjson::error_code ReadPayload(ondemand::value value, GhEvent* event) {
  ondemand::object payload;
  if (value.get_object().get(payload))
    return simdjson::SUCCESS;  // some records carry "payload": null

  for (auto field : payload) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return error;
    if (key == "action") {
      std::string_view action;
      if (field.value().get_string().get(action) == simdjson::SUCCESS) event->action = action;
    } else if (key == "size") {
      int64_t size = 0;
      if (field.value().get_int64().get(size) == simdjson::SUCCESS) event->commits = size;
    }
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ReadField(std::string_view key, ondemand::value value, GhEvent* event) {
  if (key == "id") return ReadIdText(value, &event->id);
  if (key == "type") return ReadType(value, &event->type);
  if (key == "actor") return ReadNestedString(value, "login", &event->actor);
  if (key == "repo") return ReadNestedString(value, "name", &event->repo);
  if (key == "org") return ReadNestedString(value, "login", &event->org);
  if (key == "dt" || key == "created_at") return ReadTime(value, &event->time_ms);
  if (key == "payload") return ReadPayload(value, event);
  if (key == "commits") {
    int64_t commits = 0;
    if (auto error = value.get_int64().get(commits)) return error;
    event->commits = commits;
    return simdjson::SUCCESS;
  }
  if (key == "action") {
    std::string_view action;
    if (auto error = value.get_string().get(action)) return error;
    event->action = action;
  }
  // Other fields ("age", "public", ...) are not replayed. On-Demand skips them.
  return simdjson::SUCCESS;
}

std::optional<std::string> FindMissingField(const GhEvent& event) {
  if (event.id.empty()) return "missing field \"id\"";
  if (event.type.empty()) return "missing field \"type\"";
  if (event.actor.empty()) return "missing field \"actor\"";
  if (event.repo.empty()) return "missing field \"repo\"";
  if (event.time_ms == 0) return "missing field \"dt\" or \"created_at\"";
  return std::nullopt;
}

}  // namespace

std::string_view GhEvent::Account() const {
  if (!org.empty()) return org;
  const std::string_view name(repo);
  return name.substr(0, name.find('/'));
}

std::string_view ExpandTypeCode(std::string_view code) {
  for (const TypeCode& entry : kTypeCodes) {
    if (entry.code == code) return entry.name;
  }
  return {};
}

Result<GhEvent> GhEventParser::Parse(std::string_view line, size_t readable_bytes) {
  ondemand::document document;
  const simdjson::padded_string_view input(line.data(), line.size(), readable_bytes);
  if (auto error = parser_.iterate(input).get(document)) {
    return Result<GhEvent>::Error(std::string("invalid JSON: ") + simdjson::error_message(error));
  }
  ondemand::object object;
  if (auto error = document.get_object().get(object)) {
    return Result<GhEvent>::Error(std::string("invalid JSON object: ") +
                                  simdjson::error_message(error));
  }

  GhEvent event;
  for (auto field : object) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) {
      return Result<GhEvent>::Error(FieldError("<key>", error));
    }
    ondemand::value value;
    if (auto error = field.value().get(value)) {
      return Result<GhEvent>::Error(FieldError(key, error));
    }
    if (auto error = ReadField(key, value, &event)) {
      return Result<GhEvent>::Error(FieldError(key, error));
    }
  }

  if (std::optional<std::string> missing = FindMissingField(event)) {
    return Result<GhEvent>::Error(std::move(*missing));
  }
  return Result<GhEvent>::Ok(std::move(event));
}

}  // namespace uptake
