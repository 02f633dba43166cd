// Decompression of LZ-String's base64 form (compressToBase64), which
// posthog-js sends as `compression=lz64`.
//
// LZ-String is an LZW variant over UTF-16 code units. The bit stream starts
// with a literal, then carries codes whose width grows as the dictionary
// does: code 0 and 1 introduce an 8-bit or 16-bit literal, code 2 ends the
// stream, and any other code names a dictionary entry. Each base64 digit
// carries 6 bits, most significant first, and every code is assembled least
// significant bit first.

#ifndef UPTAKE_PROTO_DETAIL_LZ_STRING_H_
#define UPTAKE_PROTO_DETAIL_LZ_STRING_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace uptake::detail {

enum class Lz64Status {
  kOk,
  kInvalid,   // not base64, truncated, a code past the dictionary, or an
              // unpaired surrogate in the decompressed text
  kTooLarge,  // the decompressed UTF-8 text is over the limit
};

struct Lz64Result {
  Lz64Status status = Lz64Status::kOk;
  std::string text;  // UTF-8; set only for kOk
};

// Decompresses `input` into UTF-8. The limit is checked as the text grows,
// so a small input never expands past `max_output_bytes` plus one entry.
Lz64Result DecompressLz64(std::string_view input, size_t max_output_bytes);

}  // namespace uptake::detail

#endif  // UPTAKE_PROTO_DETAIL_LZ_STRING_H_
