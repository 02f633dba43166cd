#include "proto/mixpanel.h"

#include <simdjson.h>

#include <optional>
#include <utility>

#include "proto/detail/common_fields.h"
#include "proto/detail/json_values.h"
#include "proto/detail/message_id.h"
#include "proto/detail/request_parser.h"
#include "proto/detail/strict_json.h"
#include "proto/json_writer.h"

namespace uptake {

namespace {

namespace ondemand = simdjson::ondemand;
using detail::IdRead;
using detail::JsonFault;
using detail::Quoted;
using detail::StringRead;

// Mixpanel's time is seconds, but its /import also takes milliseconds.
// Values past 1e11 cannot be seconds (that is the year 5138).
constexpr double kMillisecondsThreshold = 1e11;

// Fields of one event. The views point into the current document, so an
// event is completed before the next NDJSON line is parsed.
struct EventFields {
  bool event_seen = false;
  bool properties_seen = false;
  std::optional<EventRejection> rejection;
  std::string_view name;
  std::optional<std::string_view> properties;
  std::string_view distinct_id;
  std::string_view insert_id;
  std::string_view token;
  std::string_view account;
  std::optional<int64_t> time_ms;
  bool time_seen = false;
  bool distinct_id_seen = false;
  bool insert_id_seen = false;
  bool token_seen = false;
  bool account_seen = false;
};

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

bool StartsWithArray(const std::string& body) {
  const size_t first = body.find_first_not_of(" \t\r\n");
  return first != std::string::npos && body[first] == '[';
}

bool IsNdjsonType(std::string_view content_type) {
  constexpr std::string_view kNdjson = "application/x-ndjson";
  if (content_type.size() < kNdjson.size()) return false;
  for (size_t i = 0; i < kNdjson.size(); ++i) {
    const char c = content_type[i];
    const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kNdjson[i]) return false;
  }
  const std::string_view rest = content_type.substr(kNdjson.size());
  return rest.empty() || rest[0] == ';' || rest[0] == ' ';
}

// Mixpanel's /import limit, which both body formats share.
detail::BatchLimit BatchLimitOf(const IngestLimits& limits) {
  return detail::BatchLimit{limits.max_batch_events, 400, "request"};
}

constexpr detail::NotObjectWording kNotObject = {"event", "The event must be a JSON object."};

class MixpanelParser : public detail::RequestParser {
 public:
  MixpanelParser(int64_t received_ms, const IngestLimits& limits, const MixpanelOptions& options)
      : RequestParser(received_ms, limits), options_(options) {}

  ParsedRequest ParseArray(const std::string& body);
  ParsedRequest ParseNdjson(const std::string& body);

 private:
  // Documents.
  void ParseArrayDocument(ondemand::document& document);
  void ParseLine(simdjson::padded_string_view line, size_t index);
  bool CountEvent();

  // One event object.
  void ParseEvent(ondemand::value item, size_t index, std::string_view raw_line);
  void ParseEventField(ondemand::field& field, EventFields& fields);
  void ParseProperties(ondemand::value value, EventFields& fields);
  JsonFault ParseProperty(ondemand::field& field, EventFields& fields);
  JsonFault ReadIdProperty(ondemand::value value, std::string_view name, std::string_view& target,
                           bool& seen, EventFields& fields);
  JsonFault ReadTime(ondemand::value value, EventFields& fields);
  void CompleteEvent(EventFields& fields, size_t index, size_t event_bytes);
  std::optional<EventRejection> CheckRequiredFields(const EventFields& fields) const;

  const MixpanelOptions& options_;

  size_t event_count_ = 0;
  ParsedRequest out_;
};

ParsedRequest MixpanelParser::ParseArray(const std::string& body) {
  ondemand::document document;
  if (StartDocument(detail::PadJson(body), document, "The body")) ParseArrayDocument(document);
  if (!failed() && event_count_ == 0) {
    Fail("empty_batch", "The body has no events; send a non-empty JSON array.");
  }
  return Finish(std::move(out_));
}

void MixpanelParser::ParseArrayDocument(ondemand::document& document) {
  ondemand::array items;
  if (document.get_array().get(items))
    return Fail("malformed_json", std::string(detail::kInvalidBody));
  event_count_ = ForEachEvent(
      items, detail::kInvalidBody, BatchLimitOf(limits_),
      [this](ondemand::value item, size_t index) { ParseEvent(item, index, /*raw_line=*/{}); });
  if (failed()) return;

  CheckTrailingContent(document, "The body has content after the JSON array; send one array.");
}

ParsedRequest MixpanelParser::ParseNdjson(const std::string& body) {
  thread_local std::string line_buffer;
  const std::string_view text = body;
  size_t start = 0;
  while (start < text.size() && !failed()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (IsBlank(line)) continue;
    if (!CountEvent()) break;

    // Each line is its own document, and simdjson needs padding after it.
    line_buffer.reserve(line.size() + simdjson::SIMDJSON_PADDING);
    line_buffer.assign(line);
    ParseLine(simdjson::padded_string_view(line_buffer.data(), line_buffer.size(),
                                           line_buffer.capacity()),
              event_count_ - 1);
  }
  if (!failed() && event_count_ == 0) {
    Fail("empty_batch", "The body has no events; send one JSON event per line.");
  }
  return Finish(std::move(out_));
}

void MixpanelParser::ParseLine(simdjson::padded_string_view line, size_t index) {
  const std::string line_name = "Line " + std::to_string(index + 1) + " of the body";
  ondemand::document document;
  if (!StartDocument(line, document, line_name)) return;

  ondemand::json_type type;
  ondemand::value item;
  if (document.type().get(type)) return Fail("malformed_json", line_name + " is not valid JSON.");
  if (type != ondemand::json_type::object) {
    // A scalar document cannot be read as a value, so it is checked as text.
    ValidateAsText(line, line_name + " is not valid JSON.");
    if (failed()) return;
    out_.rejected.push_back(
        EventRejection{index, "invalid_event", "The event must be a JSON object."});
    return;
  }
  if (document.get_value().get(item))
    return Fail("malformed_json", line_name + " is not valid JSON.");
  ParseEvent(item, index, line);
  if (failed()) return;

  CheckTrailingContent(document,
                       line_name + " has content after the event; send one event per line.");
}

bool MixpanelParser::CountEvent() {
  const detail::BatchLimit limit = BatchLimitOf(limits_);
  if (event_count_ == limit.max_events) {
    FailTooManyEvents(limit);
    return false;
  }
  ++event_count_;
  return true;
}

// `raw_line` is the whole NDJSON line, or empty for an array item.
void MixpanelParser::ParseEvent(ondemand::value item, size_t index, std::string_view raw_line) {
  const std::string_view start_token = item.raw_json_token();
  EventFields fields;
  const detail::EventRead read =
      VisitEvent(item, index, kNotObject, fields.rejection,
                 [&](ondemand::field& field) { ParseEventField(field, fields); });
  if (read == detail::EventRead::kFailed) return;

  const std::string_view raw =
      raw_line.empty() ? RawTextSince(start_token) : detail::TrimTrailingWhitespace(raw_line);
  CompleteEvent(fields, index, raw.size());
}

void MixpanelParser::ParseEventField(ondemand::field& field, EventFields& fields) {
  const StringRead key = detail::ReadKey(field);
  if (!CheckEventKey(key, field.value(), fields.rejection)) return;

  // A repeated event or properties key rejects the event, because the two
  // values may disagree.
  bool* seen = key.text == "event"        ? &fields.event_seen
               : key.text == "properties" ? &fields.properties_seen
                                          : nullptr;
  if (seen == nullptr) return CheckValue(field.value(), key.text, fields.rejection);
  if (*seen) {
    return RejectDuplicate(key.text, Quoted(key.text) + " appears more than once.", field.value(),
                           fields.rejection);
  }
  *seen = true;
  if (seen == &fields.properties_seen) return ParseProperties(field.value(), fields);

  const IdRead name = detail::ReadName(field.value(), limits_.max_depth);
  AbsorbFault(name.fault, "event", fields.rejection);
  if (name.wrong_type) Reject(fields.rejection, "invalid_event", "'event' must be a string.");
  fields.name = name.text;
}

void MixpanelParser::ParseProperties(ondemand::value value, EventFields& fields) {
  const std::string_view start_token = value.raw_json_token();
  ondemand::object object;
  if (!ExpectObject(value, "properties", /*null_allowed=*/true, fields.rejection)) return;
  if (value.get_object().get(object))
    return Fail("malformed_json", "'properties' is invalid JSON.");

  JsonFault worst = JsonFault::kNone;
  for (auto field_result : object) {
    ondemand::field field;
    if (std::move(field_result).get(field))
      return Fail("malformed_json", "'properties' is invalid JSON.");
    worst = detail::MergeFaults(worst, ParseProperty(field, fields));
    if (worst == JsonFault::kMalformed) break;
  }
  AbsorbFault(worst, "properties", fields.rejection);
  if (failed()) return;

  fields.properties = RawTextSince(start_token);
}

// Reads one property. Inside properties the first occurrence of a key wins.
JsonFault MixpanelParser::ParseProperty(ondemand::field& field, EventFields& fields) {
  const StringRead key = detail::ReadKey(field);
  JsonFault fault = key.fault;
  if (fault != JsonFault::kNone) {
    return detail::MergeFaults(fault, detail::WalkValue(field.value(), 2, limits_.max_depth));
  }

  if (key.text == "distinct_id" && !fields.distinct_id_seen) {
    return ReadIdProperty(field.value(), "properties.distinct_id", fields.distinct_id,
                          fields.distinct_id_seen, fields);
  }
  if (key.text == "$insert_id" && !fields.insert_id_seen) {
    return ReadIdProperty(field.value(), "properties.$insert_id", fields.insert_id,
                          fields.insert_id_seen, fields);
  }
  if (key.text == "token" && !fields.token_seen) {
    return ReadIdProperty(field.value(), "properties.token", fields.token, fields.token_seen,
                          fields);
  }
  if (key.text == "time" && !fields.time_seen) return ReadTime(field.value(), fields);
  if (key.text == options_.account_property && !fields.account_seen) {
    // An account property of another type (an object, a list) names no
    // account, but is kept in the raw properties.
    fields.account_seen = true;
    const IdRead account = detail::ReadId(field.value(), limits_.max_depth);
    if (!account.wrong_type) fields.account = account.text;
    return account.fault;
  }
  return detail::WalkValue(field.value(), /*depth=*/2, limits_.max_depth);
}

JsonFault MixpanelParser::ReadIdProperty(ondemand::value value, std::string_view name,
                                         std::string_view& target, bool& seen,
                                         EventFields& fields) {
  seen = true;
  const IdRead id = detail::ReadId(value, limits_.max_depth);
  if (id.wrong_type) {
    Reject(fields.rejection, "invalid_event", Quoted(name) + " must be a string or a number.");
  }
  target = id.text;
  return id.fault;
}

JsonFault MixpanelParser::ReadTime(ondemand::value value, EventFields& fields) {
  fields.time_seen = true;
  const detail::NumberRead number = detail::ReadNumber(value, limits_.max_depth);
  if (number.wrong_type) {
    Reject(fields.rejection, "invalid_timestamp",
           "'properties.time' must be a number of seconds or milliseconds since the epoch.");
    return number.fault;
  }
  if (!number.number) return number.fault;

  const int scale = *number.number > kMillisecondsThreshold ? 1 : 1000;
  fields.time_ms = detail::EpochToMs(*number.number, scale);
  if (!fields.time_ms) {
    Reject(fields.rejection, "invalid_timestamp",
           "'properties.time' is not a date since the epoch.");
  }
  return number.fault;
}

void MixpanelParser::CompleteEvent(EventFields& fields, size_t index, size_t event_bytes) {
  if (out_.body_write_key.empty()) out_.body_write_key = fields.token;

  std::optional<EventRejection> rejection = FirstRejection(index, event_bytes, fields.rejection);
  if (!rejection) rejection = CheckRequiredFields(fields);

  Event event;
  if (!rejection) {
    event.source = Source::kMixpanel;
    event.type = EventType::kTrack;
    event.name = fields.name;
    event.message_id =
        fields.insert_id.empty() ? detail::GenerateMessageId() : std::string(fields.insert_id);
    event.user_id = fields.distinct_id;
    event.group_id = fields.account;
    event.properties = *fields.properties;
    event.received_ms = received_ms_;
    rejection = detail::SetEventTime(*fields.time_ms, "properties.time", limits_, event);
  }
  AppendEvent(index, std::move(rejection), std::move(event), out_);
}

std::optional<EventRejection> MixpanelParser::CheckRequiredFields(const EventFields& fields) const {
  if (fields.name.empty()) {
    return EventRejection{0, "missing_field", "'event' is missing or empty."};
  }
  if (fields.distinct_id.empty() || !fields.properties) {
    return EventRejection{0, "missing_user", "'properties.distinct_id' is missing or empty."};
  }
  // Mixpanel's /import requires a time, so a missing one is not replaced by
  // the receive time.
  if (!fields.time_ms) {
    return EventRejection{0, "missing_field",
                          "'properties.time' is missing; send seconds or milliseconds since the "
                          "epoch."};
  }
  return std::nullopt;
}

}  // namespace

ParsedRequest ParseMixpanel(const std::string& body, std::string_view content_type,
                            int64_t received_ms, const IngestLimits& limits,
                            const MixpanelOptions& options) {
  if (body.size() > limits.max_request_bytes) {
    return detail::RequestTooLarge(body.size(), limits.max_request_bytes, 400, "");
  }
  MixpanelParser parser(received_ms, limits, options);
  if (IsNdjsonType(content_type) || !StartsWithArray(body)) return parser.ParseNdjson(body);
  return parser.ParseArray(body);
}

std::string EncodeMixpanelAnswer(bool strict, size_t imported,
                                 std::span<const EventRejection> rejected) {
  const bool failed = strict && !rejected.empty();
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("code");
  writer.Int(failed ? 400 : 200);
  if (failed) {
    writer.Key("error");
    writer.String("Some events failed validation and are listed in failed_records.");
  }
  writer.Key("num_records_imported");
  writer.Int(static_cast<int64_t>(imported));
  writer.Key("status");
  writer.String(failed ? "Bad Request" : "OK");

  // Without strict, Mixpanel's response lists no failures. uptake lists them
  // anyway, because a 2xx response must not hide dropped events.
  if (!rejected.empty()) {
    writer.Key("failed_records");
    writer.BeginArray();
    for (const EventRejection& rejection : rejected) {
      writer.BeginObject();
      writer.Key("index");
      writer.Int(static_cast<int64_t>(rejection.index));
      writer.Key("field");
      writer.String(detail::RejectedField(rejection));
      writer.Key("message");
      writer.String(rejection.message);
      writer.Key("error");
      writer.String(rejection.code);
      writer.EndObject();
    }
    writer.EndArray();
  }
  writer.EndObject();
  return writer.Release();
}

}  // namespace uptake
