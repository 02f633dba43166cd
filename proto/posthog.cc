// ParsePostHog: PostHog capture bodies into normalized events.

#include "proto/posthog.h"

#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/detail/json_values.h"
#include "proto/detail/message_id.h"
#include "proto/detail/request_parser.h"
#include "proto/detail/strict_json.h"

namespace uptake {

namespace {

namespace ondemand = simdjson::ondemand;
using detail::Draft;
using detail::IdRead;
using detail::JsonFault;
using detail::Quoted;
using detail::StringRead;

// Keys of an event object. The envelope keys come first: a second
// occurrence of one of them rejects the event, because the two values may
// disagree.
enum class Key : uint8_t {
  kEvent,
  kDistinctId,
  kUuid,
  kTimestamp,
  kSentAt,
  kOffset,
  kProperties,
  kSet,
  kLastEnvelopeKey = kSet,
  kApiKey,
  kToken,
  kBatch,
  kOther,
};

Key ClassifyKey(std::string_view key) {
  static constexpr std::pair<std::string_view, Key> kKeys[] = {
      {"event", Key::kEvent},
      {"distinct_id", Key::kDistinctId},
      {"uuid", Key::kUuid},
      {"timestamp", Key::kTimestamp},
      {"sent_at", Key::kSentAt},
      {"offset", Key::kOffset},
      {"properties", Key::kProperties},
      {"$set", Key::kSet},
      {"api_key", Key::kApiKey},
      {"token", Key::kToken},
      {"batch", Key::kBatch},
  };
  return detail::FindByName(kKeys, key, Key::kOther);
}

// Keys of `properties` that the parser reads. Elsewhere in properties the
// first occurrence of a key wins, as everywhere uptake reads a value.
enum class PropertyKey : uint8_t {
  kDistinctId,
  kDollarDistinctId,
  kToken,
  kGroups,
  kSet,
  kGroupType,
  kGroupKey,
  kGroupSet,
  kAlias,
  kAnonDistinctId,
  kScreenName,
  kOther,
};

PropertyKey ClassifyPropertyKey(std::string_view key) {
  static constexpr std::pair<std::string_view, PropertyKey> kKeys[] = {
      {"distinct_id", PropertyKey::kDistinctId},
      {"$distinct_id", PropertyKey::kDollarDistinctId},
      {"token", PropertyKey::kToken},
      {"$groups", PropertyKey::kGroups},
      {"$set", PropertyKey::kSet},
      {"$group_type", PropertyKey::kGroupType},
      {"$group_key", PropertyKey::kGroupKey},
      {"$group_set", PropertyKey::kGroupSet},
      {"alias", PropertyKey::kAlias},
      {"$anon_distinct_id", PropertyKey::kAnonDistinctId},
      {"$screen_name", PropertyKey::kScreenName},
  };
  return detail::FindByName(kKeys, key, PropertyKey::kOther);
}

// Values read from `properties`. Views point into the body or the parser's
// string buffer and stay valid until the request is finished.
struct PropertyFields {
  uint32_t seen_keys = 0;
  std::string_view ids[static_cast<size_t>(PropertyKey::kGroups)];  // distinct ids, token
  std::string_view group_id;                                        // $groups[group type]
  bool group_seen = false;
  std::optional<std::string_view> set;
  std::string_view group_type;
  std::string_view group_key;
  std::optional<std::string_view> group_set;
  std::optional<int64_t> created_at_ms;
  bool created_at_seen = false;
  std::string_view alias;
  std::string_view anon_distinct_id;
  std::string_view screen_name;
};

// Fields of one event, collected before the checks that need all keys.
struct ItemFields {
  uint32_t seen_keys = 0;
  std::optional<EventRejection> rejection;
  std::string_view event_name;
  std::string_view distinct_id;
  std::string_view uuid;
  std::string_view api_key;
  std::optional<int64_t> timestamp;
  std::optional<int64_t> sent_at;
  bool sent_at_invalid = false;
  std::optional<int64_t> offset_ms;
  std::optional<std::string_view> properties;
  std::optional<std::string_view> set;
  PropertyFields props;
  size_t field_count = 0;
};

constexpr detail::NotObjectWording kNotObject = {"the event", "The event is not a JSON object."};

constexpr detail::DraftMessages kDraftMessages = {
    "The top-level 'sent_at' is not an ISO 8601 date-time string.",
    "The event time",
};

bool IsContainer(ondemand::json_type type) {
  return type == ondemand::json_type::object || type == ondemand::json_type::array;
}

class PostHogParser : public detail::RequestParser {
 public:
  PostHogParser(int64_t received_ms, const IngestLimits& limits, const PostHogOptions& options,
                simdjson::padded_string_view json)
      : RequestParser(received_ms, limits), options_(options), json_(json) {}

  ParsedRequest Parse();

 private:
  // Whole-request steps.
  void ParseDocument(ondemand::document& document);
  void ParseRootObject(ondemand::value root);
  void ParseRootField(ondemand::field& field, ItemFields& root);
  void ParseTopLevelKey(Key key, std::string_view name, ondemand::value value);
  void ParseBatchArray(ondemand::value value, std::string_view name);
  void ParseEvents(ondemand::array events);

  // One event object.
  void ParseItem(ondemand::value item, size_t index);
  void ParseItemField(ondemand::field& field, const StringRead& key, ItemFields& fields);
  void ParseEnvelopeField(Key key, std::string_view name, ondemand::value value,
                          ItemFields& fields);
  void ParseObjectField(Key key, std::string_view name, ondemand::value value, ItemFields& fields);
  void NoteEventKey(const ItemFields& fields);
  Draft CompleteItem(ItemFields& fields, size_t index, size_t event_bytes);
  std::optional<EventRejection> MapEvent(const ItemFields& fields, Event& event) const;

  // Inside properties.
  JsonFault WalkProperties(ondemand::object properties, PropertyFields& props);
  JsonFault ReadProperty(PropertyKey key, ondemand::value value, PropertyFields& props);
  JsonFault WalkGroups(ondemand::value value, PropertyFields& props);
  JsonFault WalkGroupSet(ondemand::object group_set, PropertyFields& props);
  JsonFault ReadRawObject(ondemand::value value, int depth, std::optional<std::string_view>& raw);

  // Values.
  IdRead ReadNestedId(ondemand::value value, int depth);
  void ReadOffset(ondemand::value value, ItemFields& fields);

  const PostHogOptions& options_;
  const simdjson::padded_string_view json_;

  std::string_view api_key_;  // top-level api_key
  std::string_view token_;    // top-level token
  std::string_view first_event_key_;
  bool batch_seen_ = false;
  bool single_event_ = false;  // the root object is the one event
  std::vector<Draft>& drafts_ = detail::ThreadDrafts();
  detail::BatchSentAt batch_sent_at_;
};

ParsedRequest PostHogParser::Parse() {
  ondemand::document document;
  if (StartDocument(json_, document, "The body")) ParseDocument(document);

  ParsedRequest out;
  if (!failed()) {
    std::string_view key = api_key_.empty() ? token_ : api_key_;
    if (key.empty()) key = first_event_key_;
    out.body_write_key = key;
    FinishDrafts(drafts_, batch_sent_at_, kDraftMessages, out);
    out.single_event = single_event_;
  }
  return Finish(std::move(out));
}

void PostHogParser::ParseDocument(ondemand::document& document) {
  ondemand::json_type type;
  if (document.type().get(type)) return Fail("malformed_json", "The body is not valid JSON.");
  if (!IsContainer(type)) {
    // On-Demand cannot visit a scalar document as a value, so it is
    // validated as text.
    ValidateAsText(std::string_view(json_.data(), json_.size()), std::string(detail::kInvalidBody));
    return Fail("invalid_batch", "The body must be a JSON object or an array of events.");
  }

  ondemand::value root;
  if (document.get_value().get(root)) return Fail("malformed_json", "The body is not valid JSON.");
  if (type == ondemand::json_type::object) {
    ParseRootObject(root);
  } else {
    ParseBatchArray(root, "the body");
  }
  if (failed()) return;

  if (drafts_.empty()) {
    return Fail("empty_batch", "The body has no events; send an event or a non-empty 'batch'.");
  }
  CheckTrailingContent(document, "The body has content after the JSON value; send one JSON value.");
}

// The root is either {"batch":[...]} with top-level keys, or a single
// event. Which one is known only once every key is read, so the root's
// event fields are collected either way.
void PostHogParser::ParseRootObject(ondemand::value root_value) {
  const std::string_view start_token = root_value.raw_json_token();
  ondemand::object object;
  if (root_value.get_object().get(object))
    return Fail("malformed_json", "The body is not valid JSON.");

  ItemFields root;
  ForEachField(object, detail::kInvalidBody,
               [&](ondemand::field& field) { ParseRootField(field, root); });
  if (failed()) return;

  if (batch_seen_) {
    batch_sent_at_ = {root.sent_at, root.sent_at_invalid};
    return;
  }
  if (root.field_count == 0) return;  // no events: empty_batch
  single_event_ = true;
  NoteEventKey(root);
  drafts_.push_back(CompleteItem(root, 0, RawTextSince(start_token).size()));
}

void PostHogParser::ParseRootField(ondemand::field& field, ItemFields& root) {
  const StringRead key = detail::ReadKey(field);
  if (key.fault == JsonFault::kMalformed) {
    return Fail("malformed_json", "A top-level key is not a valid JSON string.");
  }
  const Key key_id = key.fault == JsonFault::kNone ? ClassifyKey(key.text) : Key::kOther;
  if (key_id == Key::kBatch) return ParseBatchArray(field.value(), "'batch'");
  if (key_id == Key::kApiKey || key_id == Key::kToken) {
    return ParseTopLevelKey(key_id, key.text, field.value());
  }
  ParseItemField(field, key, root);
}

void PostHogParser::ParseTopLevelKey(Key key, std::string_view name, ondemand::value value) {
  ondemand::json_type type;
  if (value.type().get(type)) return Fail("malformed_json", Quoted(name) + " is invalid JSON.");
  const IdRead read = detail::ReadId(value, limits_.max_depth);
  if (read.fault == JsonFault::kMalformed) {
    return Fail("malformed_json", Quoted(name) + " is invalid JSON.");
  }
  const bool string_or_null =
      type == ondemand::json_type::string || type == ondemand::json_type::null;
  if (read.fault != JsonFault::kNone || !string_or_null) {
    return Fail("invalid_batch", Quoted(name) + " must be a string.");
  }
  std::string_view& target = key == Key::kApiKey ? api_key_ : token_;
  if (target.empty()) target = read.text;
}

void PostHogParser::ParseBatchArray(ondemand::value value, std::string_view name) {
  if (batch_seen_) return Fail("invalid_batch", "The key 'batch' appears more than once.");
  batch_seen_ = true;

  const std::string invalid = std::string(name) + " is invalid JSON.";
  std::optional<ondemand::array> events =
      ReadBatchArray(value, invalid, "'batch' must be a JSON array of events.");
  if (events) ParseEvents(*events);
}

void PostHogParser::ParseEvents(ondemand::array events) {
  // 413, because posthog-node halves its batch on 413, and so recovers.
  const detail::BatchLimit limit{limits_.max_batch_events, 413, "batch"};
  ForEachEvent(events, "The batch is invalid JSON.", limit,
               [this](ondemand::value item, size_t index) { ParseItem(item, index); });
}

void PostHogParser::ParseItem(ondemand::value item, size_t index) {
  ItemFields fields;
  const std::string_view start_token = item.raw_json_token();
  const detail::EventRead read = VisitEvent(
      item, index, kNotObject, fields.rejection,
      [&](ondemand::field& field) { ParseItemField(field, detail::ReadKey(field), fields); });
  if (read == detail::EventRead::kFailed) return;
  if (read == detail::EventRead::kNotObject) {
    drafts_.push_back(detail::RejectedDraft(index, std::move(fields.rejection)));
    return;
  }
  NoteEventKey(fields);
  drafts_.push_back(CompleteItem(fields, index, RawTextSince(start_token).size()));
}

// `key` is the field's key, already read, because On-Demand reads a key
// only once.
void PostHogParser::ParseItemField(ondemand::field& field, const StringRead& key,
                                   ItemFields& fields) {
  ++fields.field_count;
  if (!CheckEventKey(key, field.value(), fields.rejection)) return;

  const Key key_id = ClassifyKey(key.text);
  if (key_id <= Key::kLastEnvelopeKey) {
    const uint32_t bit = 1u << static_cast<unsigned>(key_id);
    if (fields.seen_keys & bit) {
      return RejectDuplicate(key.text, "The key " + Quoted(key.text) + " appears more than once.",
                             field.value(), fields.rejection);
    }
    fields.seen_keys |= bit;
  }
  ParseEnvelopeField(key_id, key.text, field.value(), fields);
}

void PostHogParser::ParseEnvelopeField(Key key, std::string_view name, ondemand::value value,
                                       ItemFields& fields) {
  switch (key) {
    case Key::kProperties:
    case Key::kSet:
      return ParseObjectField(key, name, value, fields);
    case Key::kOffset:
      return ReadOffset(value, fields);
    case Key::kTimestamp:
    case Key::kSentAt: {
      const detail::TimeRead time = detail::ReadTime(value, limits_.max_depth);
      AbsorbFault(time.fault, name, fields.rejection);
      if (time.invalid && key == Key::kSentAt) fields.sent_at_invalid = true;
      if (time.invalid) {
        Reject(fields.rejection, "invalid_timestamp",
               Quoted(name) + " is not an ISO 8601 date-time string.");
      }
      (key == Key::kTimestamp ? fields.timestamp : fields.sent_at) = time.ms;
      return;
    }
    case Key::kEvent:
    case Key::kDistinctId:
    case Key::kUuid:
    case Key::kApiKey:
      break;
    default:
      return CheckValue(value, name, fields.rejection);
  }

  ondemand::json_type type;
  if (value.type().get(type)) return Fail("malformed_json", Quoted(name) + " is invalid JSON.");
  const bool number = type == ondemand::json_type::number;
  const IdRead id = detail::ReadId(value, limits_.max_depth);
  AbsorbFault(id.fault, name, fields.rejection);
  if (key == Key::kDistinctId) {
    if (id.wrong_type)
      Reject(fields.rejection, "invalid_event", Quoted(name) + " must be a string or a number.");
    fields.distinct_id = id.text;
  } else if (key == Key::kApiKey) {
    // An event's own key only matters when the body has no top-level key.
    if (!id.wrong_type && !number) fields.api_key = id.text;
  } else if (id.wrong_type || number) {
    Reject(fields.rejection, "invalid_event", Quoted(name) + " must be a string.");
  } else {
    (key == Key::kEvent ? fields.event_name : fields.uuid) = id.text;
  }
}

void PostHogParser::ParseObjectField(Key key, std::string_view name, ondemand::value value,
                                     ItemFields& fields) {
  const std::string_view start_token = value.raw_json_token();
  if (!ExpectObject(value, name, /*null_allowed=*/true, fields.rejection)) return;

  JsonFault fault = JsonFault::kNone;
  ondemand::object object;
  if (key == Key::kSet) {
    fault = detail::WalkValue(value, /*depth=*/1, limits_.max_depth);
  } else if (value.get_object().get(object)) {
    fault = JsonFault::kMalformed;
  } else {
    fault = WalkProperties(object, fields.props);
  }
  AbsorbFault(fault, name, fields.rejection);
  if (failed()) return;

  (key == Key::kProperties ? fields.properties : fields.set) = RawTextSince(start_token);
}

JsonFault PostHogParser::WalkProperties(ondemand::object properties, PropertyFields& props) {
  return detail::WalkFields(properties, [&](const StringRead& key, ondemand::value value) {
    const PropertyKey key_id =
        key.fault == JsonFault::kNone ? ClassifyPropertyKey(key.text) : PropertyKey::kOther;
    const uint32_t bit = 1u << static_cast<unsigned>(key_id);
    if (key_id == PropertyKey::kOther || (props.seen_keys & bit)) {
      return detail::WalkValue(value, /*depth=*/2, limits_.max_depth);
    }
    props.seen_keys |= bit;
    return ReadProperty(key_id, value, props);
  });
}

JsonFault PostHogParser::ReadProperty(PropertyKey key, ondemand::value value,
                                      PropertyFields& props) {
  switch (key) {
    case PropertyKey::kGroups:
      return WalkGroups(value, props);
    case PropertyKey::kSet:
      return ReadRawObject(value, /*depth=*/2, props.set);
    case PropertyKey::kGroupSet: {
      ondemand::json_type type;
      ondemand::object object;
      if (value.type().get(type)) return JsonFault::kMalformed;
      if (type != ondemand::json_type::object)
        return detail::WalkValue(value, 2, limits_.max_depth);
      const std::string_view start_token = value.raw_json_token();
      if (value.get_object().get(object)) return JsonFault::kMalformed;
      const JsonFault fault = WalkGroupSet(object, props);
      props.group_set = RawTextSince(start_token);
      return fault;
    }
    default:
      break;
  }

  const IdRead id = ReadNestedId(value, /*depth=*/2);
  const std::string_view text = id.wrong_type ? std::string_view() : id.text;
  switch (key) {
    case PropertyKey::kGroupType:
      props.group_type = text;
      break;
    case PropertyKey::kGroupKey:
      props.group_key = text;
      break;
    case PropertyKey::kAlias:
      props.alias = text;
      break;
    case PropertyKey::kAnonDistinctId:
      props.anon_distinct_id = text;
      break;
    case PropertyKey::kScreenName:
      props.screen_name = text;
      break;
    default:  // distinct_id, $distinct_id, token
      props.ids[static_cast<size_t>(key)] = text;
      break;
  }
  return id.fault;
}

// Reads properties.$groups, an object from group type to group key.
JsonFault PostHogParser::WalkGroups(ondemand::value value, PropertyFields& props) {
  ondemand::json_type type;
  ondemand::object groups;
  if (value.type().get(type)) return JsonFault::kMalformed;
  if (type != ondemand::json_type::object) return detail::WalkValue(value, 2, limits_.max_depth);
  if (value.get_object().get(groups)) return JsonFault::kMalformed;

  return detail::WalkFields(groups, [&](const StringRead& key, ondemand::value value) {
    if (key.fault == JsonFault::kNone && key.text == options_.group_type && !props.group_seen) {
      props.group_seen = true;
      const IdRead id = ReadNestedId(value, /*depth=*/3);
      props.group_id = id.wrong_type ? std::string_view() : id.text;
      return id.fault;
    }
    return detail::WalkValue(value, /*depth=*/3, limits_.max_depth);
  });
}

JsonFault PostHogParser::WalkGroupSet(ondemand::object group_set, PropertyFields& props) {
  return detail::WalkFields(group_set, [&](const StringRead& key, ondemand::value value) {
    JsonFault fault = JsonFault::kNone;
    ondemand::json_type type;
    if (value.type().get(type)) return JsonFault::kMalformed;
    const bool created_at = key.text == "created_at" || key.text == "createdAt";
    if (key.fault == JsonFault::kNone && created_at && !props.created_at_seen &&
        !IsContainer(type)) {
      props.created_at_seen = true;
      const detail::CreatedAtRead read = detail::ReadCreatedAt(value, limits_.max_depth);
      props.created_at_ms = read.ms;
      fault = read.fault;
    } else {
      props.created_at_seen = props.created_at_seen || created_at;
      fault = detail::WalkValue(value, /*depth=*/3, limits_.max_depth);
    }
    return fault;
  });
}

// Stores the raw text of an object value. Values of other types are
// validated and left absent.
JsonFault PostHogParser::ReadRawObject(ondemand::value value, int depth,
                                       std::optional<std::string_view>& raw) {
  ondemand::json_type type;
  const std::string_view start_token = value.raw_json_token();
  if (value.type().get(type)) return JsonFault::kMalformed;
  const JsonFault fault = detail::WalkValue(value, depth, limits_.max_depth);
  if (type != ondemand::json_type::object || fault == JsonFault::kMalformed) return fault;
  raw = RawTextSince(start_token);
  return fault;
}

// Reads an id at nesting level `depth`, where containers count toward the
// depth limit.
IdRead PostHogParser::ReadNestedId(ondemand::value value, int depth) {
  ondemand::json_type type;
  if (value.type().get(type)) return {JsonFault::kMalformed, false, {}};
  if (IsContainer(type)) return {detail::WalkValue(value, depth, limits_.max_depth), true, {}};
  return detail::ReadId(value, limits_.max_depth);
}

// Reads `offset`, the milliseconds between the event and the send, which
// posthog-js sends in place of a timestamp.
void PostHogParser::ReadOffset(ondemand::value value, ItemFields& fields) {
  ondemand::json_type type;
  if (value.type().get(type)) return Fail("malformed_json", "'offset' is invalid JSON.");
  if (type == ondemand::json_type::null) {
    return AbsorbFault(detail::CheckScalar(value, type), "offset", fields.rejection);
  }

  double number = 0;
  if (type != ondemand::json_type::number) {
    CheckValue(value, "offset", fields.rejection);
  } else {
    AbsorbFault(detail::CheckScalar(value, type), "offset", fields.rejection);
    if (value.get_double().get(number)) number = NAN;
  }
  // Beyond 1e15 ms (about 31,000 years) the value is not a time span.
  if (type != ondemand::json_type::number || !(std::fabs(number) < 1e15)) {
    return Reject(fields.rejection, "invalid_timestamp",
                  "'offset' is not a number of milliseconds.");
  }
  fields.offset_ms = static_cast<int64_t>(number);
}

// Keeps the first event's key, for bodies without a top-level key.
void PostHogParser::NoteEventKey(const ItemFields& fields) {
  if (!first_event_key_.empty()) return;
  const std::string_view token = fields.props.ids[static_cast<size_t>(PropertyKey::kToken)];
  first_event_key_ = fields.api_key.empty() ? token : fields.api_key;
}

Draft PostHogParser::CompleteItem(ItemFields& fields, size_t index, size_t event_bytes) {
  Draft draft;
  draft.index = index;
  draft.rejection = FirstRejection(index, event_bytes, fields.rejection);
  if (draft.rejection) return draft;
  draft.rejection = MapEvent(fields, draft.event);
  if (draft.rejection) {
    draft.rejection->index = index;
    return draft;
  }

  draft.event.received_ms = received_ms_;
  draft.event_time = fields.timestamp;
  draft.sent_at = fields.sent_at;
  draft.offset_ms = fields.offset_ms;
  return draft;
}

// Maps PostHog's event names to the normalized call types. Returns the
// rejection when a field the type needs is missing.
std::optional<EventRejection> PostHogParser::MapEvent(const ItemFields& fields,
                                                      Event& event) const {
  const PropertyFields& props = fields.props;
  auto rejection = [](const char* code, std::string message) {
    return EventRejection{0, code, std::move(message)};
  };
  if (fields.event_name.empty()) {
    return rejection("missing_field", "The event needs a non-empty 'event' name.");
  }
  std::string_view user = fields.distinct_id;
  if (user.empty()) user = props.ids[static_cast<size_t>(PropertyKey::kDistinctId)];
  if (user.empty()) user = props.ids[static_cast<size_t>(PropertyKey::kDollarDistinctId)];
  if (user.empty()) {
    return rejection("missing_user", "The event has no 'distinct_id'.");
  }

  event.source = Source::kPostHog;
  event.message_id = fields.uuid.empty() ? detail::GenerateMessageId() : std::string(fields.uuid);
  event.user_id = user;
  event.group_id = props.group_id;
  std::optional<std::string_view> raw = fields.properties;
  const std::string_view name = fields.event_name;

  if (name == "$identify") {
    event.type = EventType::kIdentify;
    event.name = "identify";
    event.anonymous_id = props.anon_distinct_id;
    // posthog-node sends $set inside properties, posthog-js beside them.
    raw = props.set ? props.set : fields.set;
  } else if (name == "$groupidentify" && props.group_type == options_.group_type) {
    if (props.group_key.empty()) {
      return rejection("missing_field", "A $groupidentify event needs 'properties.$group_key'.");
    }
    event.type = EventType::kGroup;
    event.name = "group";
    event.group_id = props.group_key;
    event.created_at_ms = props.created_at_ms;
    raw = props.group_set;
  } else if (name == "$create_alias") {
    if (props.alias.empty()) {
      return rejection("missing_field", "A $create_alias event needs 'properties.alias'.");
    }
    event.type = EventType::kAlias;
    event.name = "alias";
    event.previous_id = props.alias;
    raw = std::nullopt;
  } else if (name == "$pageview") {
    event.type = EventType::kPage;
    event.name = "page";
  } else if (name == "$screen") {
    event.type = EventType::kScreen;
    event.name = props.screen_name.empty() ? std::string_view("screen") : props.screen_name;
  } else {
    // Includes $groupidentify of other group types: their group key does
    // not name an account, but properties.$groups still does.
    event.type = EventType::kTrack;
    event.name = name;
  }
  event.properties = raw ? std::string(*raw) : std::string("{}");
  return std::nullopt;
}

}  // namespace

ParsedRequest ParsePostHog(const std::string& body, int64_t received_ms, const IngestLimits& limits,
                           const PostHogOptions& options) {
  if (body.size() > limits.max_posthog_request_bytes) {
    // 413, because PostHog's SDKs halve their batch on 413.
    return detail::RequestTooLarge(body.size(), limits.max_posthog_request_bytes, 413,
                                   "; send smaller batches");
  }
  return PostHogParser(received_ms, limits, options, detail::PadJson(body)).Parse();
}

}  // namespace uptake
