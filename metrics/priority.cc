#include "metrics/priority.h"

namespace uptake {

int SeverityWeight(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return 1;
    case Severity::kWarning:
      return 2;
    case Severity::kCritical:
      return 3;
  }
  return 1;
}

int RevenueWeight(std::optional<double> arr) {
  if (!arr || *arr < kMidRevenueArr) return 1;
  if (*arr < kHighRevenueArr) return 2;
  return 3;
}

int AlertPriority(Severity severity, std::optional<double> arr) {
  return SeverityWeight(severity) * RevenueWeight(arr);
}

}  // namespace uptake
