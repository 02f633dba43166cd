#include "proto/segment.h"

#include <simdjson.h>

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
using detail::GenerateMessageId;
using detail::IdRead;
using detail::JsonFault;
using detail::Quoted;
using detail::StringRead;
using detail::TimeRead;

// Keys the parser reads. The envelope keys come first: a second occurrence
// of one of them rejects the event, because the two values may disagree.
enum class Key : uint8_t {
  kType,
  kMessageId,
  kUserId,
  kAnonymousId,
  kGroupId,
  kEvent,
  kTimestamp,
  kSentAt,
  kPreviousId,
  kProperties,
  kTraits,
  kContext,
  kOriginalTimestamp,
  kLastEnvelopeKey = kOriginalTimestamp,
  kName,
  kWriteKey,
  kOther,
};

Key ClassifyKey(std::string_view key) {
  static constexpr std::pair<std::string_view, Key> kKeys[] = {
      {"type", Key::kType},
      {"messageId", Key::kMessageId},
      {"userId", Key::kUserId},
      {"anonymousId", Key::kAnonymousId},
      {"groupId", Key::kGroupId},
      {"event", Key::kEvent},
      {"timestamp", Key::kTimestamp},
      {"sentAt", Key::kSentAt},
      {"previousId", Key::kPreviousId},
      {"properties", Key::kProperties},
      {"traits", Key::kTraits},
      {"context", Key::kContext},
      {"originalTimestamp", Key::kOriginalTimestamp},
      {"name", Key::kName},
      {"writeKey", Key::kWriteKey},
      {"write_key", Key::kWriteKey},
  };
  return detail::FindByName(kKeys, key, Key::kOther);
}

std::optional<EventType> EventTypeFromName(std::string_view name) {
  static constexpr std::pair<std::string_view, EventType> kTypes[] = {
      {"track", EventType::kTrack},   {"identify", EventType::kIdentify},
      {"group", EventType::kGroup},   {"page", EventType::kPage},
      {"screen", EventType::kScreen}, {"alias", EventType::kAlias},
  };
  for (const auto& [type_name, type] : kTypes) {
    if (name == type_name) return type;
  }
  return std::nullopt;
}

EventType EventTypeOfCall(SegmentCall call) {
  switch (call) {
    case SegmentCall::kIdentify:
      return EventType::kIdentify;
    case SegmentCall::kGroup:
      return EventType::kGroup;
    case SegmentCall::kPage:
      return EventType::kPage;
    case SegmentCall::kScreen:
      return EventType::kScreen;
    case SegmentCall::kAlias:
      return EventType::kAlias;
    default:
      return EventType::kTrack;
  }
}

// Fields of one batch item, collected before the checks that need all keys.
struct ItemFields {
  uint32_t seen_keys = 0;
  std::optional<EventRejection> rejection;
  bool has_type = false;
  std::optional<EventType> type;
  std::string_view message_id;
  std::string_view user_id;
  std::string_view anonymous_id;
  std::string_view group_id;
  std::string_view previous_id;
  std::string_view event_name;
  std::optional<std::string_view> page_name;
  std::optional<std::string_view> properties;
  std::optional<std::string_view> traits;
  std::string_view context_group_id;
  bool context_group_seen = false;
  std::optional<int64_t> created_at_ms;
  bool created_at_seen = false;
  std::optional<int64_t> timestamp;
  std::optional<int64_t> original_timestamp;
  std::optional<int64_t> sent_at;
  size_t field_count = 0;
};

constexpr detail::DraftMessages kDraftMessages = {
    "The batch 'sentAt' is not an ISO 8601 date-time string.",
    "'timestamp'",
};

constexpr detail::NotObjectWording kNotObject = {"the event", "The event is not a JSON object."};

// Drafts wait for the batch-level sentAt and context as well, since both
// may follow the batch array in the body.
class SegmentParser : public detail::RequestParser {
 public:
  SegmentParser(SegmentCall call, int64_t received_ms, const IngestLimits& limits,
                simdjson::padded_string_view json)
      : RequestParser(received_ms, limits), call_(call), json_(json) {}

  ParsedRequest Parse();

 private:
  // Whole-request steps.
  void ParseDocument(ondemand::document& document);
  void ParseBatchEnvelope(ondemand::object root);
  void ParseBatchArray(ondemand::value value);
  void ParseBatchContext(ondemand::value value);
  void ParseTopLevelField(Key key, std::string_view name, ondemand::value value);

  // One event object.
  void ParseItem(ondemand::value item, size_t index, bool is_root);
  void ParseItemField(ondemand::field& field, ItemFields& fields, bool is_root);
  void ParseEnvelopeField(Key key, std::string_view name, ondemand::value value,
                          ItemFields& fields);
  void ParseRawObjectField(Key key, std::string_view name, ondemand::value value,
                           ItemFields& fields);
  JsonFault WalkContext(ondemand::object context, std::string_view& group_id, bool& seen);
  JsonFault WalkTraits(ondemand::object traits, ItemFields& fields);
  // Fills `draft`, which the caller has placed in drafts_, so the event is
  // built where it stays.
  void CompleteItem(ItemFields& fields, size_t index, size_t event_bytes, Draft& draft);
  std::optional<EventRejection> CheckRequiredFields(const ItemFields& fields, EventType type,
                                                    size_t index) const;

  // Values.
  IdRead ReadId(ondemand::value value);
  TimeRead ReadTime(ondemand::value value);
  std::optional<int64_t> ReadCreatedAt(ondemand::value value, JsonFault& fault);

  const SegmentCall call_;
  const simdjson::padded_string_view json_;

  std::string body_write_key_;
  bool batch_seen_ = false;
  std::vector<Draft>& drafts_ = detail::ThreadDrafts();
  std::string_view batch_group_id_;
  bool batch_group_seen_ = false;
  detail::BatchSentAt batch_sent_at_;
};

ParsedRequest SegmentParser::Parse() {
  ondemand::document document;
  if (StartDocument(json_, document, "The body")) ParseDocument(document);

  ParsedRequest out;
  if (!failed()) {
    out.body_write_key = std::move(body_write_key_);
    for (Draft& draft : drafts_) {
      if (draft.event.group_id.empty()) draft.event.group_id = batch_group_id_;
    }
    FinishDrafts(drafts_, batch_sent_at_, kDraftMessages, out);
  }
  return Finish(std::move(out));
}

void SegmentParser::ParseDocument(ondemand::document& document) {
  ondemand::json_type type;
  if (document.type().get(type)) {
    Fail("malformed_json", "The body is not valid JSON.");
    return;
  }
  if (type != ondemand::json_type::object) {
    // Validated first, so that invalid_batch is returned only for valid JSON
    // of the wrong shape.
    ValidateAsText(std::string_view(json_.data(), json_.size()), std::string(detail::kInvalidBody));
    return Fail("invalid_batch", "The body must be a JSON object, not an array or a scalar.");
  }

  if (call_ == SegmentCall::kBatch) {
    ondemand::object root;
    if (document.get_object().get(root)) {
      Fail("malformed_json", "The body is not valid JSON.");
      return;
    }
    ParseBatchEnvelope(root);
  } else {
    ondemand::value root;
    if (document.get_value().get(root)) {
      Fail("malformed_json", "The body is not valid JSON.");
      return;
    }
    ParseItem(root, /*index=*/0, /*is_root=*/true);
  }
  if (failed()) return;

  CheckTrailingContent(document,
                       "The body has content after the JSON value; send one JSON object.");
}

void SegmentParser::ParseBatchEnvelope(ondemand::object root) {
  ForEachTopLevelField(root, [this](std::string_view name, ondemand::value value) {
    ParseTopLevelField(ClassifyKey(name), name, value);
  });
  if (failed()) return;
  if (!batch_seen_ || drafts_.empty()) {
    Fail("empty_batch", "The body has no events; send a non-empty 'batch' array.");
  }
}

void SegmentParser::ParseTopLevelField(Key key, std::string_view name, ondemand::value value) {
  if (name == "batch") return ParseBatchArray(value);
  if (key == Key::kContext) return ParseBatchContext(value);

  if (key == Key::kSentAt) {
    const TimeRead sent_at = ReadTime(value);
    if (sent_at.fault == JsonFault::kMalformed)
      return Fail("malformed_json", "'sentAt' is invalid JSON.");
    batch_sent_at_ = {sent_at.ms, sent_at.invalid};
    return;
  }
  if (key == Key::kWriteKey) {
    const IdRead write_key = ReadId(value);
    if (write_key.fault == JsonFault::kMalformed)
      return Fail("malformed_json", "The write key is invalid JSON.");
    if (write_key.fault != JsonFault::kNone || write_key.wrong_type) {
      return Fail("invalid_batch", Quoted(name) + " must be a string.");
    }
    if (body_write_key_.empty()) body_write_key_ = write_key.text;
    return;
  }

  // integrations and unknown keys are accepted and ignored once validated.
  const JsonFault fault = detail::WalkValue(value, /*depth=*/1, limits_.max_depth);
  if (fault == JsonFault::kMalformed) return Fail("malformed_json", "The body is not valid JSON.");
  if (fault != JsonFault::kNone) {
    Fail("invalid_batch", Quoted(name) + " nests deeper than " + std::to_string(limits_.max_depth) +
                              " levels or contains an unpaired surrogate escape.");
  }
}

void SegmentParser::ParseBatchArray(ondemand::value value) {
  if (batch_seen_) return Fail("invalid_batch", "The key 'batch' appears more than once.");
  batch_seen_ = true;

  constexpr std::string_view kInvalid = "'batch' is invalid JSON.";
  std::optional<ondemand::array> items =
      ReadBatchArray(value, kInvalid, "'batch' must be a JSON array of events.");
  if (!items) return;
  const detail::BatchLimit limit{limits_.max_batch_events, 400, "batch"};
  ForEachEvent(*items, kInvalid, limit, [this](ondemand::value item, size_t index) {
    ParseItem(item, index, /*is_root=*/false);
  });
}

// A batch-level context belongs to every item, so a fault in it rejects the
// whole request.
void SegmentParser::ParseBatchContext(ondemand::value value) {
  ondemand::json_type type;
  if (value.type().get(type)) return Fail("malformed_json", "'context' is invalid JSON.");
  if (type == ondemand::json_type::null) return;

  JsonFault fault = JsonFault::kNone;
  ondemand::object context;
  if (type != ondemand::json_type::object) {
    fault = detail::WalkValue(value, 1, limits_.max_depth);
    if (fault != JsonFault::kMalformed) {
      return Fail("invalid_batch", "The batch-level 'context' must be a JSON object.");
    }
  } else if (value.get_object().get(context)) {
    fault = JsonFault::kMalformed;
  } else {
    fault = WalkContext(context, batch_group_id_, batch_group_seen_);
  }

  if (fault == JsonFault::kMalformed) return Fail("malformed_json", "'context' is invalid JSON.");
  if (fault != JsonFault::kNone) {
    Fail("invalid_batch", "The batch-level 'context' nests deeper than " +
                              std::to_string(limits_.max_depth) +
                              " levels or contains an unpaired surrogate escape.");
  }
}

void SegmentParser::ParseItem(ondemand::value item, size_t index, bool is_root) {
  ItemFields fields;
  const std::string_view start_token = item.raw_json_token();
  const detail::EventRead read =
      VisitEvent(item, index, kNotObject, fields.rejection,
                 [&](ondemand::field& field) { ParseItemField(field, fields, is_root); });
  if (read == detail::EventRead::kFailed) return;
  if (read == detail::EventRead::kNotObject) {
    drafts_.push_back(detail::RejectedDraft(index, std::move(fields.rejection)));
    return;
  }

  if (is_root && fields.field_count == 0) {
    return Fail("empty_batch", "The body is an empty object; send an event.");
  }
  const size_t event_bytes = RawTextSince(start_token).size();
  CompleteItem(fields, index, event_bytes, drafts_.emplace_back());
}

void SegmentParser::ParseItemField(ondemand::field& field, ItemFields& fields, bool is_root) {
  ++fields.field_count;
  const StringRead key = detail::ReadKey(field);
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

  if (key_id == Key::kWriteKey && is_root) {
    const IdRead write_key = ReadId(field.value());
    if (write_key.fault == JsonFault::kMalformed)
      return Fail("malformed_json", "The write key is invalid JSON.");
    if (write_key.wrong_type) return Fail("invalid_batch", Quoted(key.text) + " must be a string.");
    if (body_write_key_.empty()) body_write_key_ = write_key.text;
    return;
  }
  ParseEnvelopeField(key_id, key.text, field.value(), fields);
}

void SegmentParser::ParseEnvelopeField(Key key, std::string_view name, ondemand::value value,
                                       ItemFields& fields) {
  std::string_view* id_target = nullptr;
  std::optional<int64_t>* time_target = nullptr;
  switch (key) {
    case Key::kMessageId:
      id_target = &fields.message_id;
      break;
    case Key::kUserId:
      id_target = &fields.user_id;
      break;
    case Key::kAnonymousId:
      id_target = &fields.anonymous_id;
      break;
    case Key::kGroupId:
      id_target = &fields.group_id;
      break;
    case Key::kPreviousId:
      id_target = &fields.previous_id;
      break;
    case Key::kTimestamp:
      time_target = &fields.timestamp;
      break;
    case Key::kOriginalTimestamp:
      time_target = &fields.original_timestamp;
      break;
    case Key::kSentAt:
      time_target = &fields.sent_at;
      break;
    case Key::kType:
    case Key::kEvent:
    case Key::kName:
      break;
    case Key::kProperties:
    case Key::kTraits:
    case Key::kContext:
      return ParseRawObjectField(key, name, value, fields);
    default:
      return CheckValue(value, name, fields.rejection);
  }

  if (time_target != nullptr) {
    const TimeRead time = ReadTime(value);
    AbsorbFault(time.fault, name, fields.rejection);
    if (time.invalid) {
      Reject(fields.rejection, "invalid_timestamp",
             Quoted(name) + " is not an ISO 8601 date-time string.");
    }
    *time_target = time.ms;
    return;
  }

  const IdRead id = ReadId(value);
  AbsorbFault(id.fault, name, fields.rejection);
  if (id_target != nullptr) {
    if (id.wrong_type)
      Reject(fields.rejection, "invalid_event", Quoted(name) + " must be a string or a number.");
    *id_target = id.text;
    return;
  }

  // The type, event and name fields are strings. A repeated name keeps its
  // first value.
  if (key == Key::kType) {
    fields.has_type = true;
    fields.type = id.wrong_type ? std::nullopt : EventTypeFromName(id.text);
  } else if (key == Key::kEvent) {
    fields.event_name = id.text;
  } else if (!fields.page_name) {
    fields.page_name = id.text;
  }
}

void SegmentParser::ParseRawObjectField(Key key, std::string_view name, ondemand::value value,
                                        ItemFields& fields) {
  const std::string_view start_token = value.raw_json_token();
  const bool null_allowed = key == Key::kContext;
  if (!ExpectObject(value, name, null_allowed, fields.rejection)) return;

  JsonFault fault = JsonFault::kNone;
  ondemand::object object;
  if (key == Key::kProperties) {
    fault = detail::WalkValue(value, /*depth=*/1, limits_.max_depth);
  } else if (value.get_object().get(object)) {
    fault = JsonFault::kMalformed;
  } else if (key == Key::kContext) {
    fault = WalkContext(object, fields.context_group_id, fields.context_group_seen);
  } else {
    fault = WalkTraits(object, fields);
  }
  AbsorbFault(fault, name, fields.rejection);
  if (failed() || key == Key::kContext) return;

  (key == Key::kProperties ? fields.properties : fields.traits) = RawTextSince(start_token);
}

JsonFault SegmentParser::WalkContext(ondemand::object context, std::string_view& group_id,
                                     bool& seen) {
  return detail::WalkFields(context, [&](const StringRead& key, ondemand::value value) {
    if (key.fault == JsonFault::kNone && key.text == "groupId" && !seen) {
      // Inside context only the first groupId counts, as for properties.
      const IdRead id = ReadId(value);
      seen = true;
      group_id = id.wrong_type ? std::string_view() : id.text;
      return id.fault;
    }
    return detail::WalkValue(value, /*depth=*/2, limits_.max_depth);
  });
}

JsonFault SegmentParser::WalkTraits(ondemand::object traits, ItemFields& fields) {
  return detail::WalkFields(traits, [&](const StringRead& key, ondemand::value value) {
    JsonFault fault = JsonFault::kNone;
    const bool created_at = key.text == "created_at" || key.text == "createdAt";
    if (key.fault == JsonFault::kNone && created_at && !fields.created_at_seen) {
      fields.created_at_seen = true;
      fields.created_at_ms = ReadCreatedAt(value, fault);
    } else {
      fault = detail::WalkValue(value, /*depth=*/2, limits_.max_depth);
    }
    return fault;
  });
}

std::optional<EventRejection> SegmentParser::CheckRequiredFields(const ItemFields& fields,
                                                                 EventType type,
                                                                 size_t index) const {
  auto rejection = [index](const char* code, std::string message) {
    return EventRejection{index, code, std::move(message)};
  };
  if (fields.user_id.empty() && fields.anonymous_id.empty()) {
    return rejection("missing_user", "The event has neither 'userId' nor 'anonymousId'.");
  }
  if (type == EventType::kTrack && fields.event_name.empty()) {
    return rejection("missing_field", "A track event needs a non-empty 'event' name.");
  }
  if (type == EventType::kGroup && fields.group_id.empty()) {
    return rejection("missing_field", "A group event needs a 'groupId'.");
  }
  if (type == EventType::kAlias && fields.previous_id.empty()) {
    return rejection("missing_field", "An alias event needs a 'previousId'.");
  }
  return std::nullopt;
}

void SegmentParser::CompleteItem(ItemFields& fields, size_t index, size_t event_bytes,
                                 Draft& draft) {
  draft.index = index;
  draft.rejection = FirstRejection(index, event_bytes, fields.rejection);
  if (draft.rejection) return;
  if (call_ == SegmentCall::kBatch && !fields.type) {
    draft.rejection =
        EventRejection{index, "invalid_type",
                       "'type' must be one of track, identify, group, page, screen or alias."};
    return;
  }
  const EventType type = call_ == SegmentCall::kBatch ? *fields.type : EventTypeOfCall(call_);
  draft.rejection = CheckRequiredFields(fields, type, index);
  if (draft.rejection) return;

  Event& event = draft.event;
  event.type = type;
  event.source = Source::kSegment;
  event.message_id =
      fields.message_id.empty() ? GenerateMessageId() : std::string(fields.message_id);
  event.user_id = fields.user_id.empty() ? fields.anonymous_id : fields.user_id;
  event.anonymous_id = fields.anonymous_id;
  if (type == EventType::kGroup) event.group_id = fields.group_id;
  if (event.group_id.empty()) event.group_id = fields.context_group_id;

  switch (type) {
    case EventType::kTrack:
      event.name = fields.event_name;
      break;
    case EventType::kPage:
    case EventType::kScreen:
      event.name = fields.page_name && !fields.page_name->empty()
                       ? *fields.page_name
                       : (type == EventType::kPage ? "page" : "screen");
      break;
    case EventType::kIdentify:
      event.name = "identify";
      break;
    case EventType::kGroup:
      event.name = "group";
      event.created_at_ms = fields.created_at_ms;
      break;
    case EventType::kAlias:
      event.name = "alias";
      event.previous_id = fields.previous_id;
      break;
  }

  const bool uses_traits = type == EventType::kIdentify || type == EventType::kGroup;
  const std::optional<std::string_view>& raw = uses_traits ? fields.traits : fields.properties;
  event.properties = type != EventType::kAlias && raw ? std::string(*raw) : std::string("{}");
  event.received_ms = received_ms_;
  draft.event_time = fields.timestamp ? fields.timestamp : fields.original_timestamp;
  draft.sent_at = fields.sent_at;
}

IdRead SegmentParser::ReadId(ondemand::value value) {
  return detail::ReadId(value, limits_.max_depth);
}

TimeRead SegmentParser::ReadTime(ondemand::value value) {
  return detail::ReadTime(value, limits_.max_depth);
}

std::optional<int64_t> SegmentParser::ReadCreatedAt(ondemand::value value, JsonFault& fault) {
  const detail::CreatedAtRead read = detail::ReadCreatedAt(value, limits_.max_depth);
  fault = read.fault;
  return read.ms;
}

}  // namespace

ParsedRequest ParseSegment(SegmentCall call, const std::string& body, int64_t received_ms,
                           const IngestLimits& limits) {
  if (body.size() > limits.max_request_bytes) {
    return detail::RequestTooLarge(body.size(), limits.max_request_bytes, 400, "");
  }

  ParsedRequest parsed = SegmentParser(call, received_ms, limits, detail::PadJson(body)).Parse();
  parsed.single_event = call != SegmentCall::kBatch;
  return parsed;
}

}  // namespace uptake
