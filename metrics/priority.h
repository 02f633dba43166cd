// Alert priority: how urgently a CSM should look at an alert, from the
// rule's severity and the account's annual recurring revenue.

#ifndef UPTAKE_METRICS_PRIORITY_H_
#define UPTAKE_METRICS_PRIORITY_H_

#include <optional>

#include "metrics/rule.h"

namespace uptake {

// ARR bounds of the revenue weights, in the traits' currency unit.
inline constexpr double kMidRevenueArr = 10'000;
inline constexpr double kHighRevenueArr = 100'000;

// 1 for info, 2 for warning, 3 for critical.
int SeverityWeight(Severity severity);

// 1 when the ARR is unknown or below kMidRevenueArr, 2 below
// kHighRevenueArr, 3 from kHighRevenueArr up.
int RevenueWeight(std::optional<double> arr);

// Returns SeverityWeight times RevenueWeight, from 1 to 9.
int AlertPriority(Severity severity, std::optional<double> arr);

}  // namespace uptake

#endif  // UPTAKE_METRICS_PRIORITY_H_
