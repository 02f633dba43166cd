#include "metrics/merged_traits.h"

namespace uptake {

namespace {

template <typename T>
void MergeOne(const std::optional<T>& incoming, int64_t incoming_ms, std::optional<T>& value,
              int64_t& value_ms) {
  if (!incoming || incoming_ms < value_ms) return;
  value = incoming;
  value_ms = incoming_ms;
}

}  // namespace

void MergedTraits::Merge(const AccountTraits& traits) {
  MergeOne(traits.plan, traits.time_ms, plan_, plan_time_ms_);
  MergeOne(traits.arr, traits.time_ms, arr_, arr_time_ms_);
  MergeOne(traits.owner, traits.time_ms, owner_, owner_time_ms_);
}

}  // namespace uptake
