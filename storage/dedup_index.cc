#include "storage/dedup_index.h"

#include <algorithm>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "storage/keys.h"

namespace uptake {
namespace {

constexpr size_t kInitialSlots = 1024;

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

std::string FingerprintKey(const DedupFingerprint& fingerprint) {
  std::string key;
  key.reserve(16);
  PutBigEndian64(&key, fingerprint.high);
  PutBigEndian64(&key, fingerprint.low);
  return key;
}

FingerprintSet::FingerprintSet() : slots_(kInitialSlots) {}

bool FingerprintSet::Contains(const DedupFingerprint& fingerprint) const {
  const size_t mask = slots_.size() - 1;
  for (size_t slot = SlotOf(fingerprint);; slot = (slot + 1) & mask) {
    if (slots_[slot] == fingerprint) return true;
    if (slots_[slot] == DedupFingerprint{}) return false;
  }
}

void FingerprintSet::Insert(const DedupFingerprint& fingerprint, int64_t received_ms) {
  newest_received_ms_ = std::max(newest_received_ms_, received_ms);
  if ((size_ + 1) * 2 > slots_.size()) Grow();

  const size_t mask = slots_.size() - 1;
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
  std::vector<DedupFingerprint> old = std::move(slots_);
  slots_.assign(old.size() * 2, DedupFingerprint{});
  const size_t mask = slots_.size() - 1;
  for (const DedupFingerprint& fingerprint : old) {
    if (fingerprint == DedupFingerprint{}) continue;
    size_t slot = SlotOf(fingerprint);
    while (slots_[slot] != DedupFingerprint{}) slot = (slot + 1) & mask;
    slots_[slot] = fingerprint;
  }
}

std::vector<DedupFingerprint> FingerprintSet::Sorted() const {
  std::vector<DedupFingerprint> sorted;
  sorted.reserve(size_);
  for (const DedupFingerprint& fingerprint : slots_) {
    if (fingerprint != DedupFingerprint{}) sorted.push_back(fingerprint);
  }
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

}  // namespace uptake
