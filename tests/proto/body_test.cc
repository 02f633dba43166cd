#include "proto/body.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <sstream>
#include <string>

namespace uptake {
namespace {

constexpr size_t kLimit = 500 * 1024;

// Compresses with zlib. window_bits picks the container: 15 + 16 gzip,
// 15 zlib, -15 raw deflate.
std::string Compress(const std::string& input, int window_bits) {
  z_stream stream{};
  EXPECT_EQ(
      deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string output(deflateBound(&stream, input.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(output.data());
  stream.avail_out = static_cast<uInt>(output.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  output.resize(stream.total_out);
  deflateEnd(&stream);
  return output;
}

std::string Gzip(const std::string& input) { return Compress(input, 15 + 16); }

std::string ReadRealLines() {
  std::ifstream file(UPTAKE_SHARED_DIR
                     "/data/usage-events/gharchive-minimized/2015-02-22-21.ndjson");
  std::string text, line;
  for (int i = 0; i < 200 && std::getline(file, line); ++i) text += line + "\n";
  return text;
}

TEST(MediaTypeTest, AcceptsJsonTypes) {
  EXPECT_TRUE(IsJsonMediaType(""));
  EXPECT_TRUE(IsJsonMediaType("application/json"));
  EXPECT_TRUE(IsJsonMediaType("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(IsJsonMediaType("text/plain;charset=UTF-8"));
  EXPECT_FALSE(IsJsonMediaType("application/xml"));
  EXPECT_FALSE(IsJsonMediaType("application/jsonp"));
  EXPECT_FALSE(IsJsonMediaType("application/x-www-form-urlencoded"));
}

TEST(DecodeBodyTest, IdentityLeavesBody) {
  std::string body = "{\"a\":1}";
  EXPECT_EQ(DecodeBody("", body, kLimit), std::nullopt);
  EXPECT_EQ(body, "{\"a\":1}");
  EXPECT_EQ(DecodeBody("identity", body, kLimit), std::nullopt);
  EXPECT_EQ(body, "{\"a\":1}");
}

TEST(DecodeBodyTest, GzipRealData) {
  const std::string original = ReadRealLines();
  ASSERT_GT(original.size(), 10000u);
  std::string body = Gzip(original);
  EXPECT_EQ(DecodeBody("GZIP", body, kLimit), std::nullopt);
  EXPECT_EQ(body, original);
}

TEST(DecodeBodyTest, GzipMultiMember) {
  std::string body = Gzip("{\"batch\":[") + Gzip("1,2") + Gzip("]}");
  EXPECT_EQ(DecodeBody("gzip", body, kLimit), std::nullopt);
  EXPECT_EQ(body, "{\"batch\":[1,2]}");
}

TEST(DecodeBodyTest, DeflateZlibAndRaw) {
  const std::string original = ReadRealLines();
  std::string zlib_body = Compress(original, 15);
  EXPECT_EQ(DecodeBody("deflate", zlib_body, kLimit), std::nullopt);
  EXPECT_EQ(zlib_body, original);

  std::string raw_body = Compress(original, -15);
  EXPECT_EQ(DecodeBody("Deflate", raw_body, kLimit), std::nullopt);
  EXPECT_EQ(raw_body, original);
}

TEST(DecodeBodyTest, SniffsGzipWithoutHeader) {
  std::string body = Gzip("{\"x\":true}");
  EXPECT_EQ(DecodeBody("", body, kLimit), std::nullopt);
  EXPECT_EQ(body, "{\"x\":true}");
}

TEST(DecodeBodyTest, TruncatedGzip) {
  std::string body = Gzip(ReadRealLines());
  body.resize(body.size() / 2);
  const auto error = DecodeBody("gzip", body, kLimit);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->http_status, 400);
  EXPECT_EQ(error->code, "invalid_gzip");
}

TEST(DecodeBodyTest, CorruptDeflate) {
  std::string body = "\x78\x9c not deflate data";
  const auto error = DecodeBody("deflate", body, kLimit);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "invalid_deflate");
}

TEST(DecodeBodyTest, GzipTrailingGarbage) {
  std::string body = Gzip("{}") + "xx";
  const auto error = DecodeBody("gzip", body, kLimit);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "invalid_gzip");
}

TEST(DecodeBodyTest, BombStoppedAtLimit) {
  // 64 MB of zeros compress to about 64 KB.
  std::string body = Gzip(std::string(64 << 20, '0'));
  ASSERT_LT(body.size(), 100u * 1024);
  const auto error = DecodeBody("gzip", body, kLimit);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->http_status, 400);
  EXPECT_EQ(error->code, "request_too_large");
}

TEST(DecodeBodyTest, ExactLimitAccepted) {
  const std::string original(kLimit, 'a');
  std::string body = Gzip(original);
  EXPECT_EQ(DecodeBody("gzip", body, kLimit), std::nullopt);
  EXPECT_EQ(body.size(), kLimit);
}

TEST(DecodeBodyTest, UnknownCodingIs415) {
  std::string body = "{}";
  const auto error = DecodeBody("gzip, br", body, kLimit);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->http_status, 415);
  EXPECT_EQ(error->code, "unsupported_encoding");
}

TEST(DecodeBodyTest, CodingsUndoneInReverse) {
  // deflate was applied first, then gzip, so the header lists "deflate, gzip".
  const std::string original = "{\"batch\":[{\"type\":\"track\"}]}";
  std::string body = Gzip(Compress(original, 15));
  EXPECT_EQ(DecodeBody("deflate, gzip", body, kLimit), std::nullopt);
  EXPECT_EQ(body, original);

  std::string wrong_order = Gzip(Compress(original, 15));
  const auto error = DecodeBody("gzip, deflate", wrong_order, kLimit);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "invalid_deflate");
}

TEST(DecodeBodyTest, EmptyGzipBodyInvalid) {
  std::string body;
  const auto error = DecodeBody("gzip", body, kLimit);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "invalid_gzip");
}

}  // namespace
}  // namespace uptake
