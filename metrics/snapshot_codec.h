// The binary snapshot of every account's aggregates, so a restart loads the
// aggregates and replays only the events logged after the snapshot.
//
// Layout (all integers little-endian; "varint" is LEB128, "zigzag" a
// zigzag-encoded signed varint):
//   magic "uptkagg" (7 bytes), format version (1 byte)
//   fingerprint (8 bytes, see AggregateFingerprint)
//   log position (varint), section count (varint)
//   per section, one per aggregator shard:
//     name count (varint), names (varint length + bytes)
//     account count (varint), accounts (see snapshot_codec.cc)
//   total account count (varint), end marker "end!"
// Name ids are per shard, so each section carries its own names and the
// loader interns them into whichever shard an account lands in.
// Open alerts and deadlines are not included: alerts are restored from
// storage and deadlines are scheduled by the first evaluation.

#ifndef UPTAKE_METRICS_SNAPSHOT_CODEC_H_
#define UPTAKE_METRICS_SNAPSHOT_CODEC_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/catalog.h"

namespace uptake {

class AccountShard;
class AccountState;
class MergedTraits;

inline constexpr uint8_t kSnapshotFormatVersion = 1;

// Receives the encoded snapshot in order, in chunks of about 1 MiB.
using SnapshotSink = std::function<void(std::string_view chunk)>;

// Returns the next chunk of an encoded snapshot, or an empty view at the
// end. A chunk must stay valid until the next call.
using SnapshotSource = std::function<std::string_view()>;

// What a loaded snapshot contained.
struct SnapshotInfo {
  uint64_t log_position = 0;  // the position the writer passed to WriteSnapshot
  size_t accounts = 0;
  // Maximum last_seen over the accounts: the newest event time the
  // snapshot covers, or 0 without accounts.
  int64_t newest_event_ms = 0;
};

// Hashes everything besides the events that the aggregates depend on: the
// catalog's features with their event names, the login events, the format
// version, the day-activity retention, and the standard library's string
// hash (user ids are stored hashed). A snapshot whose fingerprint differs
// was built under another configuration or build, so it is not loaded.
uint64_t AggregateFingerprint(const Catalog& catalog);

// Appends bytes to a sink through a 1 MiB buffer.
class SnapshotWriter {
 public:
  explicit SnapshotWriter(const SnapshotSink& sink) : sink_(sink) {}

  void PutByte(uint8_t value) { buffer_.push_back(static_cast<char>(value)); }
  void PutFixed64(uint64_t value);
  void PutVarint(uint64_t value);
  void PutZigzag(int64_t value);
  void PutBytes(std::string_view bytes);  // without a length
  void PutString(std::string_view text);  // varint length, then the bytes

  // Sends what the buffer contains when it is full.
  void MaybeFlush() {
    if (buffer_.size() >= kChunkBytes) Flush();
  }
  void Flush();

 private:
  static constexpr size_t kChunkBytes = 1 << 20;
  const SnapshotSink& sink_;
  std::string buffer_;
};

// A part of one shard's section of a snapshot. Shards are encoded at
// different times, each in parts, and the parts assembled in order.
struct SnapshotSection {
  std::vector<std::string> chunks;  // the part's bytes, in order
  // Set on the last part only: the section's accounts, and those whose
  // encoding a change saved before it changed them.
  size_t accounts = 0;
  size_t saved_before_change = 0;
};

// Reads bytes from a source that delivers them in chunks of any size.
// Every read fails, returning false, once the source runs out.
class SnapshotReader {
 public:
  explicit SnapshotReader(const SnapshotSource& source) : source_(source) {}

  bool GetByte(uint8_t* value);
  bool GetFixed64(uint64_t* value);
  bool GetVarint(uint64_t* value);
  bool GetZigzag(int64_t* value);
  bool GetBytes(size_t size, std::string* bytes);
  // Fails on a length above `max_size`, so a corrupt length allocates little.
  bool GetString(size_t max_size, std::string* text);
  // True when the source has no bytes left.
  bool AtEnd();

 private:
  bool Fill();

  const SnapshotSource& source_;
  std::string_view chunk_;
};

// Encodes and decodes one shard's accounts. A friend of AccountShard,
// AccountState and MergedTraits, so their fields stay private elsewhere.
class SnapshotCodec {
 public:
  // Encodes the next part of the section of `shard` as it was at its
  // MarkSnapshotOwed, and returns true on the last part. The caller locks
  // shard.mu and marks the shard first. See AccountShard::TakeSnapshotPart.
  static bool EncodeSectionPart(AccountShard& shard, size_t max_accounts, SnapshotSection* part);

  // Appends the encoding of `account` to `bytes`.
  static void AppendAccount(const std::pair<const std::string, AccountState>& account,
                            std::string& bytes);

  // Reads one section, adding each account to the shard `shard_for`
  // returns for its id. The caller holds no shard lock: this locks each
  // target shard while it adds an account. Returns false with `error` set
  // on malformed or out-of-range data, or an account id already loaded;
  // accounts added before that stay added.
  static bool DecodeSection(SnapshotReader& in, const Catalog& catalog,
                            const std::function<AccountShard&(std::string_view)>& shard_for,
                            SnapshotInfo* info, std::string* error);

 private:
  static void EncodeAccount(const std::string& id, const AccountState& state, SnapshotWriter& out);
  // Reads one account into `id` and `state`. `name_seen` has one entry per
  // section name and catches a name listed twice by one account, which
  // `account_number` (unique within the section, from 1) identifies.
  static bool DecodeAccount(SnapshotReader& in, const Catalog& catalog,
                            std::vector<uint64_t>& name_seen, uint64_t account_number,
                            std::string* id, AccountState* state, std::string* error);
  static bool DecodeTraits(SnapshotReader& in, MergedTraits* traits, std::string* error);
};

}  // namespace uptake

#endif  // UPTAKE_METRICS_SNAPSHOT_CODEC_H_
