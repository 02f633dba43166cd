// An account's plan, ARR and owner, merged from its group calls.

#ifndef UPTAKE_METRICS_MERGED_TRAITS_H_
#define UPTAKE_METRICS_MERGED_TRAITS_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "proto/account_traits.h"

namespace uptake {

// Each trait merges on its own: of the group calls that carried it, the one
// with the latest event time wins, whatever order the calls arrive in, so a
// late or replayed call cannot undo a newer one. On equal event times the
// later arrival wins. A call without a trait leaves that trait unchanged.
// Not thread-safe, so the owning shard's mutex guards it.
class MergedTraits {
 public:
  void Merge(const AccountTraits& traits);

  const std::optional<std::string>& plan() const { return plan_; }
  const std::optional<double>& arr() const { return arr_; }
  const std::optional<std::string>& owner() const { return owner_; }

 private:
  friend class SnapshotCodec;

  static constexpr int64_t kNever = std::numeric_limits<int64_t>::min();

  std::optional<std::string> plan_;
  std::optional<double> arr_;
  std::optional<std::string> owner_;
  // Event time of the group call that set each trait.
  int64_t plan_time_ms_ = kNever;
  int64_t arr_time_ms_ = kNever;
  int64_t owner_time_ms_ = kNever;
};

}  // namespace uptake

#endif  // UPTAKE_METRICS_MERGED_TRAITS_H_
