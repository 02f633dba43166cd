#include "metrics/rule.h"

#include "metrics/alert.h"

namespace uptake {

const char* RuleKindName(RuleKind kind) {
  switch (kind) {
    case RuleKind::kFeatureAdoption:
      return "feature_adoption";
    case RuleKind::kEventCount:
      return "event_count";
    case RuleKind::kInactivity:
      return "inactivity";
    case RuleKind::kLoginDrop:
      return "login_drop";
  }
  return "unknown";
}

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "unknown";
}

const char* AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kFiring:
      return "firing";
    case AlertState::kResolved:
      return "resolved";
    case AlertState::kPending:
      return "pending";
  }
  return "unknown";
}

}  // namespace uptake
