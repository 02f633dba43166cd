#include "proto/account_traits.h"

#include <simdjson.h>

#include <cmath>

namespace uptake {

namespace {

namespace ondemand = simdjson::ondemand;

bool IsPlanKey(std::string_view key) { return key == "plan"; }

bool IsArrKey(std::string_view key) {
  return key == "arr" || key == "ARR" || key == "annual_revenue";
}

bool IsOwnerKey(std::string_view key) {
  return key == "csm" || key == "owner" || key == "csm_email";
}

std::optional<std::string> NonEmptyString(ondemand::value value) {
  std::string_view text;
  if (value.get_string().get(text) || text.empty()) return std::nullopt;
  return std::string(text);
}

std::optional<double> ArrValue(ondemand::value value) {
  double number = 0;
  if (value.get_double().get(number)) return std::nullopt;
  if (!std::isfinite(number) || number < 0 || number > kMaxAccountArr) return std::nullopt;
  return number;
}

// Applies one traits member to `traits`. A valid value replaces an earlier
// one, so the last occurrence in the text wins.
void ReadMember(std::string_view key, ondemand::value value, AccountTraits& traits) {
  if (IsPlanKey(key)) {
    if (auto plan = NonEmptyString(value)) traits.plan = std::move(plan);
  } else if (IsArrKey(key)) {
    if (auto arr = ArrValue(value)) traits.arr = arr;
  } else if (IsOwnerKey(key)) {
    if (auto owner = NonEmptyString(value)) traits.owner = std::move(owner);
  }
}

// Reads the members of `object` into `traits`, and those of a `$set`
// object among them when `read_set` is true. Returns false when the text
// is not well-formed JSON.
bool ReadObject(ondemand::object object, bool read_set, AccountTraits& traits) {
  for (auto field : object) {
    std::string_view key;
    ondemand::value value;
    if (field.unescaped_key().get(key) || field.value().get(value)) return false;
    ondemand::object set;
    if (read_set && key == "$set" && !value.get_object().get(set)) {
      if (!ReadObject(set, /*read_set=*/false, traits)) return false;
      continue;
    }
    ReadMember(key, value, traits);
  }
  return true;
}

}  // namespace

std::optional<AccountTraits> ExtractAccountTraits(std::string_view traits_json,
                                                  int64_t event_time_ms) {
  // On-Demand parses only the values read, so a number of any size under
  // another key, which a DOM parser rejects, leaves the three traits
  // readable. A parser per thread keeps its buffers across calls.
  thread_local ondemand::parser parser;
  const simdjson::padded_string padded(traits_json);
  ondemand::document document;
  ondemand::object object;
  if (parser.iterate(padded).get(document) || document.get_object().get(object)) {
    return std::nullopt;
  }

  AccountTraits traits;
  traits.time_ms = event_time_ms;
  if (!ReadObject(object, /*read_set=*/true, traits)) return std::nullopt;
  if (!traits.plan && !traits.arr && !traits.owner) return std::nullopt;
  return traits;
}

}  // namespace uptake
