#include "storage/dedup_index.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <utility>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace uptake {
namespace {

constexpr size_t kInitialSlots = 1024;

// Sorted() splits sets of at least this many fingerprints into 2^16 buckets
// by their top 16 bits, and sorts smaller ones directly.
constexpr size_t kBucketSortMinimum = 1 << 16;
constexpr int kBucketBits = 16;

}  // namespace

uint64_t DedupKeySeed(uint64_t database_seed, std::string_view write_key) {
  return XXH3_64bits_withSeed(write_key.data(), write_key.size(), database_seed);
}

DedupFingerprint Fingerprint(uint64_t key_seed, std::string_view message_id) {
  const XXH128_hash_t hash = XXH3_128bits_withSeed(message_id.data(), message_id.size(), key_seed);
  DedupFingerprint fingerprint{hash.high64, hash.low64};
  // The all-zero fingerprint marks an empty slot of a FingerprintSet, so it
  // is never handed out: that hash shares the fingerprint {0, 1}, a false
  // duplicate with probability 2^-128 per message.
  if (fingerprint == DedupFingerprint{}) fingerprint.low = 1;
  return fingerprint;
}

FingerprintKeyBytes EncodeFingerprintKey(const DedupFingerprint& fingerprint) {
  FingerprintKeyBytes key;
  for (int i = 0; i < 8; ++i) {
    key[i] = static_cast<char>(fingerprint.high >> (56 - 8 * i));
    key[8 + i] = static_cast<char>(fingerprint.low >> (56 - 8 * i));
  }
  return key;
}

std::string FingerprintKey(const DedupFingerprint& fingerprint) {
  const FingerprintKeyBytes key = EncodeFingerprintKey(fingerprint);
  return std::string(key.data(), key.size());
}

namespace {

// Returns zeroed memory for `count` slots, or aborts like operator new.
DedupFingerprint* AllocateSlots(size_t count) {
  void* memory = std::calloc(count, sizeof(DedupFingerprint));
  if (memory == nullptr) throw std::bad_alloc();
  return static_cast<DedupFingerprint*>(memory);
}

}  // namespace

FingerprintSet::FingerprintSet(size_t expected) : capacity_(kInitialSlots) {
  while (capacity_ < expected * 2) capacity_ *= 2;
  slots_ = AllocateSlots(capacity_);
}

FingerprintSet::~FingerprintSet() { std::free(slots_); }

FingerprintSet::FingerprintSet(FingerprintSet&& other) noexcept
    : slots_(std::exchange(other.slots_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)),
      newest_received_ms_(std::exchange(other.newest_received_ms_, 0)) {}

FingerprintSet& FingerprintSet::operator=(FingerprintSet&& other) noexcept {
  if (this != &other) {
    std::free(slots_);
    slots_ = std::exchange(other.slots_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
    newest_received_ms_ = std::exchange(other.newest_received_ms_, 0);
  }
  return *this;
}

bool FingerprintSet::Contains(const DedupFingerprint& fingerprint) const {
  if (capacity_ == 0) return false;  // moved from
  const size_t mask = capacity_ - 1;
  for (size_t slot = SlotOf(fingerprint);; slot = (slot + 1) & mask) {
    if (slots_[slot] == fingerprint) return true;
    if (slots_[slot] == DedupFingerprint{}) return false;
  }
}

void FingerprintSet::Insert(const DedupFingerprint& fingerprint, int64_t received_ms) {
  newest_received_ms_ = std::max(newest_received_ms_, received_ms);
  if ((size_ + 1) * 2 > capacity_) Grow();

  const size_t mask = capacity_ - 1;
  for (size_t slot = SlotOf(fingerprint);; slot = (slot + 1) & mask) {
    if (slots_[slot] == fingerprint) return;
    if (slots_[slot] == DedupFingerprint{}) {
      slots_[slot] = fingerprint;
      ++size_;
      return;
    }
  }
}

void FingerprintSet::Grow() {
  DedupFingerprint* old = slots_;
  const size_t old_capacity = capacity_;
  capacity_ = std::max<size_t>(kInitialSlots, old_capacity * 2);
  slots_ = AllocateSlots(capacity_);
  const size_t mask = capacity_ - 1;
  for (size_t i = 0; i < old_capacity; ++i) {
    const DedupFingerprint& fingerprint = old[i];
    if (fingerprint == DedupFingerprint{}) continue;
    size_t slot = SlotOf(fingerprint);
    while (slots_[slot] != DedupFingerprint{}) slot = (slot + 1) & mask;
    slots_[slot] = fingerprint;
  }
  std::free(old);
}

std::vector<DedupFingerprint> FingerprintSet::Sorted() const {
  std::vector<DedupFingerprint> sorted;
  if (size_ < kBucketSortMinimum) {
    sorted.reserve(size_);
    for (size_t i = 0; i < capacity_; ++i) {
      if (slots_[i] != DedupFingerprint{}) sorted.push_back(slots_[i]);
    }
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  }

  // starts[b] is where bucket b begins in `sorted`, once summed.
  constexpr size_t kBuckets = size_t{1} << kBucketBits;
  auto bucket_of = [](const DedupFingerprint& fingerprint) {
    return static_cast<size_t>(fingerprint.high >> (64 - kBucketBits));
  };
  std::vector<size_t> starts(kBuckets + 1, 0);
  for (size_t i = 0; i < capacity_; ++i) {
    if (slots_[i] != DedupFingerprint{}) ++starts[bucket_of(slots_[i]) + 1];
  }
  for (size_t b = 0; b < kBuckets; ++b) starts[b + 1] += starts[b];

  sorted.resize(size_);
  std::vector<size_t> next(starts.begin(), starts.end() - 1);
  for (size_t i = 0; i < capacity_; ++i) {
    if (slots_[i] != DedupFingerprint{}) sorted[next[bucket_of(slots_[i])]++] = slots_[i];
  }
  for (size_t b = 0; b < kBuckets; ++b) {
    std::sort(sorted.begin() + starts[b], sorted.begin() + starts[b + 1]);
  }
  return sorted;
}

}  // namespace uptake
