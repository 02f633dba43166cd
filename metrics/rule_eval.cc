#include "metrics/rule_eval.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "metrics/alert_template.h"
#include "proto/time.h"

namespace uptake {

namespace {

std::string Counted(int64_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string JoinQuoted(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) {
    joined += joined.empty() ? "\"" : ", \"";
    joined += name;
    joined += "\"";
  }
  return joined;
}

int64_t DaysMs(int days) { return int64_t{days} * kDayMs; }

// The thresholds in force for one account: the rule's, each replaced by its
// segment's when the segment sets it.
struct Thresholds {
  int days = 0;
  int min_features = 0;
  int64_t min_count = 0;
  double percent = 0;
  int64_t min_baseline = 1;
};

Thresholds ThresholdsFor(const Rule& rule, const Segment* segment) {
  Thresholds limits{rule.days, rule.min_features, rule.min_count, rule.percent, rule.min_baseline};
  if (segment == nullptr) return limits;
  limits.days = segment->days.value_or(limits.days);
  limits.min_features = segment->min_features.value_or(limits.min_features);
  limits.min_count = segment->min_count.value_or(limits.min_count);
  limits.percent = segment->percent.value_or(limits.percent);
  limits.min_baseline = segment->min_baseline.value_or(limits.min_baseline);
  return limits;
}

Verdict EvaluateFeatureAdoption(const Thresholds& limits, const RuleInput& input) {
  const int64_t start = input.state.StartMs();
  const uint64_t used = input.state.FeaturesUsedBefore(start + DaysMs(limits.days));
  const int used_count = std::popcount(used);

  Verdict verdict;
  verdict.breach = input.now_ms - start >= DaysMs(limits.days) && used_count < limits.min_features;
  verdict.observed = used_count;
  verdict.threshold = limits.min_features;
  for (size_t i = 0; i < input.catalog.size(); ++i) {
    if ((used & (uint64_t{1} << i)) == 0) {
      verdict.evidence.push_back(input.catalog.FeatureId(static_cast<int>(i)));
    }
  }

  verdict.summary = std::string(input.account_id) + " used " + std::to_string(used_count) + " of " +
                    Counted(static_cast<int64_t>(input.catalog.size()), "feature") +
                    " in its first " + Counted(limits.days, "day") +
                    (verdict.breach ? ", below the minimum of " : ", meeting the minimum of ") +
                    std::to_string(limits.min_features) + ".";
  return verdict;
}

Verdict EvaluateEventCount(const Rule& rule, const Thresholds& limits, const RuleInput& input) {
  int64_t total = 0;
  for (uint32_t name_id : input.event_name_ids) {
    total += input.state.CountOf(name_id);
  }

  Verdict verdict;
  const bool old_enough = input.now_ms - input.state.StartMs() >= DaysMs(limits.days);
  verdict.breach = old_enough && total < limits.min_count;
  verdict.observed = static_cast<double>(total);
  verdict.threshold = static_cast<double>(limits.min_count);
  verdict.summary = std::string(input.account_id) + " has sent " + Counted(total, "event") +
                    " of " + JoinQuoted(rule.events) +
                    (verdict.breach ? ", below the minimum of " : ", meeting the minimum of ") +
                    std::to_string(limits.min_count) + " expected after " +
                    Counted(limits.days, "day") + ".";
  return verdict;
}

// Returns the time inactivity counts from. That is the newest event, or with
// logins_only the newest login, or first_seen when the account never logged in.
int64_t InactiveSinceMs(const Rule& rule, const AccountState& state) {
  if (!rule.logins_only) {
    return state.last_seen_ms();
  }
  return state.last_login_ms() > 0 ? state.last_login_ms() : state.first_seen_ms();
}

Verdict EvaluateInactivity(const Rule& rule, const Thresholds& limits, const RuleInput& input) {
  const int64_t idle_ms = input.now_ms - InactiveSinceMs(rule, input.state);
  // Tenths of a day, rounded down. An alert fires as soon as the limit is
  // passed, when this still equals the limit, so the summary then reads
  // "over" the limit instead of a figure that reads as within it.
  const double idle_days =
      std::max<double>(0, std::floor(static_cast<double>(idle_ms) * 10 / kDayMs) / 10);
  const char* what = rule.logins_only ? "login" : "activity";

  Verdict verdict;
  verdict.breach = idle_ms > DaysMs(limits.days);
  verdict.observed = idle_days;
  verdict.threshold = limits.days;
  const std::string idle_text = FormatIndicator(idle_days) + (idle_days == 1 ? " day" : " days");
  if (verdict.breach && idle_days > limits.days) {
    verdict.summary = std::string(input.account_id) + " has had no " + what + " for " + idle_text +
                      ", longer than the " + Counted(limits.days, "day") + " the rule allows.";
  } else if (verdict.breach) {
    verdict.summary = std::string(input.account_id) + " has had no " + what + " for over " +
                      Counted(limits.days, "day") + ", longer than the rule allows.";
  } else {
    verdict.summary = std::string(input.account_id) + " has had no " + what + " for " + idle_text +
                      ", within the " + Counted(limits.days, "day") + " the rule allows.";
  }
  return verdict;
}

Verdict EvaluateLoginDrop(const Thresholds& limits, const RuleInput& input) {
  const int64_t today = UtcDay(input.now_ms);
  const int64_t last7 = input.state.LoginsBetween(today - 6, today);
  const int64_t prev7 = input.state.LoginsBetween(today - 13, today - 7);
  const std::string name(input.account_id);

  Verdict verdict;
  verdict.threshold = limits.percent;
  // With no logins in the earlier week there is no drop to measure.
  verdict.observed = prev7 > 0 ? static_cast<double>(last7) * 100.0 / prev7 : 100.0;
  if (prev7 < limits.min_baseline) {
    // Too few logins a week earlier to compare. An account that went dark
    // gets here too, so an open alert resolves only once logins come back
    // to the baseline, not merely because the comparison lapsed.
    verdict.undecided = last7 < limits.min_baseline;
    verdict.summary = name + " logged in " + Counted(last7, "time") + " in the last 7 days after " +
                      std::to_string(prev7) + " in the 7 days before, fewer than the " +
                      std::to_string(limits.min_baseline) + " needed to compare weeks.";
    return verdict;
  }

  verdict.breach = static_cast<double>(last7) * 100.0 < limits.percent * prev7;
  verdict.summary =
      name + " logged in " + Counted(last7, "time") + " in the last 7 days, " +
      FormatIndicator(verdict.observed) + "% of the " + std::to_string(prev7) +
      " in the 7 days before" +
      (verdict.breach ? ", below the threshold of " : ", at or above the threshold of ") +
      FormatIndicator(limits.percent) + "%.";
  return verdict;
}

// An age threshold changes the verdict once, when the account turns `days` old.
int64_t AgeDueMs(const Thresholds& limits, const AccountState& state, int64_t now_ms) {
  const int64_t due = state.StartMs() + DaysMs(limits.days);
  return due > now_ms ? due : kNoDeadline;
}

int64_t InactivityDueMs(const Rule& rule, const Thresholds& limits, const AccountState& state,
                        int64_t now_ms) {
  // The breach starts strictly after `days` days, hence the extra millisecond.
  const int64_t due = InactiveSinceMs(rule, state) + DaysMs(limits.days) + 1;
  return due > now_ms ? due : kNoDeadline;
}

int64_t LoginDropDueMs(const AccountState& state, int64_t now_ms) {
  // Both 7-day windows move at each UTC midnight, until the newest login is
  // older than the two weeks they cover.
  const int64_t today = UtcDay(now_ms);
  if (state.last_login_ms() == 0 || UtcDay(state.last_login_ms()) < today - 13) {
    return kNoDeadline;
  }
  return (today + 1) * kDayMs;
}

}  // namespace

bool SegmentMatches(const SegmentMatch& match, const MergedTraits& traits) {
  if (match.plan && traits.plan() != match.plan) return false;
  if (match.arr_at_least && !(traits.arr() && *traits.arr() >= *match.arr_at_least)) return false;
  return true;
}

const Segment* MatchSegment(const Rule& rule, const MergedTraits* traits) {
  if (traits == nullptr) return nullptr;
  for (const Segment& segment : rule.segments) {
    if (SegmentMatches(segment.match, *traits)) return &segment;
  }
  return nullptr;
}

Verdict EvaluateRule(const Rule& rule, const RuleInput& input) {
  const Thresholds limits = ThresholdsFor(rule, input.segment);
  switch (rule.kind) {
    case RuleKind::kFeatureAdoption:
      return EvaluateFeatureAdoption(limits, input);
    case RuleKind::kEventCount:
      return EvaluateEventCount(rule, limits, input);
    case RuleKind::kInactivity:
      return EvaluateInactivity(rule, limits, input);
    case RuleKind::kLoginDrop:
      return EvaluateLoginDrop(limits, input);
  }
  return Verdict{};
}

int64_t NextDueMs(const Rule& rule, const Segment* segment, const AccountState& state,
                  int64_t now_ms) {
  const Thresholds limits = ThresholdsFor(rule, segment);
  switch (rule.kind) {
    case RuleKind::kFeatureAdoption:
    case RuleKind::kEventCount:
      return AgeDueMs(limits, state, now_ms);
    case RuleKind::kInactivity:
      return InactivityDueMs(rule, limits, state, now_ms);
    case RuleKind::kLoginDrop:
      return LoginDropDueMs(state, now_ms);
  }
  return kNoDeadline;
}

}  // namespace uptake
