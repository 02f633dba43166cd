// Per-day event and login counts of one account over the 120 days up to its
// newest active day, packed into one small heap block because every account
// stays in memory.

#ifndef UPTAKE_METRICS_DAY_SERIES_H_
#define UPTAKE_METRICS_DAY_SERIES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>

namespace uptake {

// Day activity older than this many days before the newest active day is
// dropped, so the per-day list stays bounded.
inline constexpr int64_t kDayActivityRetentionDays = 120;

struct DayCount {
  int32_t day;      // days since the Unix epoch, UTC
  uint32_t events;  // saturates at UINT32_MAX
  uint32_t logins;  // saturates at UINT32_MAX
};

// The active days of one account: the newest active day, a bitmap of which
// of the kDayActivityRetentionDays days up to it had events, and the counts
// of each active day as varints, newest day first. Events of the newest
// day, the usual case, update the first bytes of the block in place.
//
// Block layout, when allocated:
//   bytes 0..15  bitmap: bit i of the two little-endian 64-bit words (low
//                word first) is set when day newest_day - i is active
//   bytes 16..   one entry per set bit, in bit order (newest day first):
//                varint (events * 2 + (logins > 0)), then varint logins
//                when logins > 0
//   then up to size_: entries of days that left the kept range, unused
//                and dropped when the block next needs room
// Not thread-safe.
class DaySeries {
 public:
  DaySeries() = default;
  DaySeries(const DaySeries& other);
  DaySeries& operator=(const DaySeries& other);
  // A moved-from series is empty.
  DaySeries(DaySeries&& other) noexcept;
  DaySeries& operator=(DaySeries&& other) noexcept;
  ~DaySeries() = default;

  // Builds a series from `days`, which must be sorted by day with no day
  // twice and span at most kDayActivityRetentionDays days. The snapshot
  // loader checks these before calling.
  static DaySeries FromDays(std::span<const DayCount> days);

  // Counts one event, a login when `login`, on UTC day `day`. A day older
  // than the kept range is ignored. A day newer than the newest drops the
  // days that fall out of the range.
  void Add(int64_t day, bool login);

  // Logins in UTC days first_day..last_day, both included.
  int64_t LoginsBetween(int64_t first_day, int64_t last_day) const;

  // Number of active days.
  size_t size() const;
  bool empty() const { return size_ == 0; }

  // The newest active day. Requires !empty().
  int32_t newest_day() const { return newest_day_; }

  // Bytes of the heap block, 0 before the first event.
  size_t allocated_bytes() const { return capacity_; }

  // Calls `visit(const DayCount&)` for each active day, oldest first.
  template <typename Visit>
  void ForEachDay(Visit visit) const {
    std::array<DayCount, kDayActivityRetentionDays> days;
    const size_t count = DecodeNewestFirst(days);
    for (size_t i = count; i > 0; --i) visit(days[i - 1]);
  }

  // Prefetches the block, for a caller about to add events to several series
  // in turn.
  void Prefetch() const { __builtin_prefetch(block_.get()); }

 private:
  struct FreeBlock {
    void operator()(uint8_t* block) const { std::free(block); }
  };

  // Writes the active days into `days`, newest first, and returns how many.
  size_t DecodeNewestFirst(std::span<DayCount, kDayActivityRetentionDays> days) const;

  // Moves the newest day forward to `day`, dropping the entries that fall
  // out of the kept range, and adds a first event on it.
  void StartNewestDay(int64_t day, bool login);
  // Adds one event to the entry at `offset`.
  void BumpEntry(size_t offset, bool login);
  // Replaces `old_length` bytes at `offset` with `length` bytes. The bitmap
  // stored in the block must describe the entries before the change.
  void Splice(size_t offset, size_t old_length, const uint8_t* bytes, size_t length);
  // Drops the bytes behind the live entries, then resizes the block when it
  // has less than `extra` bytes free or much more.
  void MakeRoom(size_t extra);
  // Cuts the block to `size` bytes, giving memory back when much is spare.
  void Truncate(size_t size);
  void Reallocate(size_t capacity);

  // Byte offset of the entry with `index` set bits before it.
  size_t EntryOffset(size_t index) const;

  std::unique_ptr<uint8_t, FreeBlock> block_;
  int32_t newest_day_ = 0;
  uint16_t size_ = 0;      // bytes in use or awaiting reuse, 0 while empty
  uint16_t capacity_ = 0;  // bytes allocated
};

}  // namespace uptake

#endif  // UPTAKE_METRICS_DAY_SERIES_H_
