#include "tests/integration/websocket_frame.h"

namespace uptake::testing {

std::string Frame(uint8_t opcode, std::string_view payload, bool fin, bool masked) {
  std::string frame;
  frame.push_back(static_cast<char>((fin ? 0x80 : 0x00) | opcode));
  const uint8_t mask_bit = masked ? 0x80 : 0x00;
  const size_t size = payload.size();
  if (size < 126) {
    frame.push_back(static_cast<char>(mask_bit | size));
  } else if (size <= 0xFFFF) {
    frame.push_back(static_cast<char>(mask_bit | 126));
    frame.push_back(static_cast<char>(size >> 8));
    frame.push_back(static_cast<char>(size & 0xFF));
  } else {
    frame.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      frame.push_back(static_cast<char>((size >> shift) & 0xFF));
    }
  }
  if (!masked) return frame.append(payload);

  const char key[4] = {0x1B, 0x2C, 0x3D, 0x4E};
  frame.append(key, 4);
  for (size_t i = 0; i < size; ++i) frame.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  return frame;
}

}  // namespace uptake::testing
