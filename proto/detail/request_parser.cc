#include "proto/detail/request_parser.h"

#include "proto/detail/common_fields.h"
#include "proto/detail/event_time.h"
#include "proto/detail/json_values.h"
#include "proto/time.h"

namespace uptake::detail {

namespace ondemand = simdjson::ondemand;

ParsedRequest RequestTooLarge(size_t body_bytes, size_t max_bytes, int status,
                              std::string_view advice) {
  ParsedRequest out;
  out.error =
      RequestError{status, "request_too_large",
                   "The body is " + std::to_string(body_bytes) + " bytes, over the limit of " +
                       std::to_string(max_bytes) + " bytes" + std::string(advice) + "."};
  return out;
}

EventRejection EventTooLarge(size_t index, size_t event_bytes, size_t max_event_bytes) {
  return EventRejection{index, "event_too_large",
                        "The event is " + std::to_string(event_bytes) +
                            " bytes, over the limit of " + std::to_string(max_event_bytes) +
                            " bytes."};
}

std::optional<EventRejection> CheckEventIds(const Event& event) {
  if (event.group_id == kUnattributedAccount) {
    return EventRejection{0, "invalid_event",
                          std::string("The account id '") + kUnattributedAccount +
                              "' is reserved for events that name no account; use another id."};
  }
  const std::pair<const std::string*, const char*> ids[] = {
      {&event.message_id, "message id"},     {&event.user_id, "user id"},
      {&event.anonymous_id, "anonymous id"}, {&event.previous_id, "previous id"},
      {&event.group_id, "account id"},
  };
  for (const auto& [id, what] : ids) {
    if (id->size() > kMaxIdBytes) {
      return EventRejection{0, "invalid_event",
                            std::string("The ") + what + " is " + std::to_string(id->size()) +
                                " bytes, over the limit of " + std::to_string(kMaxIdBytes) +
                                " bytes."};
    }
  }
  return std::nullopt;
}

bool RequestParser::StartDocument(simdjson::padded_string_view json, ondemand::document& document,
                                  std::string_view source) {
  // One parser per thread serves every wire format, because a request is
  // parsed to the end before the thread starts another.
  thread_local ondemand::parser parser;
  const simdjson::error_code error = parser.iterate(json).get(document);
  if (error == simdjson::UTF8_ERROR) {
    Fail("invalid_utf8", std::string(source) + " is not valid UTF-8; send UTF-8 encoded JSON.");
  } else if (error == simdjson::EMPTY) {
    Fail("empty_batch", "The body is empty; send at least one event.");
  } else if (error) {
    Fail("malformed_json",
         std::string(source) + " is not valid JSON: " + simdjson::error_message(error) + ".");
  }
  document_ = &document;
  json_end_ = json.data() + json.size();
  return !failed();
}

void RequestParser::Reject(std::optional<EventRejection>& rejection, const char* code,
                           std::string message) {
  if (!rejection) rejection = EventRejection{0, code, std::move(message)};
}

Draft RejectedDraft(size_t index, std::optional<EventRejection> rejection) {
  Draft draft;
  draft.index = index;
  draft.rejection = std::move(rejection);
  draft.rejection->index = index;
  return draft;
}

std::vector<Draft>& ThreadDrafts() {
  thread_local std::vector<Draft> drafts;
  drafts.clear();
  return drafts;
}

std::optional<EventRejection> RequestParser::FirstRejection(
    size_t index, size_t event_bytes, std::optional<EventRejection>& read_rejection) const {
  if (event_bytes > limits_.max_event_bytes) {
    return EventTooLarge(index, event_bytes, limits_.max_event_bytes);
  }
  std::optional<EventRejection> rejection = std::move(read_rejection);
  if (rejection) rejection->index = index;
  return rejection;
}

void RequestParser::AppendEvent(size_t index, std::optional<EventRejection> rejection, Event event,
                                ParsedRequest& out) {
  if (!rejection) rejection = CheckEventIds(event);
  if (rejection) {
    rejection->index = index;
    out.rejected.push_back(std::move(*rejection));
    return;
  }
  out.events.push_back(std::move(event));
  out.indices.push_back(index);
}

void RequestParser::FailInvalidEvent(size_t index) {
  Fail("malformed_json", "The event at index " + std::to_string(index) + " is invalid JSON.");
}

void RequestParser::FailWithStatus(int status, std::string code, std::string message) {
  if (!error_) error_ = RequestError{status, std::move(code), std::move(message)};
}

void RequestParser::ValidateAsText(std::string_view text, std::string message) {
  if (ValidateText(text) == JsonFault::kMalformed) Fail("malformed_json", std::move(message));
}

void RequestParser::CheckTrailingContent(ondemand::document& document, std::string message) {
  const char* position = nullptr;
  if (!document.current_location().get(position)) Fail("malformed_json", std::move(message));
}

std::string_view RequestParser::RawTextSince(std::string_view start_token) {
  const char* end = CurrentPosition(*document_, json_end_);
  return TrimTrailingWhitespace(std::string_view(start_token.data(), end - start_token.data()));
}

void RequestParser::AbsorbFault(JsonFault fault, std::string_view name,
                                std::optional<EventRejection>& rejection) {
  if (fault == JsonFault::kNone) return;
  if (fault == JsonFault::kMalformed) {
    return Fail("malformed_json", "The value of " + Quoted(name) + " is invalid JSON.");
  }
  if (!rejection) rejection = FaultRejection(fault, name, limits_.max_depth);
}

void RequestParser::CheckValue(ondemand::value value, std::string_view name,
                               std::optional<EventRejection>& rejection) {
  AbsorbFault(WalkValue(value, /*depth=*/1, limits_.max_depth), name, rejection);
}

bool RequestParser::CheckEventKey(const StringRead& key, ondemand::value value,
                                  std::optional<EventRejection>& rejection) {
  if (key.fault == JsonFault::kMalformed) {
    Fail("malformed_json", "A key is not a valid JSON string.");
    return false;
  }
  if (key.fault == JsonFault::kBadEscape) {
    Reject(rejection, "invalid_unicode_escape",
           "A key of the event contains an unpaired surrogate escape.");
    CheckValue(value, "a value", rejection);
    return false;
  }
  return true;
}

void RequestParser::RejectDuplicate(std::string_view name, std::string message,
                                    ondemand::value value,
                                    std::optional<EventRejection>& rejection) {
  Reject(rejection, "duplicate_key", std::move(message));
  CheckValue(value, name, rejection);
}

bool RequestParser::ExpectObject(ondemand::value value, std::string_view name, bool null_allowed,
                                 std::optional<EventRejection>& rejection) {
  ondemand::json_type type;
  if (value.type().get(type)) {
    Fail("malformed_json", Quoted(name) + " is invalid JSON.");
    return false;
  }
  if (type == ondemand::json_type::object) return true;

  CheckValue(value, name, rejection);
  if (!null_allowed || type != ondemand::json_type::null) {
    Reject(rejection, "invalid_event", Quoted(name) + " must be a JSON object.");
  }
  return false;
}

std::optional<ondemand::array> RequestParser::ReadBatchArray(ondemand::value value,
                                                             std::string_view invalid_message,
                                                             std::string_view wrong_type_message) {
  ondemand::json_type type;
  ondemand::array items;
  if (value.type().get(type)) {
    Fail("malformed_json", std::string(invalid_message));
    return std::nullopt;
  }
  if (type != ondemand::json_type::array) {
    if (WalkValue(value, /*depth=*/1, limits_.max_depth) == JsonFault::kMalformed) {
      Fail("malformed_json", std::string(invalid_message));
    } else {
      Fail("invalid_batch", std::string(wrong_type_message));
    }
    return std::nullopt;
  }
  if (value.get_array().get(items)) {
    Fail("malformed_json", std::string(invalid_message));
    return std::nullopt;
  }
  return items;
}

void RequestParser::FailTooManyEvents(const BatchLimit& limit) {
  const std::string unit(limit.unit);
  FailWithStatus(limit.status, "too_many_events",
                 "The " + unit + " has more than " + std::to_string(limit.max_events) +
                     " events; split it into smaller " +
                     (unit == "batch" ? "batches" : unit + "s") + ".");
}

void RequestParser::FinishDrafts(std::vector<Draft>& drafts, const BatchSentAt& batch_sent_at,
                                 const DraftMessages& messages, ParsedRequest& out) const {
  out.events.reserve(drafts.size());
  out.indices.reserve(drafts.size());
  for (Draft& draft : drafts) FinishDraft(draft, batch_sent_at, messages, out);
}

void RequestParser::FinishDraft(Draft& draft, const BatchSentAt& batch_sent_at,
                                const DraftMessages& messages, ParsedRequest& out) const {
  // An unparsable batch sent time rejects each event without its own.
  if (!draft.rejection && batch_sent_at.invalid && !draft.sent_at) {
    draft.rejection =
        EventRejection{draft.index, "invalid_timestamp", std::string(messages.invalid_sent_at)};
  }
  if (!draft.rejection) {
    draft.rejection = CheckEventIds(draft.event);
    if (draft.rejection) draft.rejection->index = draft.index;
  }
  if (draft.rejection) {
    out.rejected.push_back(std::move(*draft.rejection));
    return;
  }

  const std::optional<int64_t> sent_at = draft.sent_at ? draft.sent_at : batch_sent_at.ms;
  int64_t corrected = CorrectClockSkew(draft.event_time, sent_at, received_ms_);
  if (!draft.event_time && draft.offset_ms) corrected = received_ms_ - *draft.offset_ms;
  const CheckedTime time = CheckEventTime(corrected, received_ms_, limits_);
  if (time.out_of_range) {
    out.rejected.push_back(EventRejection{draft.index, "timestamp_out_of_range",
                                          std::string(messages.event_time) + " " +
                                              FormatIso8601Ms(corrected) +
                                              " is older than the accepted event age."});
    return;
  }
  draft.event.timestamp_ms = time.ms;
  draft.event.timestamp_clamped = time.clamped;
  out.events.push_back(std::move(draft.event));
  out.indices.push_back(draft.index);
}

ParsedRequest RequestParser::Finish(ParsedRequest out) {
  if (!error_) return out;
  ParsedRequest failed;
  failed.error = std::move(error_);
  return failed;
}

}  // namespace uptake::detail
