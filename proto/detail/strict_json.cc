#include "proto/detail/strict_json.h"

#include <vector>

namespace uptake::detail {

namespace {

namespace ondemand = simdjson::ondemand;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Advances past a run of digits, or returns false when there is none.
bool SkipDigits(std::string_view token, size_t& pos) {
  const size_t first = pos;
  while (pos < token.size() && IsDigit(token[pos])) ++pos;
  return pos > first;
}

JsonFault WalkObject(ondemand::object object, int depth, int max_depth) {
  JsonFault worst = JsonFault::kNone;
  for (auto field_result : object) {
    ondemand::field field;
    if (std::move(field_result).get(field)) return JsonFault::kMalformed;
    worst = MergeFaults(worst, ReadKey(field).fault);
    worst = MergeFaults(worst, WalkValue(field.value(), depth + 1, max_depth));
    if (worst == JsonFault::kMalformed) return worst;
  }
  return worst;
}

JsonFault WalkArray(ondemand::array array, int depth, int max_depth) {
  JsonFault worst = JsonFault::kNone;
  for (auto element_result : array) {
    ondemand::value element;
    if (std::move(element_result).get(element)) return JsonFault::kMalformed;
    worst = MergeFaults(worst, WalkValue(element, depth + 1, max_depth));
    if (worst == JsonFault::kMalformed) return worst;
  }
  return worst;
}

// Validates a container nested too deep to walk, without recursion.
JsonFault CheckTooDeep(ondemand::value& value, ondemand::json_type type) {
  std::string_view raw;
  simdjson::error_code error;
  if (type == ondemand::json_type::object) {
    ondemand::object object;
    error = value.get_object().get(object);
    if (!error) error = object.raw_json().get(raw);
  } else {
    ondemand::array array;
    error = value.get_array().get(array);
    if (!error) error = array.raw_json().get(raw);
  }
  if (error) return JsonFault::kMalformed;
  return ValidateText(raw) == JsonFault::kMalformed ? JsonFault::kMalformed : JsonFault::kTooDeep;
}

bool IsJsonWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Reads four hex digits at `p`, or returns -1 when one is missing.
int ReadHex4(std::string_view text, size_t p) {
  if (p + 4 > text.size()) return -1;
  int value = 0;
  for (size_t i = p; i < p + 4; ++i) {
    const char c = text[i];
    int digit = -1;
    if (IsDigit(c)) digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

// Scans the string that starts at the quote at `pos`. Returns the position
// after the closing quote, or npos when the string is malformed. An
// unpaired surrogate escape is recorded in `fault`.
size_t ScanString(std::string_view text, size_t pos, JsonFault& fault) {
  for (size_t i = pos + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') return i + 1;
    if (static_cast<unsigned char>(c) < 0x20) return std::string_view::npos;
    if (c != '\\') continue;
    if (++i == text.size()) return std::string_view::npos;
    if (std::string_view("\"\\/bfnrt").find(text[i]) != std::string_view::npos) continue;
    if (text[i] != 'u') return std::string_view::npos;

    const int unit = ReadHex4(text, i + 1);
    if (unit < 0) return std::string_view::npos;
    i += 4;
    if (unit >= 0xdc00 && unit <= 0xdfff) fault = MergeFaults(fault, JsonFault::kBadEscape);
    if (unit < 0xd800 || unit > 0xdbff) continue;
    const bool paired = i + 2 < text.size() && text[i + 1] == '\\' && text[i + 2] == 'u' &&
                        ReadHex4(text, i + 3) >= 0xdc00 && ReadHex4(text, i + 3) <= 0xdfff;
    if (paired) {
      i += 6;
    } else {
      fault = MergeFaults(fault, JsonFault::kBadEscape);
    }
  }
  return std::string_view::npos;
}

// Scans the scalar other than a string that starts at `pos`.
size_t ScanAtom(std::string_view text, size_t pos) {
  size_t end = pos;
  while (end < text.size() &&
         std::string_view("0123456789+-.eEtruefalsn").find(text[end]) != std::string_view::npos) {
    ++end;
  }
  const std::string_view atom = text.substr(pos, end - pos);
  const bool valid = atom == "true" || atom == "false" || atom == "null" || IsJsonNumber(atom);
  return valid ? end : std::string_view::npos;
}

}  // namespace

JsonFault ValidateText(std::string_view text) {
  enum class Expect { kValue, kValueOrClose, kKey, kKeyOrClose, kColon, kCommaOrClose };
  std::vector<char> open;  // '{' or '[' for each enclosing container
  Expect expect = Expect::kValue;
  JsonFault fault = JsonFault::kNone;

  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (IsJsonWhitespace(c)) {
      ++i;
      continue;
    }
    const bool closes =
        (c == '}' && expect == Expect::kKeyOrClose) ||
        (c == ']' && expect == Expect::kValueOrClose) ||
        (expect == Expect::kCommaOrClose && !open.empty() && c == (open.back() == '{' ? '}' : ']'));
    if (closes) {
      open.pop_back();
      expect = Expect::kCommaOrClose;
      ++i;
      if (open.empty()) break;
      continue;
    }

    switch (expect) {
      case Expect::kCommaOrClose:
        if (c != ',' || open.empty()) return JsonFault::kMalformed;
        expect = open.back() == '{' ? Expect::kKey : Expect::kValue;
        ++i;
        continue;
      case Expect::kColon:
        if (c != ':') return JsonFault::kMalformed;
        expect = Expect::kValue;
        ++i;
        continue;
      case Expect::kKey:
      case Expect::kKeyOrClose:
        if (c != '"') return JsonFault::kMalformed;
        i = ScanString(text, i, fault);
        if (i == std::string_view::npos) return JsonFault::kMalformed;
        expect = Expect::kColon;
        continue;
      default:
        break;
    }

    if (c == '{' || c == '[') {
      open.push_back(c);
      expect = c == '{' ? Expect::kKeyOrClose : Expect::kValueOrClose;
      ++i;
      continue;
    }
    i = c == '"' ? ScanString(text, i, fault) : ScanAtom(text, i);
    if (i == std::string_view::npos) return JsonFault::kMalformed;
    expect = Expect::kCommaOrClose;
    if (open.empty()) break;
  }

  while (i < text.size() && IsJsonWhitespace(text[i])) ++i;
  const bool complete = open.empty() && expect == Expect::kCommaOrClose && i == text.size();
  return complete ? fault : JsonFault::kMalformed;
}

JsonFault MergeFaults(JsonFault first, JsonFault next) {
  if (next == JsonFault::kMalformed || first == JsonFault::kNone) return next;
  return first;
}

std::string_view TrimTrailingWhitespace(std::string_view token) {
  while (!token.empty()) {
    const char c = token.back();
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    token.remove_suffix(1);
  }
  return token;
}

bool IsJsonNumber(std::string_view token) {
  size_t pos = 0;
  if (pos < token.size() && token[pos] == '-') ++pos;
  if (pos < token.size() && token[pos] == '0') {
    ++pos;
  } else if (!SkipDigits(token, pos)) {
    return false;
  }

  if (pos < token.size() && token[pos] == '.') {
    ++pos;
    if (!SkipDigits(token, pos)) return false;
  }
  if (pos < token.size() && (token[pos] == 'e' || token[pos] == 'E')) {
    ++pos;
    if (pos < token.size() && (token[pos] == '+' || token[pos] == '-')) ++pos;
    if (!SkipDigits(token, pos)) return false;
  }
  return pos == token.size();
}

JsonFault ClassifyStringError(const char* after_quote) {
  for (const char* p = after_quote; *p != '"'; ++p) {
    if (*p != '\\') continue;
    ++p;
    switch (*p) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        break;
      case 'u':
        for (int i = 1; i <= 4; ++i) {
          if (!IsHexDigit(p[i])) return JsonFault::kMalformed;
        }
        p += 4;
        break;
      default:
        return JsonFault::kMalformed;
    }
  }
  return JsonFault::kBadEscape;
}

StringRead ReadString(ondemand::value& value) {
  StringRead read;
  const simdjson::error_code error = value.get_string().get(read.text);
  if (error == simdjson::STRING_ERROR) {
    const std::string_view token = value.raw_json_token();
    if (token.empty()) return {JsonFault::kMalformed, {}};
    read.fault = ClassifyStringError(token.data() + 1);
  } else if (error) {
    read.fault = JsonFault::kMalformed;
  }
  return read;
}

StringRead ReadKey(ondemand::field& field) {
  StringRead read;
  // Unescaping consumes the raw key, so its position is taken first.
  const char* raw_key = field.key().raw();
  const simdjson::error_code error = field.unescaped_key().get(read.text);
  if (error == simdjson::STRING_ERROR) {
    read.fault = ClassifyStringError(raw_key);
  } else if (error) {
    read.fault = JsonFault::kMalformed;
  }
  return read;
}

JsonFault CheckScalar(ondemand::value& value, ondemand::json_type type) {
  const std::string_view token = TrimTrailingWhitespace(value.raw_json_token());
  if (type == ondemand::json_type::string) {
    // A string without a backslash is valid as written, because the first
    // stage has checked its UTF-8 and control characters. Only a string
    // with escapes is unescaped, to check them.
    if (token.size() >= 2 && token.back() == '"' && token.find('\\') == std::string_view::npos) {
      return JsonFault::kNone;
    }
    return ReadString(value).fault;
  }

  switch (type) {
    case ondemand::json_type::number:
      return IsJsonNumber(token) ? JsonFault::kNone : JsonFault::kMalformed;
    case ondemand::json_type::boolean:
      return token == "true" || token == "false" ? JsonFault::kNone : JsonFault::kMalformed;
    case ondemand::json_type::null:
      return token == "null" ? JsonFault::kNone : JsonFault::kMalformed;
    default:
      return JsonFault::kMalformed;
  }
}

JsonFault WalkValue(ondemand::value value, int depth, int max_depth) {
  ondemand::json_type type;
  if (value.type().get(type)) return JsonFault::kMalformed;

  if (type == ondemand::json_type::object || type == ondemand::json_type::array) {
    if (depth > max_depth) return CheckTooDeep(value, type);
  }
  if (type == ondemand::json_type::object) {
    ondemand::object object;
    if (value.get_object().get(object)) return JsonFault::kMalformed;
    return WalkObject(object, depth, max_depth);
  }
  if (type == ondemand::json_type::array) {
    ondemand::array array;
    if (value.get_array().get(array)) return JsonFault::kMalformed;
    return WalkArray(array, depth, max_depth);
  }
  return CheckScalar(value, type);
}

}  // namespace uptake::detail
