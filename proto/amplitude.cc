#include "proto/amplitude.h"

#include <simdjson.h>

#include <optional>
#include <utility>
#include <vector>

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

// Event keys the parser reads. A second occurrence of any of them rejects
// the event, because the two values may disagree.
enum class Field : uint8_t {
  kEventType,
  kUserId,
  kDeviceId,
  kInsertId,
  kTime,
  kGroups,
  kEventProperties,
  kUserProperties,
  kGroupProperties,
  kOther,
};

Field ClassifyField(std::string_view key) {
  static constexpr std::pair<std::string_view, Field> kFields[] = {
      {"event_type", Field::kEventType},
      {"user_id", Field::kUserId},
      {"device_id", Field::kDeviceId},
      {"insert_id", Field::kInsertId},
      {"time", Field::kTime},
      {"groups", Field::kGroups},
      {"event_properties", Field::kEventProperties},
      {"user_properties", Field::kUserProperties},
      {"group_properties", Field::kGroupProperties},
  };
  return detail::FindByName(kFields, key, Field::kOther);
}

// Fields of one event, collected before the checks that need all keys.
// The views point into the parser's buffer.
struct EventFields {
  uint32_t seen_fields = 0;
  std::optional<EventRejection> rejection;
  std::string_view event_type;
  std::string_view user_id;
  std::string_view device_id;
  std::string_view insert_id;
  std::optional<int64_t> time_ms;
  std::string_view group_id;
  std::optional<std::string_view> event_properties;
  std::optional<std::string_view> user_properties;
  std::optional<std::string_view> group_properties;
  std::optional<int64_t> created_at_ms;
  bool created_at_seen = false;
};

constexpr detail::NotObjectWording kNotObject = {"event", "The event must be a JSON object."};

class AmplitudeParser : public detail::RequestParser {
 public:
  AmplitudeParser(simdjson::padded_string_view json, int64_t received_ms,
                  const IngestLimits& limits, const AmplitudeOptions& options)
      : RequestParser(received_ms, limits), json_(json), options_(options) {}

  ParsedRequest Parse();

 private:
  // Whole-request steps.
  void ParseDocument(ondemand::document& document);
  void ParseRoot(ondemand::object root);
  void ParseTopLevelField(std::string_view name, ondemand::value value);
  void ParseApiKey(ondemand::value value);
  void ParseEvents(ondemand::value value);

  // One event object.
  void ParseEvent(ondemand::value item, size_t index);
  void ParseEventField(ondemand::field& field, EventFields& fields);
  void ParseIdField(Field field, std::string_view name, ondemand::value value, EventFields& fields);
  void ParseTime(ondemand::value value, EventFields& fields);
  void ParseGroups(ondemand::value value, EventFields& fields);
  JsonFault ReadGroupValue(ondemand::value value, EventFields& fields);
  void ParseRawObject(std::string_view name, ondemand::value value,
                      std::optional<std::string_view>& target, EventFields& fields);
  JsonFault WalkGroupProperties(ondemand::object object, int depth, EventFields& fields);
  void CompleteEvent(EventFields& fields, size_t index, size_t event_bytes);
  std::optional<EventRejection> CheckRequiredFields(const EventFields& fields) const;
  Event BuildEvent(const EventFields& fields) const;

  const simdjson::padded_string_view json_;
  const AmplitudeOptions& options_;

  bool events_seen_ = false;
  size_t event_count_ = 0;
  ParsedRequest out_;
};

ParsedRequest AmplitudeParser::Parse() {
  ondemand::document document;
  if (StartDocument(json_, document, "The body")) ParseDocument(document);
  return Finish(std::move(out_));
}

void AmplitudeParser::ParseDocument(ondemand::document& document) {
  ondemand::json_type type;
  if (document.type().get(type)) return Fail("malformed_json", "The body is not valid JSON.");
  if (type != ondemand::json_type::object) {
    // Validated first, so that invalid_batch is returned only for valid JSON
    // of the wrong shape.
    ValidateAsText(std::string_view(json_.data(), json_.size()), std::string(detail::kInvalidBody));
    return Fail("invalid_batch", "The body must be a JSON object, not an array or a scalar.");
  }

  ondemand::object root;
  if (document.get_object().get(root)) {
    return Fail("malformed_json", "The body is not valid JSON.");
  }
  ParseRoot(root);
  if (failed()) return;

  CheckTrailingContent(document,
                       "The body has content after the JSON value; send one JSON object.");
  if (failed()) return;
  // An empty batch is reported before a missing key, so that {} reads as
  // empty in every wire format.
  if (!events_seen_ || event_count_ == 0) {
    return Fail("empty_batch", "The body has no events; send a non-empty 'events' array.");
  }
  if (out_.body_write_key.empty()) {
    Fail("missing_api_key", "The body has no 'api_key'; send the project's API key.");
  }
}

void AmplitudeParser::ParseRoot(ondemand::object root) {
  ForEachTopLevelField(root, [this](std::string_view name, ondemand::value value) {
    ParseTopLevelField(name, value);
  });
}

void AmplitudeParser::ParseTopLevelField(std::string_view name, ondemand::value value) {
  if (name == "events") return ParseEvents(value);
  if (name == "api_key") return ParseApiKey(value);

  // options (min_id_length) and unknown keys are validated, then ignored,
  // because uptake stores ids of any length.
  const JsonFault fault = detail::WalkValue(value, /*depth=*/1, limits_.max_depth);
  if (fault == JsonFault::kMalformed) {
    return Fail("malformed_json", Quoted(name) + " is invalid JSON.");
  }
  if (fault != JsonFault::kNone) {
    Fail("invalid_batch", Quoted(name) + " nests deeper than " + std::to_string(limits_.max_depth) +
                              " levels or contains an unpaired surrogate escape.");
  }
}

void AmplitudeParser::ParseApiKey(ondemand::value value) {
  const IdRead key = detail::ReadName(value, limits_.max_depth);
  if (key.fault == JsonFault::kMalformed) {
    return Fail("malformed_json", "'api_key' is invalid JSON.");
  }
  if (key.fault != JsonFault::kNone || key.wrong_type) {
    return Fail("invalid_batch", "'api_key' must be a string.");
  }
  if (out_.body_write_key.empty()) out_.body_write_key = key.text;
}

void AmplitudeParser::ParseEvents(ondemand::value value) {
  if (events_seen_) return Fail("invalid_batch", "The key 'events' appears more than once.");
  events_seen_ = true;

  constexpr std::string_view kInvalid = "'events' is invalid JSON.";
  std::optional<ondemand::array> items =
      ReadBatchArray(value, kInvalid, "'events' must be a JSON array of events.");
  if (!items) return;
  // 413, because Amplitude's SDKs split the batch and resend on 413.
  const detail::BatchLimit limit{limits_.max_amplitude_batch_events, 413, "request"};
  event_count_ = ForEachEvent(*items, kInvalid, limit, [this](ondemand::value item, size_t index) {
    ParseEvent(item, index);
  });
}

void AmplitudeParser::ParseEvent(ondemand::value item, size_t index) {
  const std::string_view start_token = item.raw_json_token();
  EventFields fields;
  const detail::EventRead read =
      VisitEvent(item, index, kNotObject, fields.rejection,
                 [&](ondemand::field& field) { ParseEventField(field, fields); });
  if (read == detail::EventRead::kFailed) return;

  CompleteEvent(fields, index, RawTextSince(start_token).size());
}

void AmplitudeParser::ParseEventField(ondemand::field& field, EventFields& fields) {
  const StringRead key = detail::ReadKey(field);
  if (!CheckEventKey(key, field.value(), fields.rejection)) return;

  const Field id = ClassifyField(key.text);
  if (id != Field::kOther) {
    const uint32_t bit = 1u << static_cast<unsigned>(id);
    if (fields.seen_fields & bit) {
      return RejectDuplicate(key.text, Quoted(key.text) + " appears more than once.", field.value(),
                             fields.rejection);
    }
    fields.seen_fields |= bit;
  }

  switch (id) {
    case Field::kTime:
      return ParseTime(field.value(), fields);
    case Field::kGroups:
      return ParseGroups(field.value(), fields);
    case Field::kEventProperties:
      return ParseRawObject(key.text, field.value(), fields.event_properties, fields);
    case Field::kUserProperties:
      return ParseRawObject(key.text, field.value(), fields.user_properties, fields);
    case Field::kGroupProperties:
      return ParseRawObject(key.text, field.value(), fields.group_properties, fields);
    case Field::kOther:
      // library, platform, os_name and the other device fields are kept
      // by neither uptake nor its aggregates, but must still be valid.
      return CheckValue(field.value(), key.text, fields.rejection);
    default:
      return ParseIdField(id, key.text, field.value(), fields);
  }
}

void AmplitudeParser::ParseIdField(Field field, std::string_view name, ondemand::value value,
                                   EventFields& fields) {
  // Ids may be numbers, as in the other wire formats, but the name may not.
  const bool is_name = field == Field::kEventType;
  const IdRead id = is_name ? detail::ReadName(value, limits_.max_depth)
                            : detail::ReadId(value, limits_.max_depth);
  AbsorbFault(id.fault, name, fields.rejection);
  if (id.wrong_type) {
    Reject(fields.rejection, "invalid_event",
           Quoted(name) + (is_name ? " must be a string." : " must be a string or a number."));
  }

  switch (field) {
    case Field::kEventType:
      fields.event_type = id.text;
      break;
    case Field::kUserId:
      fields.user_id = id.text;
      break;
    case Field::kDeviceId:
      fields.device_id = id.text;
      break;
    default:
      fields.insert_id = id.text;
      break;
  }
}

// time is a number of milliseconds. A seconds value is not scaled: read
// as milliseconds it falls in January 1970, and the age limit rejects it
// before it can count as activity.
void AmplitudeParser::ParseTime(ondemand::value value, EventFields& fields) {
  const detail::NumberRead number = detail::ReadNumber(value, limits_.max_depth);
  AbsorbFault(number.fault, "time", fields.rejection);
  if (number.wrong_type) {
    return Reject(fields.rejection, "invalid_timestamp",
                  "'time' must be a number of milliseconds since the Unix epoch.");
  }
  if (!number.number) return;

  fields.time_ms = detail::EpochToMs(*number.number, /*scale=*/1);
  if (!fields.time_ms) {
    Reject(fields.rejection, "invalid_timestamp",
           "'time' is not a date in milliseconds since the epoch.");
  }
}

void AmplitudeParser::ParseGroups(ondemand::value value, EventFields& fields) {
  ondemand::object groups;
  if (!ExpectObject(value, "groups", /*null_allowed=*/true, fields.rejection)) return;
  if (value.get_object().get(groups)) {
    return Fail("malformed_json", "'groups' is invalid JSON.");
  }

  JsonFault worst = JsonFault::kNone;
  bool account_seen = false;
  for (auto field_result : groups) {
    ondemand::field field;
    if (std::move(field_result).get(field))
      return Fail("malformed_json", "'groups' is invalid JSON.");
    const StringRead key = detail::ReadKey(field);
    worst = detail::MergeFaults(worst, key.fault);

    JsonFault fault;
    if (key.fault == JsonFault::kNone && key.text == options_.group_type && !account_seen) {
      // As inside properties, the first occurrence of the key wins.
      account_seen = true;
      fault = ReadGroupValue(field.value(), fields);
    } else {
      fault = detail::WalkValue(field.value(), /*depth=*/2, limits_.max_depth);
    }
    worst = detail::MergeFaults(worst, fault);
    if (worst == JsonFault::kMalformed) break;
  }
  AbsorbFault(worst, "groups", fields.rejection);
}

// Reads a group value. It is a string, a number, or an array of them whose
// first element names the account, since a user may belong to several
// groups of one type.
JsonFault AmplitudeParser::ReadGroupValue(ondemand::value value, EventFields& fields) {
  const std::string message =
      "'groups." + options_.group_type + "' must be a string, a number or an array of them.";
  ondemand::json_type type;
  if (value.type().get(type)) return JsonFault::kMalformed;
  if (type != ondemand::json_type::array) {
    const IdRead id = detail::ReadId(value, limits_.max_depth);
    if (id.wrong_type) Reject(fields.rejection, "invalid_event", message);
    fields.group_id = id.text;
    return id.fault;
  }

  ondemand::array array;
  if (value.get_array().get(array)) return JsonFault::kMalformed;
  JsonFault worst = JsonFault::kNone;
  bool first = true;
  for (auto element_result : array) {
    ondemand::value element;
    if (std::move(element_result).get(element)) return JsonFault::kMalformed;
    if (!first) {
      worst = detail::MergeFaults(worst, detail::WalkValue(element, 3, limits_.max_depth));
    } else {
      const IdRead id = detail::ReadId(element, limits_.max_depth);
      if (id.wrong_type) Reject(fields.rejection, "invalid_event", message);
      fields.group_id = id.text;
      worst = detail::MergeFaults(worst, id.fault);
      first = false;
    }
    if (worst == JsonFault::kMalformed) return worst;
  }
  return worst;
}

void AmplitudeParser::ParseRawObject(std::string_view name, ondemand::value value,
                                     std::optional<std::string_view>& target, EventFields& fields) {
  const std::string_view start_token = value.raw_json_token();
  if (!ExpectObject(value, name, /*null_allowed=*/true, fields.rejection)) return;

  JsonFault fault = JsonFault::kNone;
  ondemand::object object;
  if (&target != &fields.group_properties) {
    fault = detail::WalkValue(value, /*depth=*/1, limits_.max_depth);
  } else if (value.get_object().get(object)) {
    fault = JsonFault::kMalformed;
  } else {
    fault = WalkGroupProperties(object, /*depth=*/2, fields);
  }
  AbsorbFault(fault, name, fields.rejection);
  if (failed()) return;

  target = RawTextSince(start_token);
}

// Visits group properties whose values are at nesting level `depth`, and
// reads the account's start time from created_at or createdAt, at the top
// level or inside the $set operation. The first one found wins.
JsonFault AmplitudeParser::WalkGroupProperties(ondemand::object object, int depth,
                                               EventFields& fields) {
  return detail::WalkFields(object, [&](const StringRead& key, ondemand::value value) {
    ondemand::json_type type;
    if (value.type().get(type)) return JsonFault::kMalformed;

    const bool readable = key.fault == JsonFault::kNone;
    const bool created_at = readable && (key.text == "created_at" || key.text == "createdAt");
    const bool set_operation =
        readable && depth == 2 && key.text == "$set" && type == ondemand::json_type::object;
    JsonFault fault = JsonFault::kNone;
    ondemand::object set;
    if (created_at && !fields.created_at_seen) {
      fields.created_at_seen = true;
      const detail::CreatedAtRead read = detail::ReadCreatedAt(value, limits_.max_depth);
      fields.created_at_ms = read.ms;
      fault = read.fault;
    } else if (set_operation) {
      fault = value.get_object().get(set) ? JsonFault::kMalformed
                                          : WalkGroupProperties(set, depth + 1, fields);
    } else {
      fault = detail::WalkValue(value, depth, limits_.max_depth);
    }
    return fault;
  });
}

void AmplitudeParser::CompleteEvent(EventFields& fields, size_t index, size_t event_bytes) {
  std::optional<EventRejection> rejection = FirstRejection(index, event_bytes, fields.rejection);
  if (!rejection) rejection = CheckRequiredFields(fields);

  Event event;
  if (!rejection) {
    event = BuildEvent(fields);
    if (fields.time_ms) {
      rejection = detail::SetEventTime(*fields.time_ms, "time", limits_, event);
    }
  }
  AppendEvent(index, std::move(rejection), std::move(event), out_);
}

std::optional<EventRejection> AmplitudeParser::CheckRequiredFields(
    const EventFields& fields) const {
  if (fields.user_id.empty() && fields.device_id.empty()) {
    return EventRejection{0, "missing_user",
                          "'user_id' and 'device_id' are both missing; send at least one."};
  }
  if (fields.event_type.empty()) {
    return EventRejection{0, "missing_field", "'event_type' is missing or empty."};
  }
  return std::nullopt;
}

Event AmplitudeParser::BuildEvent(const EventFields& fields) const {
  Event event;
  event.source = Source::kAmplitude;
  event.message_id =
      fields.insert_id.empty() ? detail::GenerateMessageId() : std::string(fields.insert_id);
  event.user_id = fields.user_id.empty() ? fields.device_id : fields.user_id;
  event.anonymous_id = fields.device_id;
  event.group_id = fields.group_id;
  event.received_ms = received_ms_;
  event.timestamp_ms = received_ms_;

  std::optional<std::string_view> properties = fields.event_properties;
  if (fields.event_type == "$identify") {
    event.type = EventType::kIdentify;
    event.name = "identify";
    properties = fields.user_properties;
  } else if (fields.event_type == "$groupidentify" && !fields.group_id.empty()) {
    event.type = EventType::kGroup;
    event.name = "group";
    event.created_at_ms = fields.created_at_ms;
    properties = fields.group_properties;
  } else {
    // A $groupidentify of another group type does not name the account, so
    // it is kept as a plain event.
    event.type = EventType::kTrack;
    event.name = fields.event_type;
    if (fields.event_type == "$groupidentify") properties = fields.group_properties;
  }
  event.properties = properties ? std::string(*properties) : std::string("{}");
  return event;
}

// Writes Amplitude's map from a field name to the indices of the events
// whose field was invalid, or missing when `missing` is set, in the order
// the fields first appear.
void WriteEventsByField(JsonWriter& writer, std::string_view key,
                        std::span<const EventRejection> rejected, bool missing) {
  std::vector<std::pair<std::string_view, std::vector<size_t>>> by_field;
  for (const EventRejection& rejection : rejected) {
    const bool is_missing = rejection.code == "missing_field" || rejection.code == "missing_user";
    if (is_missing != missing) continue;
    const std::string_view field = detail::RejectedField(rejection);
    auto it = by_field.begin();
    while (it != by_field.end() && it->first != field) ++it;
    if (it == by_field.end()) it = by_field.insert(it, {field, {}});
    it->second.push_back(rejection.index);
  }

  writer.Key(key);
  writer.BeginObject();
  for (const auto& [field, indices] : by_field) {
    writer.Key(field);
    writer.BeginArray();
    for (size_t index : indices) writer.Int(static_cast<int64_t>(index));
    writer.EndArray();
  }
  writer.EndObject();
}

void WriteRejected(JsonWriter& writer, std::span<const EventRejection> rejected) {
  writer.Key("rejected");
  writer.BeginArray();
  for (const EventRejection& rejection : rejected) {
    writer.BeginObject();
    writer.Key("index");
    writer.Int(static_cast<int64_t>(rejection.index));
    writer.Key("error");
    writer.String(rejection.code);
    writer.Key("message");
    writer.String(rejection.message);
    writer.EndObject();
  }
  writer.EndArray();
}

}  // namespace

bool IsAmplitudeBody(const std::string& body) {
  thread_local ondemand::parser parser;
  ondemand::document document;
  ondemand::object root;
  if (parser.iterate(detail::PadJson(body)).get(document)) return false;
  if (document.get_object().get(root)) return false;

  bool has_events = false;
  for (auto field_result : root) {
    ondemand::field field;
    std::string_view key;
    if (std::move(field_result).get(field) || field.unescaped_key().get(key)) return false;
    // A body with a "batch" key is PostHog's, even when it has "events" too.
    if (key == "batch") return false;
    ondemand::json_type type;
    if (key == "events" && !field.value().type().get(type)) {
      has_events = has_events || type == ondemand::json_type::array;
    }
  }
  return has_events;
}

ParsedRequest ParseAmplitude(const std::string& body, int64_t received_ms,
                             const IngestLimits& limits, const AmplitudeOptions& options) {
  if (body.size() > limits.max_amplitude_request_bytes) {
    // 413, because Amplitude's SDKs split the batch and resend on 413.
    return detail::RequestTooLarge(body.size(), limits.max_amplitude_request_bytes, 413,
                                   "; split it into smaller requests");
  }
  return AmplitudeParser(detail::PadJson(body), received_ms, limits, options).Parse();
}

std::string EncodeAmplitudeSuccess(size_t events_ingested, size_t payload_size_bytes,
                                   int64_t server_upload_time_ms, size_t duplicates,
                                   std::span<const EventRejection> rejected) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("code");
  writer.Int(200);
  writer.Key("events_ingested");
  writer.Int(static_cast<int64_t>(events_ingested));
  writer.Key("payload_size_bytes");
  writer.Int(static_cast<int64_t>(payload_size_bytes));
  writer.Key("server_upload_time");
  writer.Int(server_upload_time_ms);
  writer.Key("duplicates");
  writer.Int(static_cast<int64_t>(duplicates));
  WriteRejected(writer, rejected);
  if (!rejected.empty()) {
    WriteEventsByField(writer, "events_with_invalid_fields", rejected, /*missing=*/false);
    WriteEventsByField(writer, "events_with_missing_fields", rejected, /*missing=*/true);
  }
  writer.EndObject();
  return writer.Release();
}

std::string EncodeAmplitudeError(const RequestError& error) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("code");
  writer.Int(error.http_status);
  writer.Key("error");
  writer.String(error.message);
  writer.Key("error_code");
  writer.String(error.code);
  // Amplitude names the missing top-level field of a request in this key.
  if (error.code == "missing_api_key") {
    writer.Key("missing_field");
    writer.String("api_key");
  } else if (error.code == "empty_batch") {
    writer.Key("missing_field");
    writer.String("events");
  }
  writer.EndObject();
  return writer.Release();
}

}  // namespace uptake
