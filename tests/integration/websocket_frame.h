// WebSocket client frames built by hand, for tests that control the exact
// bytes on the wire.

#ifndef UPTAKE_TESTS_INTEGRATION_WEBSOCKET_FRAME_H_
#define UPTAKE_TESTS_INTEGRATION_WEBSOCKET_FRAME_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace uptake::testing {

// Opcodes from RFC 6455, section 5.2.
inline constexpr uint8_t kContinuation = 0x0;
inline constexpr uint8_t kText = 0x1;
inline constexpr uint8_t kBinary = 0x2;
inline constexpr uint8_t kClose = 0x8;
inline constexpr uint8_t kPing = 0x9;
inline constexpr uint8_t kPong = 0xA;

// A client frame. Clients must mask (RFC 6455 section 5.3); `masked` false
// builds the invalid unmasked form.
std::string Frame(uint8_t opcode, std::string_view payload, bool fin = true, bool masked = true);

}  // namespace uptake::testing

#endif  // UPTAKE_TESTS_INTEGRATION_WEBSOCKET_FRAME_H_
