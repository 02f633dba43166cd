#include "storage/traits_json.h"

#include <utility>

#include <simdjson.h>

namespace uptake {
namespace {

namespace ondemand = simdjson::ondemand;

std::string_view TrimWhitespace(std::string_view text) {
  constexpr std::string_view kWhitespace = " \t\n\r";
  const size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  const size_t end = text.find_last_not_of(kWhitespace);
  return text.substr(begin, end - begin + 1);
}

// Returns the whole text of `value`. A scalar's raw token is enough, but an
// object or array token covers only its opening bracket, so those are consumed
// as a whole.
simdjson::simdjson_result<std::string_view> RawValueText(ondemand::value value) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;

  if (type == ondemand::json_type::object) {
    ondemand::object object;
    if (auto error = value.get_object().get(object)) return error;
    return object.raw_json();
  }
  if (type == ondemand::json_type::array) {
    ondemand::array array;
    if (auto error = value.get_array().get(array)) return error;
    return array.raw_json();
  }
  return value.raw_json_token();
}

void AppendEscapedControl(std::string* out, unsigned char c) {
  constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    default:
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
  }
}

}  // namespace

std::optional<std::vector<TraitField>> SplitTraitsObject(std::string_view json) {
  // One parser per thread keeps its buffers across calls instead of
  // allocating them for every event.
  thread_local ondemand::parser parser;
  const simdjson::padded_string padded(json);

  ondemand::document document;
  ondemand::object object;
  if (parser.iterate(padded).get(document) || document.get_object().get(object)) {
    return std::nullopt;
  }

  std::vector<TraitField> fields;
  for (auto member : object) {
    ondemand::field field;
    std::string_view key;
    std::string_view raw_value;
    if (std::move(member).get(field) || field.unescaped_key().get(key) ||
        RawValueText(field.value()).get(raw_value)) {
      return std::nullopt;
    }
    fields.push_back(TraitField{std::string(key), std::string(TrimWhitespace(raw_value))});
  }
  return fields;
}

void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (byte < 0x20) {
      AppendEscapedControl(out, byte);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace uptake
