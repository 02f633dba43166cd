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

Verdict EvaluateFeatureAdoption(const Rule& rule, const RuleInput& input) {
  const int64_t start = input.state.StartMs();
  const uint64_t used = input.state.FeaturesUsedBefore(start + DaysMs(rule.days));
  const int used_count = std::popcount(used);

  Verdict verdict;
  verdict.breach = input.now_ms - start >= DaysMs(rule.days) && used_count < rule.min_features;
  verdict.observed = used_count;
  verdict.threshold = rule.min_features;
  for (size_t i = 0; i < input.catalog.size(); ++i) {
    if ((used & (uint64_t{1} << i)) == 0) {
      verdict.evidence.push_back(input.catalog.FeatureId(static_cast<int>(i)));
    }
  }

  verdict.summary = std::string(input.account_id) + " used " + std::to_string(used_count) + " of " +
                    Counted(static_cast<int64_t>(input.catalog.size()), "feature") +
                    " in its first " + Counted(rule.days, "day") +
                    (verdict.breach ? ", below the minimum of " : ", meeting the minimum of ") +
                    std::to_string(rule.min_features) + ".";
  return verdict;
}

Verdict EvaluateEventCount(const Rule& rule, const RuleInput& input) {
  int64_t total = 0;
  for (uint32_t name_id : input.event_name_ids) {
    total += input.state.CountOf(name_id);
  }

  Verdict verdict;
  const bool old_enough = input.now_ms - input.state.StartMs() >= DaysMs(rule.days);
  verdict.breach = old_enough && total < rule.min_count;
  verdict.observed = static_cast<double>(total);
  verdict.threshold = static_cast<double>(rule.min_count);
  verdict.summary = std::string(input.account_id) + " has sent " + Counted(total, "event") +
                    " of " + JoinQuoted(rule.events) +
                    (verdict.breach ? ", below the minimum of " : ", meeting the minimum of ") +
                    std::to_string(rule.min_count) + " expected after " +
                    Counted(rule.days, "day") + ".";
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

Verdict EvaluateInactivity(const Rule& rule, const RuleInput& input) {
  const int64_t idle_ms = input.now_ms - InactiveSinceMs(rule, input.state);
  // Tenths of a day, rounded down, so a breach just past the limit reads
  // "21.1 days" rather than a whole-day figure equal to the limit.
  const double idle_days =
      std::max<double>(0, std::floor(static_cast<double>(idle_ms) * 10 / kDayMs) / 10);
  const char* what = rule.logins_only ? "login" : "activity";

  Verdict verdict;
  verdict.breach = idle_ms > DaysMs(rule.days);
  verdict.observed = idle_days;
  verdict.threshold = rule.days;
  const std::string idle_text = FormatIndicator(idle_days) + (idle_days == 1 ? " day" : " days");
  if (verdict.breach) {
    verdict.summary = std::string(input.account_id) + " has had no " + what + " for over " +
                      Counted(rule.days, "day") + " (" + idle_text +
                      " so far), longer than the rule allows.";
  } else {
    verdict.summary = std::string(input.account_id) + " has had no " + what + " for " + idle_text +
                      ", within the " + Counted(rule.days, "day") + " the rule allows.";
  }
  return verdict;
}

Verdict EvaluateLoginDrop(const Rule& rule, const RuleInput& input) {
  const int64_t today = UtcDay(input.now_ms);
  const int64_t last7 = input.state.LoginsBetween(today - 6, today);
  const int64_t prev7 = input.state.LoginsBetween(today - 13, today - 7);
  const std::string name(input.account_id);

  Verdict verdict;
  verdict.threshold = rule.percent;
  // With no logins in the earlier week there is no drop to measure.
  verdict.observed = prev7 > 0 ? static_cast<double>(last7) * 100.0 / prev7 : 100.0;
  if (prev7 < rule.min_baseline) {
    // Too few logins a week earlier to compare. An account that went dark
    // gets here too, so an open alert resolves only once logins come back
    // to the baseline, not merely because the comparison lapsed.
    verdict.undecided = last7 < rule.min_baseline;
    verdict.summary = name + " logged in " + Counted(last7, "time") + " in the last 7 days after " +
                      std::to_string(prev7) + " in the 7 days before, fewer than the " +
                      std::to_string(rule.min_baseline) + " needed to compare weeks.";
    return verdict;
  }

  verdict.breach = static_cast<double>(last7) * 100.0 < rule.percent * prev7;
  verdict.summary =
      name + " logged in " + Counted(last7, "time") + " in the last 7 days, " +
      FormatIndicator(verdict.observed) + "% of the " + std::to_string(prev7) +
      " in the 7 days before" +
      (verdict.breach ? ", below the threshold of " : ", at or above the threshold of ") +
      FormatIndicator(rule.percent) + "%.";
  return verdict;
}

// An age threshold changes the verdict once, when the account turns `days` old.
int64_t AgeDueMs(const Rule& rule, const AccountState& state, int64_t now_ms) {
  const int64_t due = state.StartMs() + DaysMs(rule.days);
  return due > now_ms ? due : kNoDeadline;
}

int64_t InactivityDueMs(const Rule& rule, const AccountState& state, int64_t now_ms) {
  // The breach starts strictly after `days` days, hence the extra millisecond.
  const int64_t due = InactiveSinceMs(rule, state) + DaysMs(rule.days) + 1;
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

Verdict EvaluateRule(const Rule& rule, const RuleInput& input) {
  switch (rule.kind) {
    case RuleKind::kFeatureAdoption:
      return EvaluateFeatureAdoption(rule, input);
    case RuleKind::kEventCount:
      return EvaluateEventCount(rule, input);
    case RuleKind::kInactivity:
      return EvaluateInactivity(rule, input);
    case RuleKind::kLoginDrop:
      return EvaluateLoginDrop(rule, input);
  }
  return Verdict{};
}

int64_t NextDueMs(const Rule& rule, const AccountState& state, int64_t now_ms) {
  switch (rule.kind) {
    case RuleKind::kFeatureAdoption:
    case RuleKind::kEventCount:
      return AgeDueMs(rule, state, now_ms);
    case RuleKind::kInactivity:
      return InactivityDueMs(rule, state, now_ms);
    case RuleKind::kLoginDrop:
      return LoginDropDueMs(state, now_ms);
  }
  return kNoDeadline;
}

}  // namespace uptake
