// A fixed set of mutexes that serializes work on the same key without one
// mutex per key.

#ifndef UPTAKE_STORAGE_STRIPED_LOCKS_H_
#define UPTAKE_STORAGE_STRIPED_LOCKS_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace uptake {

// Maps each key to one of kStripeCount mutexes. Two keys may share a stripe,
// which only costs some concurrency. Thread-safe.
class StripedLocks {
 public:
  // Enough stripes that unrelated requests rarely wait on each other, while
  // the array stays at 40 KiB with glibc's 40-byte std::mutex.
  static constexpr size_t kStripeCount = 1024;

  // Holds the stripes of a set of keys until destroyed. The stripes are locked
  // in ascending order, so two guards over overlapping sets cannot deadlock.
  class Guard {
   public:
    Guard(StripedLocks* locks, const std::vector<std::string>& keys)
        : locks_(locks), stripes_(StripesOf(keys)) {
      for (const size_t stripe : stripes_) locks_->mutexes_[stripe].lock();
    }

    // Holds the stripes of keys that are already well-mixed hash values.
    Guard(StripedLocks* locks, std::span<const uint64_t> hashes)
        : locks_(locks), stripes_(StripesOfHashes(hashes)) {
      for (const size_t stripe : stripes_) locks_->mutexes_[stripe].lock();
    }

    ~Guard() {
      for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) {
        locks_->mutexes_[*it].unlock();
      }
    }

    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    // Returns the sorted, duplicate-free stripes of `keys`.
    static std::vector<size_t> StripesOf(const std::vector<std::string>& keys) {
      std::vector<size_t> stripes;
      stripes.reserve(keys.size());
      for (const std::string& key : keys) {
        stripes.push_back(std::hash<std::string_view>{}(key) % kStripeCount);
      }
      std::sort(stripes.begin(), stripes.end());
      stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
      return stripes;
    }

    static std::vector<size_t> StripesOfHashes(std::span<const uint64_t> hashes) {
      std::vector<size_t> stripes;
      stripes.reserve(hashes.size());
      for (const uint64_t hash : hashes) stripes.push_back(hash % kStripeCount);
      std::sort(stripes.begin(), stripes.end());
      stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
      return stripes;
    }

    StripedLocks* const locks_;
    const std::vector<size_t> stripes_;
  };

 private:
  std::array<std::mutex, kStripeCount> mutexes_;
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_STRIPED_LOCKS_H_
