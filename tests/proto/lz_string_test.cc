#include "proto/detail/lz_string.h"

#include <gtest/gtest.h>

#include <string>

namespace uptake::detail {
namespace {

// Vectors produced by compressToBase64 of the npm package lz-string 1.5.0.
struct Vector {
  std::string text;
  std::string compressed;
};

const Vector kVectors[] = {
    {"a", "IZA="},
    {"aaaaaaaaaa", "IY1o"},
    {"abababababab", "IYI17Sg="},
    {R"([{"event":"$pageview","properties":{"distinct_id":"u1","token":"phc_k"}}])",
     "NobwRApgbhB2AuYBcYAkAHAhgc2gSwgHcwAaMdAJwHt0IL4CBnZcAEz0YdgGN4B9PK2RgArgEZSYeFQDWcYegAW3PjLAB"
     "fdQF0gA"},
    {"{\"event\":\"caf\xc3\xa9 \xe2\x98\x95 "
     "\xf0\x9f\x98\x80\",\"properties\":{\"distinct_id\":\"u1\"}}",
     "N4IgpgbmB2AuIC4QGMCGAzAlwAkKhk3BeDcAA9kAGhAAcAnAewrCtgEswBnRUAEydeemVgB9Jp0QgArgEYQAXxlA"},
};

TEST(LzStringTest, KnownVectors) {
  for (const Vector& vector : kVectors) {
    const Lz64Result result = DecompressLz64(vector.compressed, 1 << 20);
    ASSERT_EQ(result.status, Lz64Status::kOk) << vector.compressed;
    EXPECT_EQ(result.text, vector.text);
  }
}

TEST(LzStringTest, EmptyInputInvalid) {
  EXPECT_EQ(DecompressLz64("", 100).status, Lz64Status::kInvalid);
}

TEST(LzStringTest, TruncatedInputInvalid) {
  const std::string& full = kVectors[3].compressed;
  EXPECT_EQ(DecompressLz64(full.substr(0, full.size() / 2), 1 << 20).status, Lz64Status::kInvalid);
}

TEST(LzStringTest, CharacterOutsideAlphabet) {
  EXPECT_EQ(DecompressLz64("IY!o", 100).status, Lz64Status::kInvalid);
  // Digits after the end-of-stream code are never read, as in lz-string.
  EXPECT_EQ(DecompressLz64("IY1o!", 100).status, Lz64Status::kOk);
  EXPECT_EQ(DecompressLz64("I Y1o", 100).status, Lz64Status::kInvalid);
}

TEST(LzStringTest, LimitEnforced) {
  EXPECT_EQ(DecompressLz64("IY1o", 10).status, Lz64Status::kOk);
  EXPECT_EQ(DecompressLz64("IY1o", 9).status, Lz64Status::kTooLarge);
  // The UTF-8 size counts, not the UTF-16 length: the emoji vector is 55
  // UTF-16 units but 60 bytes.
  EXPECT_EQ(DecompressLz64(kVectors[4].compressed, 59).status, Lz64Status::kTooLarge);
  EXPECT_EQ(DecompressLz64(kVectors[4].compressed, 60).status, Lz64Status::kOk);
}

TEST(LzStringTest, CodePastDictionaryInvalid) {
  // "A" reads the first code as 0 (an 8-bit literal), and "/" digits then
  // fill codes with ones, naming entries that do not exist yet.
  EXPECT_EQ(DecompressLz64("AAB//////", 100).status, Lz64Status::kInvalid);
}

}  // namespace
}  // namespace uptake::detail
