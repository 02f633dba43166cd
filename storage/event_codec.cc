#include "storage/event_codec.h"

#include <cstdint>

namespace uptake {
namespace {

// Bumped whenever the record layout changes. DecodeEvent rejects versions it
// does not know instead of misreading them.
constexpr uint8_t kFormatVersion = 1;

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

}  // namespace

std::string EncodeEvent(std::string_view write_key, const Event& event) {
  std::string record;
  record.reserve(64 + write_key.size() + event.message_id.size() + event.user_id.size() +
                 event.name.size() + event.properties.size());
  record.push_back(static_cast<char>(kFormatVersion));
  PutString(&record, write_key);

  record.push_back(static_cast<char>(event.type));
  record.push_back(static_cast<char>(event.source));
  PutString(&record, event.message_id);
  PutString(&record, event.user_id);
  PutString(&record, event.anonymous_id);
  PutString(&record, event.previous_id);
  PutString(&record, event.group_id);
  PutString(&record, event.account_id);
  PutString(&record, event.name);

  PutSigned(&record, event.timestamp_ms);
  PutSigned(&record, event.received_ms);
  uint8_t flags = event.timestamp_clamped ? kTimestampClamped : 0;
  if (event.created_at_ms.has_value()) flags |= kHasCreatedAt;
  record.push_back(static_cast<char>(flags));
  if (event.created_at_ms.has_value()) PutSigned(&record, *event.created_at_ms);

  PutString(&record, event.properties);
  return record;
}

std::optional<LoggedEvent> DecodeEvent(std::string_view record) {
  RecordReader reader(record);
  uint8_t version;
  if (!reader.GetByte(&version) || version != kFormatVersion) return std::nullopt;

  LoggedEvent logged;
  if (!reader.GetString(&logged.write_key) || !GetEnums(&reader, &logged.event) ||
      !GetIdentifiers(&reader, &logged.event) || !GetTimes(&reader, &logged.event) ||
      !reader.GetString(&logged.event.properties) || !reader.Done()) {
    return std::nullopt;
  }
  return logged;
}

std::optional<int64_t> DecodeEventTime(std::string_view record) {
  RecordReader reader(record);
  uint8_t version;
  if (!reader.GetByte(&version) || version != kFormatVersion) return std::nullopt;
  if (!reader.SkipString()) return std::nullopt;  // write key

  uint8_t enum_byte;
  if (!reader.GetByte(&enum_byte) || !reader.GetByte(&enum_byte)) return std::nullopt;
  // message_id, user_id, anonymous_id, previous_id, group_id, account_id,
  // name, in EncodeEvent's order.
  for (int i = 0; i < 7; ++i) {
    if (!reader.SkipString()) return std::nullopt;
  }
  int64_t timestamp_ms;
  if (!reader.GetSigned(&timestamp_ms)) return std::nullopt;
  return timestamp_ms;
}

}  // namespace uptake
