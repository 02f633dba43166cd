// WebSocket protocol errors on both WebSocket routes, GET /v1/ingest and
// GET /v1/alerts/stream, against the real server. Frames are built by hand
// so a test can send what no WebSocket library would: unmasked frames,
// invalid UTF-8, oversized and fragmented messages.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/raw_connection.h"
#include "tests/integration/server_process.h"
#include "tests/integration/websocket_frame.h"

namespace uptake::testing {
namespace {

constexpr char kConfig[] = R"(
write_keys: [k1]
limits: {max_request_bytes: 4096, max_event_bytes: 2048}
)";

// Close codes from RFC 6455, section 7.4.1.
constexpr int kProtocolError = 1002;
constexpr int kUnsupportedData = 1003;
constexpr int kInvalidPayload = 1007;
constexpr int kMessageTooBig = 1009;

// One WebSocket route and the largest message it accepts.
struct Route {
  const char* name;
  std::string target;
  std::string extra_headers;
  size_t max_message_bytes;
};

std::vector<Route> Routes() {
  return {
      // The ingest cap is max_request_bytes.
      {"ingest", "/v1/ingest", "Authorization: " + BasicAuth("k1") + "\r\n", 4096},
      // Alert subscribers send nothing meaningful; their cap is fixed.
      {"alert stream", "/v1/alerts/stream", "", 64 * 1024},
  };
}

struct ServerFrame {
  uint8_t opcode = 0;
  bool fin = false;
  std::string payload;

  // The status code of a close frame, or 1005 (no status) when it has none.
  int CloseCode() const {
    if (payload.size() < 2) return 1005;
    return (static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]);
  }
};

// Reads one frame. Server frames are never masked. nullopt on close or
// after 30 s.
std::optional<ServerFrame> ReadFrame(RawConnection& connection) {
  std::optional<std::string> head = connection.ReadBytes(2);
  if (!head) return std::nullopt;
  ServerFrame frame;
  frame.fin = (static_cast<uint8_t>((*head)[0]) & 0x80) != 0;
  frame.opcode = static_cast<uint8_t>((*head)[0]) & 0x0F;
  uint64_t size = static_cast<uint8_t>((*head)[1]) & 0x7F;
  if (size >= 126) {
    std::optional<std::string> extended = connection.ReadBytes(size == 126 ? 2 : 8);
    if (!extended) return std::nullopt;
    size = 0;
    for (char byte : *extended) size = (size << 8) | static_cast<uint8_t>(byte);
  }
  std::optional<std::string> payload = connection.ReadBytes(size);
  if (!payload) return std::nullopt;
  frame.payload = std::move(*payload);
  return frame;
}

// Reads frames until a close frame and returns its code, or 0 when the
// connection ends without one.
int ReadCloseCode(RawConnection& connection) {
  while (std::optional<ServerFrame> frame = ReadFrame(connection)) {
    if (frame->opcode == kClose) return frame->CloseCode();
  }
  return 0;
}

class HostileWebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.path() + "/uptake.yaml", kConfig);
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/uptake.yaml", dir_.path() + "/data",
                                              dir_.path() + "/uptake.log");
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "server log:\n" << server_->Log();
  }

  // Opens `route` and completes the handshake. Fails the test and returns
  // nullptr when the server does not answer 101.
  std::unique_ptr<RawConnection> Open(const Route& route) {
    auto connection = std::make_unique<RawConnection>(server_->port());
    // The key is the sample nonce of RFC 6455 section 1.3.
    std::string upgrade = "GET " + route.target +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n" +
                          route.extra_headers + "\r\n";
    EXPECT_TRUE(connection->Write(upgrade));
    std::optional<RawResponse> response = connection->ReadResponse();
    EXPECT_TRUE(response.has_value());
    if (!response) return nullptr;
    EXPECT_EQ(response->status, 101);
    if (response->status != 101) return nullptr;
    return connection;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(HostileWebSocketTest, OversizedMessageClosedWith1009) {
  for (const Route& route : Routes()) {
    SCOPED_TRACE(route.name);
    std::unique_ptr<RawConnection> whole = Open(route);
    ASSERT_NE(whole, nullptr);
    // Beast rejects the frame by its header and may close before reading
    // the payload, so the write may fail.
    whole->Write(Frame(kText, std::string(route.max_message_bytes + 1, ' ')));
    EXPECT_EQ(ReadCloseCode(*whole), kMessageTooBig);

    // Fragments each under the cap count toward one message.
    std::unique_ptr<RawConnection> fragmented = Open(route);
    ASSERT_NE(fragmented, nullptr);
    const std::string half(route.max_message_bytes / 2 + 1, ' ');
    // The server may close before the last fragment, so its write may fail.
    fragmented->Write(Frame(kText, half, /*fin=*/false) +
                      Frame(kContinuation, half, /*fin=*/false) +
                      Frame(kContinuation, "  ", /*fin=*/true));
    EXPECT_EQ(ReadCloseCode(*fragmented), kMessageTooBig);
  }
}

// Control frames may arrive between the fragments of a message (RFC 6455
// section 5.4). Each ping gets its pong, and the message is still read
// whole.
TEST_F(HostileWebSocketTest, FragmentedMessageWithPings) {
  for (const Route& route : Routes()) {
    SCOPED_TRACE(route.name);
    std::unique_ptr<RawConnection> connection = Open(route);
    ASSERT_NE(connection, nullptr);
    // "é" is split between the first two fragments, so UTF-8 validation
    // must carry state across fragments.
    const std::string message =
        R"({"requestId":"frag-1","batch":[{"type":"track","userId":"u","event":"caf)"
        "\xC3\xA9"
        R"(","messageId":"m-frag","context":{"groupId":"fragmented"}}]})";
    const size_t split_a = message.find("\xC3") + 1;
    const size_t split_b = split_a + 20;

    ASSERT_TRUE(connection->Write(Frame(kText, message.substr(0, split_a), /*fin=*/false) +
                                  Frame(kPing, "p1")));
    std::optional<ServerFrame> pong = ReadFrame(*connection);
    ASSERT_TRUE(pong.has_value());
    EXPECT_EQ(pong->opcode, kPong);
    EXPECT_EQ(pong->payload, "p1");

    ASSERT_TRUE(connection->Write(
        Frame(kContinuation, message.substr(split_a, split_b - split_a), /*fin=*/false) +
        Frame(kPing, "p2")));
    pong = ReadFrame(*connection);
    ASSERT_TRUE(pong.has_value());
    EXPECT_EQ(pong->opcode, kPong);
    EXPECT_EQ(pong->payload, "p2");

    ASSERT_TRUE(connection->Write(Frame(kContinuation, message.substr(split_b), /*fin=*/true)));
    if (route.target == "/v1/ingest") {
      std::optional<ServerFrame> answer = ReadFrame(*connection);
      ASSERT_TRUE(answer.has_value());
      EXPECT_EQ(answer->opcode, kText);
      EXPECT_NE(answer->payload.find(R"("requestId":"frag-1")"), std::string::npos)
          << answer->payload;
      EXPECT_NE(answer->payload.find(R"("status":200)"), std::string::npos) << answer->payload;
      EXPECT_NE(answer->payload.find(R"("accepted":1)"), std::string::npos) << answer->payload;
    }

    // The alert stream discards the message; either way the session is
    // still open and answers the next ping.
    ASSERT_TRUE(connection->Write(Frame(kPing, "p3")));
    pong = ReadFrame(*connection);
    ASSERT_TRUE(pong.has_value());
    EXPECT_EQ(pong->opcode, kPong);
    EXPECT_EQ(pong->payload, "p3");
  }
}

TEST_F(HostileWebSocketTest, InvalidUtf8ClosedWith1007) {
  struct Case {
    const char* name;
    std::string frames;
  };
  const std::vector<Case> cases = {
      {"invalid byte", Frame(kText, "{\"a\":\"\xFF\"}")},
      {"overlong encoding", Frame(kText, "{\"a\":\"\xC0\xAF\"}")},
      {"surrogate code point", Frame(kText, "{\"a\":\"\xED\xA0\x80\"}")},
      {"bad continuation across fragments", Frame(kText, "{\"a\":\"\xE2\x82", /*fin=*/false) +
                                                Frame(kContinuation, "(\"}", /*fin=*/true)},
      {"truncated at message end", Frame(kText, "{\"a\":\"\xE2\x82")},
  };
  for (const Route& route : Routes()) {
    for (const Case& test_case : cases) {
      SCOPED_TRACE(std::string(route.name) + ", " + test_case.name);
      std::unique_ptr<RawConnection> connection = Open(route);
      ASSERT_NE(connection, nullptr);
      ASSERT_TRUE(connection->Write(test_case.frames));
      EXPECT_EQ(ReadCloseCode(*connection), kInvalidPayload);
    }
  }
}

TEST_F(HostileWebSocketTest, BinaryMessageClosedWith1003) {
  for (const Route& route : Routes()) {
    SCOPED_TRACE(route.name);
    std::unique_ptr<RawConnection> connection = Open(route);
    ASSERT_NE(connection, nullptr);
    ASSERT_TRUE(connection->Write(Frame(kBinary, std::string("\x00\x01\x02", 3))));
    EXPECT_EQ(ReadCloseCode(*connection), kUnsupportedData);
  }
}

TEST_F(HostileWebSocketTest, ProtocolViolationsClosedWith1002) {
  struct Case {
    const char* name;
    std::string frames;
  };
  const std::vector<Case> cases = {
      {"unmasked text", Frame(kText, R"({"requestId":"x"})", /*fin=*/true, /*masked=*/false)},
      {"unmasked ping", Frame(kPing, "p", /*fin=*/true, /*masked=*/false)},
      {"ping over 125 bytes", Frame(kPing, std::string(126, 'p'))},
      {"fragmented ping", Frame(kPing, "p", /*fin=*/false)},
      {"continuation without a start", Frame(kContinuation, "x")},
      {"text inside a fragmented message",
       Frame(kText, "{", /*fin=*/false) + Frame(kText, "}", /*fin=*/true)},
      {"reserved opcode", Frame(0x3, "x")},
  };
  for (const Route& route : Routes()) {
    for (const Case& test_case : cases) {
      SCOPED_TRACE(std::string(route.name) + ", " + test_case.name);
      std::unique_ptr<RawConnection> connection = Open(route);
      ASSERT_NE(connection, nullptr);
      ASSERT_TRUE(connection->Write(test_case.frames));
      EXPECT_EQ(ReadCloseCode(*connection), kProtocolError);
    }
  }
}

}  // namespace
}  // namespace uptake::testing
