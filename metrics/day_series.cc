#include "metrics/day_series.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

namespace uptake {

namespace {

constexpr size_t kBitmapBytes = 16;
constexpr size_t kEntriesOffset = kBitmapBytes;
// A header varint of up to 33 bits and a logins varint of up to 32 bits.
constexpr size_t kMaxEntryBytes = 10;
constexpr uint32_t kMaxCount = std::numeric_limits<uint32_t>::max();

// DayBits::Age masks the high word, so the kept days must reach into it.
static_assert(kDayActivityRetentionDays > 64 && kDayActivityRetentionDays <= 8 * kBitmapBytes,
              "the bitmap covers the kept days");
static_assert(kEntriesOffset + kDayActivityRetentionDays * kMaxEntryBytes <=
                  std::numeric_limits<uint16_t>::max(),
              "block sizes fit in 16 bits");

// Bit i is set when day newest_day - i is active.
struct DayBits {
  uint64_t low = 0;   // days 0..63 before the newest
  uint64_t high = 0;  // days 64..127 before the newest

  bool Test(int64_t age) const { return ((age < 64 ? low >> age : high >> (age - 64)) & 1) != 0; }

  void Set(int64_t age) {
    if (age < 64) {
      low |= uint64_t{1} << age;
    } else {
      high |= uint64_t{1} << (age - 64);
    }
  }

  // Number of active days newer than `age` days before the newest.
  size_t CountBelow(int64_t age) const {
    if (age < 64) return static_cast<size_t>(std::popcount(low & ((uint64_t{1} << age) - 1)));
    const uint64_t high_part = high & ((uint64_t{1} << (age - 64)) - 1);
    return static_cast<size_t>(std::popcount(low) + std::popcount(high_part));
  }

  size_t Count() const { return static_cast<size_t>(std::popcount(low) + std::popcount(high)); }

  // Ages every day by `days`, dropping those that leave the kept range.
  void Age(int64_t days) {
    if (days >= kDayActivityRetentionDays) {
      low = high = 0;
      return;
    }
    if (days >= 64) {
      high = low << (days - 64);
      low = 0;
    } else if (days > 0) {
      high = (high << days) | (low >> (64 - days));
      low <<= days;
    }
    high &= (uint64_t{1} << (kDayActivityRetentionDays - 64)) - 1;
  }
};

DayBits LoadBits(const uint8_t* block) {
  DayBits bits;
  std::memcpy(&bits.low, block, 8);
  std::memcpy(&bits.high, block + 8, 8);
  return bits;
}

void StoreBits(const DayBits& bits, uint8_t* block) {
  std::memcpy(block, &bits.low, 8);
  std::memcpy(block + 8, &bits.high, 8);
}

size_t PutVarint(uint64_t value, uint8_t* out) {
  size_t size = 0;
  while (value >= 0x80) {
    out[size++] = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  out[size++] = static_cast<uint8_t>(value);
  return size;
}

// Decodes the varint at `in` into `value` and returns its length. The
// block holds only varints this file wrote, so no bound check is needed.
size_t GetVarint(const uint8_t* in, uint64_t& value) {
  value = 0;
  size_t size = 0;
  for (int shift = 0;; shift += 7) {
    const uint8_t byte = in[size++];
    value |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return size;
  }
}

size_t SkipVarint(const uint8_t* in) {
  size_t size = 0;
  while ((in[size++] & 0x80) != 0) {
  }
  return size;
}

struct Entry {
  uint32_t events = 0;
  uint32_t logins = 0;
  size_t length = 0;  // encoded bytes
};

Entry DecodeEntry(const uint8_t* in) {
  Entry entry;
  uint64_t header;
  entry.length = GetVarint(in, header);
  entry.events = static_cast<uint32_t>(header >> 1);
  if ((header & 1) != 0) {
    uint64_t logins;
    entry.length += GetVarint(in + entry.length, logins);
    entry.logins = static_cast<uint32_t>(logins);
  }
  return entry;
}

size_t EncodeEntry(uint32_t events, uint32_t logins, uint8_t* out) {
  const uint64_t header = (uint64_t{events} << 1) | (logins > 0 ? 1 : 0);
  size_t size = PutVarint(header, out);
  if (logins > 0) size += PutVarint(logins, out + size);
  return size;
}

size_t EntryLength(const uint8_t* in) {
  const size_t header = SkipVarint(in);
  return (in[0] & 1) != 0 ? header + SkipVarint(in + header) : header;
}

// Calls `visit(day, entry)` for each active day of a non-empty block,
// newest first, until it returns false.
template <typename Visit>
void VisitNewestFirst(const uint8_t* block, int32_t newest_day, Visit visit) {
  const DayBits bits = LoadBits(block);
  size_t offset = kEntriesOffset;
  for (int64_t age = 0; age < kDayActivityRetentionDays; ++age) {
    if (!bits.Test(age)) continue;
    const Entry entry = DecodeEntry(block + offset);
    if (!visit(int64_t{newest_day} - age, entry)) return;
    offset += entry.length;
  }
}

uint32_t SaturatingIncrement(uint32_t count) { return count < kMaxCount ? count + 1 : count; }

// Usable sizes of glibc's malloc chunks are 16n + 8 bytes, so a capacity of
// that form wastes nothing. Growth keeps an eighth spare, so a growing
// series reallocates after a few new days, not on each one.
size_t CapacityFor(size_t size) {
  const size_t target = size + size / 8;
  return std::max<size_t>(24, (target + 7) / 16 * 16 + 8);
}

// Whether a block of `capacity` bytes holding `size` should shrink. A
// quarter spare plus one chunk step stays, so that a block does not shrink
// and then grow again.
bool HasMuchSpare(size_t capacity, size_t size) {
  return capacity > CapacityFor(size + size / 4 + 16);
}

}  // namespace

DaySeries::DaySeries(const DaySeries& other) : newest_day_(other.newest_day_) {
  if (other.size_ == 0) return;
  const size_t size = other.EntryOffset(LoadBits(other.block_.get()).Count());
  Reallocate(CapacityFor(size));
  std::memcpy(block_.get(), other.block_.get(), size);
  size_ = static_cast<uint16_t>(size);
}

DaySeries& DaySeries::operator=(const DaySeries& other) {
  if (this != &other) *this = DaySeries(other);
  return *this;
}

DaySeries::DaySeries(DaySeries&& other) noexcept
    : block_(std::move(other.block_)),
      newest_day_(std::exchange(other.newest_day_, 0)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

DaySeries& DaySeries::operator=(DaySeries&& other) noexcept {
  if (this == &other) return *this;
  block_ = std::move(other.block_);
  newest_day_ = std::exchange(other.newest_day_, 0);
  size_ = std::exchange(other.size_, 0);
  capacity_ = std::exchange(other.capacity_, 0);
  return *this;
}

DaySeries DaySeries::FromDays(std::span<const DayCount> days) {
  DaySeries series;
  if (days.empty()) return series;

  series.newest_day_ = days.back().day;
  uint8_t entries[kDayActivityRetentionDays * kMaxEntryBytes];
  size_t length = 0;
  DayBits bits;
  for (size_t i = days.size(); i > 0; --i) {
    const DayCount& day = days[i - 1];
    bits.Set(int64_t{series.newest_day_} - day.day);
    length += EncodeEntry(day.events, day.logins, entries + length);
  }

  series.Reallocate(CapacityFor(kEntriesOffset + length));
  StoreBits(bits, series.block_.get());
  std::memcpy(series.block_.get() + kEntriesOffset, entries, length);
  series.size_ = static_cast<uint16_t>(kEntriesOffset + length);
  return series;
}

void DaySeries::Add(int64_t day, bool login) {
  const int64_t age = int64_t{newest_day_} - day;
  if (size_ != 0 && age == 0) {
    BumpEntry(kEntriesOffset, login);
    return;
  }
  if (size_ == 0 || age < 0) {
    StartNewestDay(day, login);
    return;
  }
  if (age >= kDayActivityRetentionDays) {
    return;
  }

  DayBits bits = LoadBits(block_.get());
  const size_t offset = EntryOffset(bits.CountBelow(age));
  if (bits.Test(age)) {
    BumpEntry(offset, login);
    return;
  }
  uint8_t entry[kMaxEntryBytes];
  const size_t length = EncodeEntry(1, login ? 1 : 0, entry);
  Splice(offset, 0, entry, length);
  bits.Set(age);
  StoreBits(bits, block_.get());
}

void DaySeries::StartNewestDay(int64_t day, bool login) {
  DayBits bits;
  if (size_ != 0) {
    bits = LoadBits(block_.get());
    bits.Age(day - newest_day_);
    // The entries of days that left the range stay behind the live ones
    // until the block needs room, because finding where the live entries
    // end means walking all of them (see MakeRoom).
    if (bits.Count() == 0) Truncate(kEntriesOffset);
  } else {
    Reallocate(CapacityFor(kEntriesOffset + 2));
    size_ = kEntriesOffset;
  }
  // NOTE: days outside the int32 range (about 5.88 million years either
  // side of 1970) wrap, as they did when the series kept a vector of int32 days.
  newest_day_ = static_cast<int32_t>(day);
  StoreBits(bits, block_.get());

  uint8_t entry[kMaxEntryBytes];
  const size_t length = EncodeEntry(1, login ? 1 : 0, entry);
  Splice(kEntriesOffset, 0, entry, length);
  bits.Set(0);
  StoreBits(bits, block_.get());
}

void DaySeries::BumpEntry(size_t offset, bool login) {
  uint8_t* at = block_.get() + offset;
  // With at most 62 events and no new login, the header stays one byte and
  // only its event count changes.
  if (!login && at[0] < 0x7e) {
    at[0] = static_cast<uint8_t>(at[0] + 2);
    return;
  }

  const Entry old_entry = DecodeEntry(at);
  const uint32_t logins = login ? SaturatingIncrement(old_entry.logins) : old_entry.logins;
  uint8_t entry[kMaxEntryBytes];
  const size_t length = EncodeEntry(SaturatingIncrement(old_entry.events), logins, entry);
  if (length == old_entry.length) {
    std::memcpy(at, entry, length);
  } else {
    Splice(offset, old_entry.length, entry, length);
  }
}

void DaySeries::Splice(size_t offset, size_t old_length, const uint8_t* bytes, size_t length) {
  if (size_ - old_length + length > capacity_) MakeRoom(length - old_length);
  uint8_t* block = block_.get();
  std::memmove(block + offset + length, block + offset + old_length, size_ - offset - old_length);
  std::memcpy(block + offset, bytes, length);
  size_ = static_cast<uint16_t>(size_ - old_length + length);
}

void DaySeries::MakeRoom(size_t extra) {
  size_ = static_cast<uint16_t>(EntryOffset(LoadBits(block_.get()).Count()));
  const size_t needed = size_ + extra;
  if (needed > capacity_ || HasMuchSpare(capacity_, needed)) Reallocate(CapacityFor(needed));
}

void DaySeries::Truncate(size_t size) {
  size_ = static_cast<uint16_t>(size);
  if (HasMuchSpare(capacity_, size)) Reallocate(CapacityFor(size));
}

void DaySeries::Reallocate(size_t capacity) {
  void* block = std::realloc(block_.get(), capacity);
  if (block == nullptr) throw std::bad_alloc();
  static_cast<void>(block_.release());
  block_.reset(static_cast<uint8_t*>(block));
  capacity_ = static_cast<uint16_t>(capacity);
}

size_t DaySeries::EntryOffset(size_t index) const {
  const uint8_t* block = block_.get();
  size_t offset = kEntriesOffset;
  for (size_t i = 0; i < index; ++i) offset += EntryLength(block + offset);
  return offset;
}

size_t DaySeries::size() const { return size_ == 0 ? 0 : LoadBits(block_.get()).Count(); }

int64_t DaySeries::LoginsBetween(int64_t first_day, int64_t last_day) const {
  if (size_ == 0) return 0;
  int64_t logins = 0;
  VisitNewestFirst(block_.get(), newest_day_, [&](int64_t day, const Entry& entry) {
    if (day < first_day) return false;
    if (day <= last_day) logins += entry.logins;
    return true;
  });
  return logins;
}

size_t DaySeries::DecodeNewestFirst(std::span<DayCount, kDayActivityRetentionDays> days) const {
  if (size_ == 0) return 0;
  size_t count = 0;
  VisitNewestFirst(block_.get(), newest_day_, [&](int64_t day, const Entry& entry) {
    days[count++] = {static_cast<int32_t>(day), entry.events, entry.logins};
    return true;
  });
  return count;
}

}  // namespace uptake
