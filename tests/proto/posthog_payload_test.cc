#include <gtest/gtest.h>
#include <zlib.h>

#include <optional>
#include <string>

#include "proto/posthog.h"

namespace uptake {
namespace {

constexpr size_t kLimit = 1 << 20;
constexpr char kJson[] =
    R"([{"event":"$pageview","properties":{"distinct_id":"u1","token":"phc_k"}}])";
// compressToBase64(kJson), from the npm package lz-string 1.5.0.
constexpr char kJsonLz64[] =
    "NobwRApgbhB2AuYBcYAkAHAhgc2gSwgHcwAaMdAJwHt0IL4CBnZcAEz0YdgGN4B9PK2RgArgEZSYeFQDWcYegAW3PjLABf"
    "d"
    "QF0gA";
// An lz64 vector whose encoding contains '+', which a form body must escape.
constexpr char kPlusJson[] =
    R"([{"event":"$pageview","properties":{"distinct_id":"u100","token":"phc_k"}}])";
constexpr char kPlusLz64[] =
    "NobwRApgbhB2AuYBcYAkAHAhgc2gSwgHcwAaMdAJwHt0IL4CBnZcAEz0YdgGN4B9PK2RgArgEYADBNJh4VANZxh6ABbc+"
    "8sAF"
    "8tAXSA=";
constexpr char kFormType[] = "application/x-www-form-urlencoded";
// base64 of kBase64Json, whose encoding contains '+' and '='.
constexpr char kBase64Json[] =
    R"([{"event":"$pageview","distinct_id":"u1","properties":{"token":"phc_k","x":"?>?"}}])";
constexpr char kBase64[] =
    "W3siZXZlbnQiOiIkcGFnZXZpZXciLCJkaXN0aW5jdF9pZCI6InUxIiwicHJvcGVydGllcyI6eyJ0b2tlbiI6InBoY19r"
    "IiwieCI6Ij8+PyJ9fV0=";

std::string Gzip(const std::string& text) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&stream, text.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

struct Decoded {
  std::string body;
  std::optional<RequestError> error;
};

Decoded Decode(std::string body, std::string_view compression, std::string_view content_type = "",
               size_t limit = kLimit) {
  Decoded decoded;
  decoded.error = DecodePostHogPayload(compression, content_type, body, limit);
  decoded.body = std::move(body);
  return decoded;
}

std::string ErrorCode(const Decoded& decoded) { return decoded.error ? decoded.error->code : ""; }
int ErrorStatus(const Decoded& decoded) { return decoded.error ? decoded.error->http_status : 0; }

TEST(PostHogPayloadTest, PlainJsonUntouched) {
  const Decoded decoded = Decode(kJson, "", "application/json");
  ASSERT_FALSE(decoded.error);
  EXPECT_EQ(decoded.body, kJson);
}

TEST(PostHogPayloadTest, GzipJs) {
  const Decoded decoded = Decode(Gzip(kJson), "gzip-js", "text/plain");
  ASSERT_FALSE(decoded.error) << ErrorCode(decoded);
  EXPECT_EQ(decoded.body, kJson);

  // The transport layer inflates a body with gzip magic bytes first.
  const Decoded inflated = Decode(kJson, "gzip-js", "text/plain");
  ASSERT_FALSE(inflated.error);
  EXPECT_EQ(inflated.body, kJson);
}

TEST(PostHogPayloadTest, CorruptGzip) {
  std::string gzip = Gzip(kJson);
  gzip.resize(gzip.size() / 2);
  const Decoded decoded = Decode(gzip, "gzip");
  EXPECT_EQ(ErrorCode(decoded), "invalid_gzip");
  EXPECT_EQ(ErrorStatus(decoded), 400);
}

TEST(PostHogPayloadTest, GzipOverLimit) {
  const std::string big(100000, ' ');
  const Decoded decoded = Decode(Gzip("[" + big + "]"), "gzip-js", "", 50000);
  EXPECT_EQ(ErrorCode(decoded), "request_too_large");
  EXPECT_EQ(ErrorStatus(decoded), 413);
}

TEST(PostHogPayloadTest, Lz64Body) {
  const Decoded decoded = Decode(kJsonLz64, "lz64", "text/plain");
  ASSERT_FALSE(decoded.error) << ErrorCode(decoded);
  EXPECT_EQ(decoded.body, kJson);
}

TEST(PostHogPayloadTest, Lz64Form) {
  // posthog-js escapes the value, but a '+' left unescaped reads as a space.
  const Decoded escaped =
      Decode(std::string("data=") +
                 "NobwRApgbhB2AuYBcYAkAHAhgc2gSwgHcwAaMdAJwHt0IL4CBnZcAEz0YdgGN4B9PK2R"
                 "gArgEYADBNJh4VANZxh6ABbc%2B8sAF8tAXSA%3D",
             "lz64", kFormType);
  ASSERT_FALSE(escaped.error) << ErrorCode(escaped);
  EXPECT_EQ(escaped.body, kPlusJson);

  const Decoded unescaped = Decode(std::string("data=") + kPlusLz64 + "&compression=lz64", "",
                                   "Application/X-WWW-Form-Urlencoded; charset=UTF-8");
  ASSERT_FALSE(unescaped.error) << ErrorCode(unescaped);
  EXPECT_EQ(unescaped.body, kPlusJson);
}

TEST(PostHogPayloadTest, InvalidLz64) {
  EXPECT_EQ(ErrorCode(Decode("", "lz64")), "invalid_lz64");
  EXPECT_EQ(ErrorCode(Decode("not lz64!", "lz64")), "invalid_lz64");
  EXPECT_EQ(ErrorCode(Decode(std::string(kJsonLz64).substr(0, 20), "lz64")), "invalid_lz64");
}

TEST(PostHogPayloadTest, Lz64OverLimit) {
  const Decoded decoded = Decode(kJsonLz64, "lz64", "", 20);
  EXPECT_EQ(ErrorCode(decoded), "request_too_large");
  EXPECT_EQ(ErrorStatus(decoded), 413);
}

TEST(PostHogPayloadTest, Base64Body) {
  const Decoded decoded = Decode(kBase64, "base64", "text/plain");
  ASSERT_FALSE(decoded.error) << ErrorCode(decoded);
  EXPECT_EQ(decoded.body, kBase64Json);

  // JSON sent with compression=base64 is taken as it is.
  const Decoded plain = Decode(kJson, "base64");
  ASSERT_FALSE(plain.error);
  EXPECT_EQ(plain.body, kJson);
}

TEST(PostHogPayloadTest, FormBase64) {
  const std::string escaped =
      "W3siZXZlbnQiOiIkcGFnZXZpZXciLCJkaXN0aW5jdF9pZCI6InUxIiwicHJvcGVydGllcyI6eyJ0b2tlbiI6InBoY1"
      "9rIiwieCI6Ij8%2BPyJ9fV0%3D";
  const Decoded decoded = Decode("data=" + escaped, "", kFormType);
  ASSERT_FALSE(decoded.error) << ErrorCode(decoded);
  EXPECT_EQ(decoded.body, kBase64Json);

  const Decoded unescaped = Decode(std::string("ver=1&data=") + kBase64, "base64", kFormType);
  ASSERT_FALSE(unescaped.error) << ErrorCode(unescaped);
  EXPECT_EQ(unescaped.body, kBase64Json);
}

TEST(PostHogPayloadTest, FormPlainJson) {
  const Decoded decoded = Decode("data=%7B%22event%22%3A%22x%22%7D&compression=", "", kFormType);
  ASSERT_FALSE(decoded.error) << ErrorCode(decoded);
  EXPECT_EQ(decoded.body, R"({"event":"x"})");
}

TEST(PostHogPayloadTest, FormErrors) {
  EXPECT_EQ(ErrorCode(Decode("event=x", "", kFormType)), "invalid_form");
  EXPECT_EQ(ErrorCode(Decode("data=%7", "", kFormType)), "invalid_form");
  EXPECT_EQ(ErrorCode(Decode("data=%zz", "", kFormType)), "invalid_form");
  EXPECT_EQ(ErrorCode(Decode("data=!!!!", "", kFormType)), "invalid_base64");
  EXPECT_EQ(ErrorStatus(Decode("data=!!!!", "", kFormType)), 400);
}

TEST(PostHogPayloadTest, InvalidBase64) {
  const Decoded decoded = Decode("W3si*", "base64");
  EXPECT_EQ(ErrorCode(decoded), "invalid_base64");
  EXPECT_EQ(ErrorStatus(decoded), 400);
}

TEST(PostHogPayloadTest, UnknownCompression) {
  const Decoded decoded = Decode(kJson, "brotli");
  EXPECT_EQ(ErrorCode(decoded), "unsupported_compression");
  EXPECT_EQ(ErrorStatus(decoded), 415);
  EXPECT_FALSE(Decode(kJson, "GZIP-JS").error);
}

TEST(PostHogPayloadTest, PlainOverLimit) {
  const Decoded decoded = Decode(kJson, "", "", 10);
  EXPECT_EQ(ErrorCode(decoded), "request_too_large");
  EXPECT_EQ(ErrorStatus(decoded), 413);
  EXPECT_EQ(ErrorStatus(Decode(kBase64, "base64", "", 10)), 413);
}

}  // namespace
}  // namespace uptake
