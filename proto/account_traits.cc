#include "proto/account_traits.h"

#include <simdjson.h>

#include <cmath>

namespace uptake {

namespace {

namespace dom = simdjson::dom;

bool IsPlanKey(std::string_view key) { return key == "plan"; }

bool IsArrKey(std::string_view key) {
  return key == "arr" || key == "ARR" || key == "annual_revenue";
}

bool IsOwnerKey(std::string_view key) {
  return key == "csm" || key == "owner" || key == "csm_email";
}

std::optional<std::string> NonEmptyString(dom::element value) {
  std::string_view text;
  if (value.get_string().get(text) || text.empty()) return std::nullopt;
  return std::string(text);
}

std::optional<double> ArrValue(dom::element value) {
  double number = 0;
  if (value.get_double().get(number)) return std::nullopt;
  if (!std::isfinite(number) || number < 0 || number > kMaxAccountArr) return std::nullopt;
  return number;
}

// Applies one traits member to `traits`. A valid value replaces an earlier
// one, so the last occurrence in the text wins.
void ReadMember(std::string_view key, dom::element value, AccountTraits& traits) {
  if (IsPlanKey(key)) {
    if (auto plan = NonEmptyString(value)) traits.plan = std::move(plan);
  } else if (IsArrKey(key)) {
    if (auto arr = ArrValue(value)) traits.arr = arr;
  } else if (IsOwnerKey(key)) {
    if (auto owner = NonEmptyString(value)) traits.owner = std::move(owner);
  }
}

}  // namespace

std::optional<AccountTraits> ExtractAccountTraits(std::string_view traits_json,
                                                  int64_t event_time_ms) {
  // The ingest parsers validated the text already. A dom parser per thread
  // keeps its buffers across calls.
  thread_local dom::parser parser;
  dom::object object;
  if (parser.parse(traits_json.data(), traits_json.size()).get_object().get(object)) {
    return std::nullopt;
  }

  AccountTraits traits;
  traits.time_ms = event_time_ms;
  for (dom::key_value_pair member : object) {
    dom::object set;
    if (member.key == "$set" && !member.value.get_object().get(set)) {
      for (dom::key_value_pair inner : set) ReadMember(inner.key, inner.value, traits);
      continue;
    }
    ReadMember(member.key, member.value, traits);
  }

  if (!traits.plan && !traits.arr && !traits.owner) return std::nullopt;
  return traits;
}

}  // namespace uptake
