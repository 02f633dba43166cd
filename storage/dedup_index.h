// The dedup marks of recent commits, held in memory.
//
// A dedup mark is a 128-bit fingerprint of (write key, message id): a keyed
// XXH3 hash whose seed is random per database, so a client cannot aim a
// message id at another tenant's mark. The marks of recent commits live in a
// FingerprintSet. When it fills, it is sealed, written as one sorted file
// and ingested into the dedup column family (see store_dedup.cc). Checking a
// mark in memory costs one or two cache misses, where inserting a random key
// into RocksDB's memtable skip list costs about twenty.

#ifndef UPTAKE_STORAGE_DEDUP_INDEX_H_
#define UPTAKE_STORAGE_DEDUP_INDEX_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace uptake {

struct DedupFingerprint {
  uint64_t high = 0;
  uint64_t low = 0;

  friend bool operator==(const DedupFingerprint&, const DedupFingerprint&) = default;
  friend auto operator<=>(const DedupFingerprint&, const DedupFingerprint&) = default;
};

// Hashes a fingerprint for unordered containers: its bits are already
// uniformly mixed.
struct DedupFingerprintHash {
  size_t operator()(const DedupFingerprint& fingerprint) const {
    return static_cast<size_t>(fingerprint.low);
  }
};

// Hashes one write key with the database's seed. Every message id sent
// under that key is then hashed with the result as its seed.
uint64_t DedupKeySeed(uint64_t database_seed, std::string_view write_key);

// Returns the fingerprint of `message_id` under the write key whose
// DedupKeySeed is `key_seed`. Never all zero.
DedupFingerprint Fingerprint(uint64_t key_seed, std::string_view message_id);

// The 16-byte dedup column family key of a fingerprint: high, then low,
// each big-endian, so that byte order is numeric order.
using FingerprintKeyBytes = std::array<char, 16>;
FingerprintKeyBytes EncodeFingerprintKey(const DedupFingerprint& fingerprint);

// The same key as a string.
std::string FingerprintKey(const DedupFingerprint& fingerprint);

// A set of fingerprints made by Fingerprint (never all zero, which marks an
// empty slot), with open addressing and linear probing, kept at most half
// full. Not thread-safe.
class FingerprintSet {
 public:
  // Sized for `expected` fingerprints without growing. The slots are
  // zero pages from calloc, so memory is committed only as they are used,
  // and creating a large set costs no time.
  explicit FingerprintSet(size_t expected = 0);
  ~FingerprintSet();

  FingerprintSet(FingerprintSet&& other) noexcept;
  FingerprintSet& operator=(FingerprintSet&& other) noexcept;
  FingerprintSet(const FingerprintSet&) = delete;
  FingerprintSet& operator=(const FingerprintSet&) = delete;

  // Returns true when `fingerprint` is in the set.
  bool Contains(const DedupFingerprint& fingerprint) const;

  // Starts loading the slot where a lookup of `fingerprint` begins, so that
  // a batch of lookups overlaps its cache misses.
  void Prefetch(const DedupFingerprint& fingerprint) const {
    if (capacity_ != 0) __builtin_prefetch(&slots_[SlotOf(fingerprint)]);
  }

  // Adds `fingerprint` and raises the newest receive time to `received_ms`.
  // Adding a fingerprint already present changes only the time.
  void Insert(const DedupFingerprint& fingerprint, int64_t received_ms);

  size_t size() const { return size_; }

  // The largest receive time given to Insert; 0 for an empty set.
  int64_t newest_received_ms() const { return newest_received_ms_; }

  // Bytes of the slot array.
  size_t memory_bytes() const { return capacity_ * sizeof(DedupFingerprint); }

  // Returns every fingerprint in ascending order. Fingerprints are uniform,
  // so a large set is split into buckets by its top bits, each small to sort.
  std::vector<DedupFingerprint> Sorted() const;

 private:
  size_t SlotOf(const DedupFingerprint& fingerprint) const {
    return static_cast<size_t>(fingerprint.low) & (capacity_ - 1);
  }

  // Doubles the slot array. Rehashing stalls the caller (about 30 ms at a
  // million fingerprints), so sets are sized up front where possible.
  void Grow();

  DedupFingerprint* slots_ = nullptr;  // calloc'ed, capacity_ entries
  size_t capacity_ = 0;                // a power of two
  size_t size_ = 0;
  int64_t newest_received_ms_ = 0;
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_DEDUP_INDEX_H_
