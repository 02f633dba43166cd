#include "proto/detail/form.h"

namespace uptake::detail {

namespace {

char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char lower = ToLower(c);
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool IsFormMediaType(std::string_view content_type) {
  static constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  const std::string_view type = TrimSpaces(content_type.substr(0, content_type.find(';')));
  if (type.size() != kForm.size()) return false;
  for (size_t i = 0; i < type.size(); ++i) {
    if (ToLower(type[i]) != kForm[i]) return false;
  }
  return true;
}

std::optional<std::string_view> FindFormField(std::string_view form, std::string_view name) {
  while (!form.empty()) {
    const size_t end = form.find('&');
    const std::string_view pair = form.substr(0, end);
    form.remove_prefix(end == std::string_view::npos ? form.size() : end + 1);

    const size_t equals = pair.find('=');
    if (pair.substr(0, equals) != name) continue;
    if (equals == std::string_view::npos) return std::string_view();
    return pair.substr(equals + 1);
  }
  return std::nullopt;
}

std::optional<size_t> UrlDecode(std::string_view encoded, char* output) {
  size_t written = 0;
  for (size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '+') {
      output[written++] = ' ';
      continue;
    }
    if (c != '%') {
      output[written++] = c;
      continue;
    }
    if (i + 2 >= encoded.size()) return std::nullopt;
    const int high = HexValue(encoded[i + 1]);
    const int low = HexValue(encoded[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    output[written++] = static_cast<char>(high * 16 + low);
    i += 2;
  }
  return written;
}

}  // namespace uptake::detail
