// JSON handling of traits objects. Commit splits each object into its
// top-level members, and GetAccountTraits assembles merged members back into
// an object.

#ifndef UPTAKE_STORAGE_TRAITS_JSON_H_
#define UPTAKE_STORAGE_TRAITS_JSON_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uptake {

// One top-level member of a traits object.
struct TraitField {
  std::string key;        // unescaped
  std::string raw_value;  // the value's JSON text, without surrounding whitespace
};

// Splits the JSON object text `json` into its top-level members, in document
// order, duplicates included. Returns nullopt when `json` is not an object or
// its structure is malformed. Nested values are copied as text without
// validating every scalar inside them, so `json` must already have been
// validated by the parser that accepted the event.
std::optional<std::vector<TraitField>> SplitTraitsObject(std::string_view json);

// Appends `text` to `out` as a quoted JSON string, escaping quotes,
// backslashes and control characters. Other bytes, UTF-8 included, are copied
// unchanged.
void AppendJsonString(std::string* out, std::string_view text);

}  // namespace uptake

#endif  // UPTAKE_STORAGE_TRAITS_JSON_H_
