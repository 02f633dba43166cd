// Request-level scaffolding shared by the ingest parsers: starting a
// simdjson document and mapping its errors, the first-error-wins request
// failure, per-event fault and rejection bookkeeping, batch loops, and the
// draft events that wait for a batch-level sent time.

#ifndef UPTAKE_PROTO_DETAIL_REQUEST_PARSER_H_
#define UPTAKE_PROTO_DETAIL_REQUEST_PARSER_H_

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/detail/strict_json.h"
#include "proto/event.h"
#include "proto/limits.h"
#include "proto/parse_result.h"

namespace uptake::detail {

// The message for a body or a value that On-Demand failed to read.
inline constexpr std::string_view kInvalidBody = "The body is not valid JSON.";

// Returns the value `name` maps to in `table`, or `fallback`.
template <typename T, size_t N>
T FindByName(const std::pair<std::string_view, T> (&table)[N], std::string_view name, T fallback) {
  for (const auto& [entry_name, value] : table) {
    if (name == entry_name) return value;
  }
  return fallback;
}

// Returns a request rejected for its size. `advice` follows the limit, for
// example "; send smaller batches", and may be empty. The status differs by
// wire format because some SDKs split their batch only on 413.
ParsedRequest RequestTooLarge(size_t body_bytes, size_t max_bytes, int status,
                              std::string_view advice);

// Returns the event_too_large rejection for an event of `event_bytes`.
EventRejection EventTooLarge(size_t index, size_t event_bytes, size_t max_event_bytes);

// Rejects an event whose account id is the reserved kUnattributedAccount,
// or one of whose ids is longer than kMaxIdBytes. The index is left 0.
std::optional<EventRejection> CheckEventIds(const Event& event);

// The maximum number of events in one request and how a request over it
// fails. `unit` names the request in the message ("batch" or "request").
struct BatchLimit {
  size_t max_events = 0;
  int status = 400;
  std::string_view unit;
};

// The batch-level sent time, which applies to every event without its own.
struct BatchSentAt {
  std::optional<int64_t> ms;
  bool invalid = false;
};

// A parsed event waiting for the batch-level sent time, which may follow the
// batch array in the body.
struct Draft {
  size_t index = 0;
  std::optional<EventRejection> rejection;
  Event event;
  std::optional<int64_t> event_time;
  std::optional<int64_t> sent_at;
  // Milliseconds between the event and the send. Only PostHog sets it.
  std::optional<int64_t> offset_ms;
};

// Messages that name the time fields of a wire format in draft rejections.
struct DraftMessages {
  std::string_view invalid_sent_at;  // the whole invalid_timestamp message
  std::string_view event_time;       // subject of timestamp_out_of_range
};

// The outcome of VisitEvent for one item of a batch.
enum class EventRead : uint8_t { kFailed, kObject, kNotObject };

// The field name and invalid_event message used when an event is not a
// JSON object. The wire formats word them differently.
struct NotObjectWording {
  std::string_view name;
  std::string_view message;
};

// Returns the draft of an event that was rejected while it was read.
Draft RejectedDraft(size_t index, std::optional<EventRejection> rejection);

// Returns this thread's draft list, emptied. The list keeps its capacity
// between requests, so a batch does not move its drafts each time the list
// grows. Its size stays bounded by limits.max_batch_events. A parser uses it
// from its start until FinishDrafts, and parsers on one thread never
// overlap, because each request is parsed to the end before the next.
std::vector<Draft>& ThreadDrafts();

// The shared state of parsing one request. Each wire-format parser derives
// from it. A request failure set first is never replaced.
class RequestParser {
 protected:
  RequestParser(int64_t received_ms, const IngestLimits& limits)
      : received_ms_(received_ms), limits_(limits) {}

  // Starts `document` over `json` and maps simdjson's errors to
  // invalid_utf8, empty_batch or malformed_json. `source` names the text in
  // messages, for example "The body". Returns false when the request failed.
  bool StartDocument(simdjson::padded_string_view json, simdjson::ondemand::document& document,
                     std::string_view source);

  void Fail(std::string code, std::string message) {
    FailWithStatus(400, std::move(code), std::move(message));
  }
  void FailWithStatus(int status, std::string code, std::string message);
  bool failed() const { return error_.has_value(); }

  // Stores a rejection unless the event already has one, because the first
  // problem found is the one reported.
  static void Reject(std::optional<EventRejection>& rejection, const char* code,
                     std::string message);

  // Returns event_too_large for an event over the size limit, else takes
  // the first problem found while the event was read. Either is given
  // `index`.
  std::optional<EventRejection> FirstRejection(size_t index, size_t event_bytes,
                                               std::optional<EventRejection>& read_rejection) const;

  // Appends `event` to `out`, or `rejection` when there is one, at batch
  // position `index`.
  static void AppendEvent(size_t index, std::optional<EventRejection> rejection, Event event,
                          ParsedRequest& out);

  // Fails with malformed_json when `text` is not valid JSON. Used for a
  // document On-Demand cannot visit as a value, such as a scalar.
  void ValidateAsText(std::string_view text, std::string message);

  // Fails with malformed_json when `document` has content after its value.
  void CheckTrailingContent(simdjson::ondemand::document& document, std::string message);

  // The text from `start_token` to the end of the value just visited,
  // without trailing whitespace.
  std::string_view RawTextSince(std::string_view start_token);

  // Fails the request on kMalformed, and rejects the event on the other
  // faults, naming the field `name`.
  void AbsorbFault(JsonFault fault, std::string_view name,
                   std::optional<EventRejection>& rejection);

  // Validates a value that is not read, as AbsorbFault does.
  void CheckValue(simdjson::ondemand::value value, std::string_view name,
                  std::optional<EventRejection>& rejection);

  // Checks the key of an event field. A malformed key fails the request,
  // and one with an unpaired surrogate rejects the event after its value is
  // validated. Returns true when the key can be used.
  bool CheckEventKey(const StringRead& key, simdjson::ondemand::value value,
                     std::optional<EventRejection>& rejection);

  // Rejects a repeated key as duplicate_key and validates its value.
  void RejectDuplicate(std::string_view name, std::string message, simdjson::ondemand::value value,
                       std::optional<EventRejection>& rejection);

  // Reads the type of a field that must be an object. Returns true when it
  // is one. Otherwise the value is validated, rejected as invalid_event
  // unless it is null and `null_allowed`, and false is returned.
  bool ExpectObject(simdjson::ondemand::value value, std::string_view name, bool null_allowed,
                    std::optional<EventRejection>& rejection);

  // Returns the array a batch key holds. Fails with malformed_json and
  // `invalid_message`, or with invalid_batch and `wrong_type_message` for
  // valid JSON of another type, and returns nullopt then.
  std::optional<simdjson::ondemand::array> ReadBatchArray(simdjson::ondemand::value value,
                                                          std::string_view invalid_message,
                                                          std::string_view wrong_type_message);

  // Fails with too_many_events.
  void FailTooManyEvents(const BatchLimit& limit);

  // Calls visit(value, index) for each element of `items` until the
  // request fails. Returns the number of elements visited.
  template <typename Visit>
  size_t ForEachEvent(simdjson::ondemand::array items, std::string_view invalid_message,
                      const BatchLimit& limit, Visit visit) {
    size_t index = 0;
    for (auto item_result : items) {
      simdjson::ondemand::value item;
      if (std::move(item_result).get(item)) {
        Fail("malformed_json", std::string(invalid_message));
        break;
      }
      if (index == limit.max_events) {
        FailTooManyEvents(limit);
        break;
      }
      visit(item, index++);
      if (failed()) break;
    }
    return index;
  }

  // Calls visit(field) for each field of `object` until the request fails.
  template <typename Visit>
  void ForEachField(simdjson::ondemand::object object, std::string_view invalid_message,
                    Visit visit) {
    if (!VisitFields(object, visit)) Fail("malformed_json", std::string(invalid_message));
  }

  // As ForEachField, for the fields of the event at `index`.
  template <typename Visit>
  void ForEachEventField(simdjson::ondemand::object object, size_t index, Visit visit) {
    if (!VisitFields(object, visit)) FailInvalidEvent(index);
  }

  // Reads the event at `index`: visit(field) for each field of an object,
  // or an invalid_event rejection worded by `wording` for any other value.
  template <typename Visit>
  EventRead VisitEvent(simdjson::ondemand::value item, size_t index,
                       const NotObjectWording& wording, std::optional<EventRejection>& rejection,
                       Visit visit) {
    simdjson::ondemand::json_type type;
    simdjson::ondemand::object object;
    EventRead read = EventRead::kObject;
    if (item.type().get(type)) {
      FailInvalidEvent(index);
    } else if (type != simdjson::ondemand::json_type::object) {
      CheckValue(item, wording.name, rejection);
      Reject(rejection, "invalid_event", std::string(wording.message));
      read = EventRead::kNotObject;
    } else if (item.get_object().get(object)) {
      FailInvalidEvent(index);
    } else {
      ForEachEventField(object, index, visit);
    }
    return failed() ? EventRead::kFailed : read;
  }

  // Calls visit(name, value) for each top-level field of `root` whose key is
  // a valid string. A key with an unpaired surrogate fails the request as
  // invalid_batch, since no event owns it.
  template <typename Visit>
  void ForEachTopLevelField(simdjson::ondemand::object root, Visit visit) {
    ForEachField(root, kInvalidBody, [&](simdjson::ondemand::field& field) {
      const StringRead key = ReadKey(field);
      if (key.fault == JsonFault::kMalformed) {
        return Fail("malformed_json", "A top-level key is not a valid JSON string.");
      }
      if (key.fault == JsonFault::kBadEscape) {
        return Fail("invalid_batch", "A top-level key contains an unpaired surrogate escape.");
      }
      visit(key.text, field.value());
    });
  }

  // Fails with malformed_json for the event at `index`.
  void FailInvalidEvent(size_t index);

  // Applies the sent times and the time limits to each draft, then appends
  // it to out.events or out.rejected.
  void FinishDrafts(std::vector<Draft>& drafts, const BatchSentAt& batch_sent_at,
                    const DraftMessages& messages, ParsedRequest& out) const;

  // Returns `out`, or only the request failure when there is one.
  ParsedRequest Finish(ParsedRequest out);

  const int64_t received_ms_;
  const IngestLimits& limits_;

 private:
  // Returns false when a field could not be read, leaving the failure to
  // the caller, whose message names the object.
  template <typename Visit>
  bool VisitFields(simdjson::ondemand::object object, Visit& visit) {
    for (auto field_result : object) {
      simdjson::ondemand::field field;
      if (std::move(field_result).get(field)) return false;
      visit(field);
      if (failed()) return true;
    }
    return true;
  }

  void FinishDraft(Draft& draft, const BatchSentAt& batch_sent_at, const DraftMessages& messages,
                   ParsedRequest& out) const;

  std::optional<RequestError> error_;

  // The document being read and the end of its text.
  simdjson::ondemand::document* document_ = nullptr;
  const char* json_end_ = nullptr;
};

}  // namespace uptake::detail

#endif  // UPTAKE_PROTO_DETAIL_REQUEST_PARSER_H_
