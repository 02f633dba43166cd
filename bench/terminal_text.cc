#include "bench/terminal_text.h"

namespace uptake {
namespace {

void AppendHex(std::string& out, unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back(kHex[byte >> 4]);
  out.push_back(kHex[byte & 0x0f]);
}

// Returns whether `text` starts with a C1 control, U+0080 to U+009F, which
// UTF-8 encodes as C2 80 to C2 9F.
bool StartsWithC1Control(std::string_view text) {
  if (text.size() < 2 || static_cast<unsigned char>(text[0]) != 0xc2) return false;
  const auto second = static_cast<unsigned char>(text[1]);
  return second >= 0x80 && second <= 0x9f;
}

}  // namespace

std::string EscapeForTerminal(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\\') {
      escaped += "\\\\";
    } else if (byte < 0x20 || byte == 0x7f) {
      escaped += "\\x";
      AppendHex(escaped, byte);
    } else if (StartsWithC1Control(text.substr(i))) {
      escaped += "\\u00";
      AppendHex(escaped, static_cast<unsigned char>(text[i + 1]));
      ++i;
    } else {
      escaped.push_back(text[i]);
    }
  }
  return escaped;
}

}  // namespace uptake
