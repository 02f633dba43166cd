#include "proto/detail/base64.h"

#include <cstdint>
#include <string_view>

namespace uptake::detail {

namespace {

// Returns the 6-bit value of a base64 digit, or -1 outside the alphabet.
int DigitValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Returns the length without up to two '=' at the end.
size_t UnpaddedLength(std::string_view text) {
  size_t length = text.size();
  for (int i = 0; i < 2 && length > 0 && text[length - 1] == '='; ++i) --length;
  return length;
}

}  // namespace

bool DecodeBase64InPlace(std::string& text) {
  const size_t length = UnpaddedLength(text);
  // A single digit left over carries only 6 bits, less than one byte.
  if (length % 4 == 1) return false;
  if (length != text.size() && text.size() % 4 != 0) return false;

  uint32_t bits = 0;
  int bit_count = 0;
  size_t written = 0;
  for (size_t i = 0; i < length; ++i) {
    const int value = DigitValue(text[i]);
    if (value < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      // The write position trails the read position, so decoding in place
      // never overwrites a digit that is still to be read.
      text[written++] = static_cast<char>((bits >> bit_count) & 0xff);
    }
  }
  text.resize(written);
  return true;
}

}  // namespace uptake::detail
