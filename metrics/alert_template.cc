#include "metrics/alert_template.h"

#include <array>
#include <cmath>
#include <cstdio>

namespace uptake {

namespace {

constexpr std::string_view kOpen = "{{";
constexpr std::string_view kClose = "}}";

// Same order as the switch in ValueOf.
constexpr std::array<std::string_view, 6> kPlaceholders = {
    "account", "rule", "severity", "observed", "threshold", "state",
};

// One "{{...}}" found in a template.
struct Placeholder {
  size_t begin = 0;  // offset of "{{"
  size_t end = 0;    // offset just past "}}", or npos when unclosed
  std::string_view name;
};

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// Returns the first placeholder at or after `from`, or nullopt when there is
// none.
std::optional<Placeholder> NextPlaceholder(std::string_view text, size_t from) {
  const size_t begin = text.find(kOpen, from);
  if (begin == std::string_view::npos) return std::nullopt;

  const size_t close = text.find(kClose, begin + kOpen.size());
  if (close == std::string_view::npos) return Placeholder{begin, std::string_view::npos, {}};
  const std::string_view inner = text.substr(begin + kOpen.size(), close - begin - kOpen.size());
  return Placeholder{begin, close + kClose.size(), TrimSpaces(inner)};
}

std::optional<size_t> PlaceholderIndex(std::string_view name) {
  for (size_t i = 0; i < kPlaceholders.size(); ++i) {
    if (kPlaceholders[i] == name) return i;
  }
  return std::nullopt;
}

std::string ValueOf(size_t index, const TemplateValues& values) {
  switch (index) {
    case 0:
      return std::string(values.account);
    case 1:
      return std::string(values.rule);
    case 2:
      return std::string(values.severity);
    case 3:
      return FormatIndicator(values.observed);
    case 4:
      return FormatIndicator(values.threshold);
    default:
      return std::string(values.state);
  }
}

}  // namespace

std::optional<std::string> FindTemplateError(std::string_view text) {
  for (std::optional<Placeholder> p = NextPlaceholder(text, 0); p;
       p = NextPlaceholder(text, p->end)) {
    if (p->end == std::string_view::npos) {
      return "\"{{\" at offset " + std::to_string(p->begin) + " is not closed by \"}}\"";
    }
    if (!PlaceholderIndex(p->name)) {
      return "unknown placeholder {{" + std::string(p->name) +
             "}}; expected one of account, rule, severity, observed, threshold, state";
    }
  }
  return std::nullopt;
}

std::string RenderTemplate(std::string_view text, const TemplateValues& values) {
  std::string rendered;
  size_t copied = 0;  // offset of the first character not yet in `rendered`
  for (std::optional<Placeholder> p = NextPlaceholder(text, 0); p;
       p = NextPlaceholder(text, p->end)) {
    const std::optional<size_t> index =
        p->end == std::string_view::npos ? std::nullopt : PlaceholderIndex(p->name);
    if (!index) break;
    rendered.append(text.substr(copied, p->begin - copied));
    rendered += ValueOf(*index, values);
    copied = p->end;
  }
  rendered.append(text.substr(copied));
  return rendered;
}

std::string FormatIndicator(double value) {
  char text[32];
  if (value == std::floor(value)) {
    std::snprintf(text, sizeof(text), "%.0f", value);
  } else {
    std::snprintf(text, sizeof(text), "%.1f", value);
  }
  return text;
}

}  // namespace uptake
