// The account traits that rank and route churn alerts: plan, annual
// recurring revenue and the account's customer-success manager, read from
// a group call's traits.

#ifndef UPTAKE_PROTO_ACCOUNT_TRAITS_H_
#define UPTAKE_PROTO_ACCOUNT_TRAITS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uptake {

// Largest ARR accepted, in the traits' currency unit. Far above any real
// company's revenue, and below 2^53, so every whole value is exact as a double.
inline constexpr double kMaxAccountArr = 1e15;

// The traits of one group call. A trait the call did not carry is unset, so
// merging keeps the account's earlier value for it.
struct AccountTraits {
  std::optional<std::string> plan;   // for example "enterprise"
  std::optional<double> arr;         // annual recurring revenue, finite, 0 to kMaxAccountArr
  std::optional<std::string> owner;  // the account's CSM, from `csm`, `owner` or `csm_email`
  int64_t time_ms = 0;               // event time of the group call, for merging
};

// Reads plan, ARR and owner from a group call's traits object:
//  - plan: the string `plan`;
//  - arr: the number `arr`, `ARR` or `annual_revenue`, finite and between
//    0 and kMaxAccountArr;
//  - owner: the string `csm`, `owner` or `csm_email`.
// Members of a top-level `$set` object (Amplitude's group identify) count
// as top-level members. When a trait appears more than once, the last valid
// value in the text wins, as storage merges traits. Empty strings and values
// of the wrong type are ignored. Returns nullopt when `traits_json` is not
// a JSON object or contains none of the three traits.
[[nodiscard]] std::optional<AccountTraits> ExtractAccountTraits(std::string_view traits_json,
                                                                int64_t event_time_ms);

}  // namespace uptake

#endif  // UPTAKE_PROTO_ACCOUNT_TRAITS_H_
