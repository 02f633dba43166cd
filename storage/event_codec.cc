#include "storage/event_codec.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace uptake {
namespace {

// The first byte of a record is its layout version. Decoders reject versions
// they do not know instead of misreading them. Version 1 contains one event,
// and version 2 every event of one commit under a single write key.
constexpr uint8_t kFormatVersion = 1;
constexpr uint8_t kCommitFormatVersion = 2;

constexpr uint8_t kMaxEventType = static_cast<uint8_t>(EventType::kAlias);
constexpr uint8_t kMaxSource = static_cast<uint8_t>(Source::kMixpanel);

// Bits of the flags byte.
constexpr uint8_t kTimestampClamped = 1 << 0;
constexpr uint8_t kHasCreatedAt = 1 << 1;

void PutVarint64(std::string* dst, uint64_t value) {
  while (value >= 0x80) {
    dst->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  dst->push_back(static_cast<char>(value));
}

void PutSigned(std::string* dst, int64_t value) {
  // Zigzag keeps small negative times short as well.
  const uint64_t bits = static_cast<uint64_t>(value);
  PutVarint64(dst, (bits << 1) ^ (value < 0 ? ~uint64_t{0} : 0));
}

void PutString(std::string* dst, std::string_view value) {
  PutVarint64(dst, value.size());
  dst->append(value);
}

// Consumes fields from the front of a record. Every getter returns false
// once the input is exhausted or malformed.
class RecordReader {
 public:
  explicit RecordReader(std::string_view input) : input_(input) {}

  bool Done() const { return input_.empty(); }

  bool GetByte(uint8_t* value) {
    if (input_.empty()) return false;
    *value = static_cast<uint8_t>(input_.front());
    input_.remove_prefix(1);
    return true;
  }

  bool GetVarint64(uint64_t* value) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t byte;
      if (!GetByte(&byte)) return false;
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *value = result;
        return true;
      }
    }
    return false;
  }

  bool GetSigned(int64_t* value) {
    uint64_t zigzag;
    if (!GetVarint64(&zigzag)) return false;
    *value = static_cast<int64_t>((zigzag >> 1) ^ (~(zigzag & 1) + 1));
    return true;
  }

  bool SkipString() {
    uint64_t size;
    if (!GetVarint64(&size) || size > input_.size()) return false;
    input_.remove_prefix(size);
    return true;
  }

  bool GetView(std::string_view* value) {
    uint64_t size;
    if (!GetVarint64(&size) || size > input_.size()) return false;
    *value = input_.substr(0, size);
    input_.remove_prefix(size);
    return true;
  }

  bool GetString(std::string* value) {
    uint64_t size;
    if (!GetVarint64(&size) || size > input_.size()) return false;
    value->assign(input_.substr(0, size));
    input_.remove_prefix(size);
    return true;
  }

 private:
  std::string_view input_;
};

bool GetEnums(RecordReader* reader, Event* event) {
  uint8_t type;
  uint8_t source;
  if (!reader->GetByte(&type) || type > kMaxEventType) return false;
  if (!reader->GetByte(&source) || source > kMaxSource) return false;
  event->type = static_cast<EventType>(type);
  event->source = static_cast<Source>(source);
  return true;
}

bool GetIdentifiers(RecordReader* reader, Event* event) {
  return reader->GetString(&event->message_id) && reader->GetString(&event->user_id) &&
         reader->GetString(&event->anonymous_id) && reader->GetString(&event->previous_id) &&
         reader->GetString(&event->group_id) && reader->GetString(&event->account_id) &&
         reader->GetString(&event->name);
}

bool GetTimes(RecordReader* reader, Event* event) {
  uint8_t flags;
  if (!reader->GetSigned(&event->timestamp_ms) || !reader->GetSigned(&event->received_ms) ||
      !reader->GetByte(&flags)) {
    return false;
  }
  if ((flags & ~(kTimestampClamped | kHasCreatedAt)) != 0) return false;
  event->timestamp_clamped = (flags & kTimestampClamped) != 0;
  if ((flags & kHasCreatedAt) == 0) return true;

  int64_t created_at_ms;
  if (!reader->GetSigned(&created_at_ms)) return false;
  event->created_at_ms = created_at_ms;
  return true;
}

void AppendEventBody(std::string* record, const Event& event) {
  record->push_back(static_cast<char>(event.type));
  record->push_back(static_cast<char>(event.source));
  PutString(record, event.message_id);
  PutString(record, event.user_id);
  PutString(record, event.anonymous_id);
  PutString(record, event.previous_id);
  PutString(record, event.group_id);
  PutString(record, event.account_id);
  PutString(record, event.name);

  PutSigned(record, event.timestamp_ms);
  PutSigned(record, event.received_ms);
  uint8_t flags = event.timestamp_clamped ? kTimestampClamped : 0;
  if (event.created_at_ms.has_value()) flags |= kHasCreatedAt;
  record->push_back(static_cast<char>(flags));
  if (event.created_at_ms.has_value()) PutSigned(record, *event.created_at_ms);

  PutString(record, event.properties);
}

// Reads what AppendEventBody wrote, up to the end of `reader`'s input.
bool GetEventBody(RecordReader* reader, Event* event) {
  return GetEnums(reader, event) && GetIdentifiers(reader, event) && GetTimes(reader, event) &&
         reader->GetString(&event->properties) && reader->Done();
}

// Reads the event time of a body without copying its strings.
std::optional<int64_t> GetBodyTime(RecordReader* reader) {
  uint8_t enum_byte;
  if (!reader->GetByte(&enum_byte) || !reader->GetByte(&enum_byte)) return std::nullopt;
  // message_id, user_id, anonymous_id, previous_id, group_id, account_id,
  // name, in AppendEventBody's order.
  for (int i = 0; i < 7; ++i) {
    if (!reader->SkipString()) return std::nullopt;
  }
  int64_t timestamp_ms;
  if (!reader->GetSigned(&timestamp_ms)) return std::nullopt;
  return timestamp_ms;
}

// Reads the receive time that follows the event time GetBodyTime read.
std::optional<int64_t> GetBodyReceivedTime(RecordReader* reader) {
  int64_t received_ms;
  if (!reader->GetSigned(&received_ms)) return std::nullopt;
  return received_ms;
}

size_t BodySizeHint(const Event& event) {
  return 48 + event.message_id.size() + event.user_id.size() + event.anonymous_id.size() +
         event.group_id.size() + event.account_id.size() + event.name.size() +
         event.properties.size();
}

// The most CommitRecordBuilder reserves up front for a record.
constexpr size_t kMaxReservedRecordBytes = size_t{4} << 20;

}  // namespace

std::string EncodeEvent(std::string_view write_key, const Event& event) {
  std::string record;
  record.reserve(16 + write_key.size() + BodySizeHint(event));
  record.push_back(static_cast<char>(kFormatVersion));
  PutString(&record, write_key);
  AppendEventBody(&record, event);
  return record;
}

CommitRecordBuilder::CommitRecordBuilder(std::string_view write_key, size_t count) {
  record_.push_back(static_cast<char>(kCommitFormatVersion));
  PutString(&record_, write_key);
  PutVarint64(&record_, count);
  expected_ = count;
}

void CommitRecordBuilder::Add(const Event& event) {
  body_.clear();
  AppendEventBody(&body_, event);
  if (added_ == 0) {
    // Events of one commit are usually alike in size, so the first one sizes
    // the record and the rest seldom copy it again to grow. The cap keeps
    // one large first event from reserving for thousands like it.
    const size_t estimate = expected_ * (body_.size() + body_.size() / 8 + 2);
    record_.reserve(record_.size() + std::min(estimate, kMaxReservedRecordBytes));
  }
  PutVarint64(&record_, body_.size());
  record_.append(body_);
  ++added_;
}

std::string CommitRecordBuilder::Finish() && {
  // A count that disagrees with the bodies would make the record undecodable.
  if (added_ != expected_) return std::string();
  return std::move(record_);
}

std::optional<LoggedEvent> DecodeEvent(std::string_view record) {
  RecordReader reader(record);
  uint8_t version;
  if (!reader.GetByte(&version) || version != kFormatVersion) return std::nullopt;

  LoggedEvent logged;
  if (!reader.GetString(&logged.write_key) || !GetEventBody(&reader, &logged.event)) {
    return std::nullopt;
  }
  return logged;
}

std::optional<size_t> DecodeRecord(std::string_view record,
                                   const std::function<void(size_t, const LoggedEvent&)>& visit) {
  if (!record.empty() && static_cast<uint8_t>(record.front()) == kFormatVersion) {
    std::optional<LoggedEvent> single = DecodeEvent(record);
    if (!single.has_value()) return std::nullopt;
    visit(0, *single);
    return 1;
  }

  RecordReader reader(record);
  uint8_t version;
  uint64_t count;
  LoggedEvent logged;
  if (!reader.GetByte(&version) || version != kCommitFormatVersion ||
      !reader.GetString(&logged.write_key) || !reader.GetVarint64(&count)) {
    return std::nullopt;
  }
  // Decode everything before visiting, so a damaged record visits nothing.
  // An empty body is an event the retention filter dropped.
  std::vector<std::optional<Event>> events;
  events.reserve(std::min<uint64_t>(count, record.size()));
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view body;
    if (!reader.GetView(&body)) return std::nullopt;
    std::optional<Event>& event = events.emplace_back();
    if (body.empty()) continue;
    RecordReader body_reader(body);
    if (!GetEventBody(&body_reader, &event.emplace())) return std::nullopt;
  }
  if (!reader.Done()) return std::nullopt;
  for (size_t i = 0; i < events.size(); ++i) {
    if (!events[i].has_value()) continue;
    logged.event = std::move(*events[i]);
    visit(i, logged);
  }
  return events.size();
}

RecordRetention ApplyRetention(std::string_view record, int64_t cutoff_ms,
                               std::optional<int64_t> marks_received_since_ms,
                               std::string* rewritten) {
  RecordReader reader(record);
  uint8_t version;
  if (!reader.GetByte(&version)) return RecordRetention::kKeep;
  if (version == kFormatVersion) {
    if (!reader.SkipString()) return RecordRetention::kKeep;
    const std::optional<int64_t> time = GetBodyTime(&reader);
    return time.has_value() && *time < cutoff_ms ? RecordRetention::kDrop : RecordRetention::kKeep;
  }

  std::string_view write_key;
  uint64_t count;
  if (version != kCommitFormatVersion || !reader.GetView(&write_key) ||
      !reader.GetVarint64(&count)) {
    return RecordRetention::kKeep;
  }
  // Bodies of expired events, and those already dropped, are left empty.
  std::vector<std::string_view> kept;
  kept.reserve(std::min<uint64_t>(count, record.size()));
  bool any_expired = false;
  bool any_kept = false;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view body;
    if (!reader.GetView(&body)) return RecordRetention::kKeep;
    if (!body.empty()) {
      RecordReader body_reader(body);
      const std::optional<int64_t> time = GetBodyTime(&body_reader);
      if (!time.has_value()) return RecordRetention::kKeep;
      bool mark_needed = false;
      if (marks_received_since_ms.has_value()) {
        const std::optional<int64_t> received = GetBodyReceivedTime(&body_reader);
        if (!received.has_value()) return RecordRetention::kKeep;
        mark_needed = *received >= *marks_received_since_ms;
      }
      if (*time < cutoff_ms && !mark_needed) {
        any_expired = true;
        body = std::string_view();
      }
    }
    any_kept = any_kept || !body.empty();
    kept.push_back(body);
  }
  if (!any_kept) return RecordRetention::kDrop;
  if (!any_expired) return RecordRetention::kKeep;

  rewritten->clear();
  rewritten->push_back(static_cast<char>(kCommitFormatVersion));
  PutString(rewritten, write_key);
  PutVarint64(rewritten, count);
  for (const std::string_view body : kept) PutString(rewritten, body);
  return RecordRetention::kRewrite;
}

std::optional<int64_t> DecodeEventTime(std::string_view record) {
  RecordReader reader(record);
  uint8_t version;
  if (!reader.GetByte(&version)) return std::nullopt;
  if (version == kFormatVersion) {
    if (!reader.SkipString()) return std::nullopt;  // write key
    return GetBodyTime(&reader);
  }
  uint64_t count;
  if (version != kCommitFormatVersion || !reader.SkipString() || !reader.GetVarint64(&count) ||
      count == 0) {
    return std::nullopt;
  }
  std::optional<int64_t> newest;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view body;
    if (!reader.GetView(&body)) return std::nullopt;
    if (body.empty()) continue;
    RecordReader body_reader(body);
    const std::optional<int64_t> time = GetBodyTime(&body_reader);
    if (!time.has_value()) return std::nullopt;
    if (!newest.has_value() || *time > *newest) newest = time;
  }
  return newest;
}

}  // namespace uptake
