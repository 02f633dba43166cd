// Fuzzes Content-Encoding decoding. The first input byte chooses the
// Content-Encoding header (its low three bits) and a 4 KB decoded-size
// limit (bit 0x80) in place of the 500 KB default; the rest is the raw body.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/body.h"
#include "tests/fuzz/fuzz_support.h"

namespace uptake::fuzz {
namespace {

constexpr std::array<std::string_view, 8> kEncodings = {
    "", "gzip", "deflate", "identity", "gzip, deflate", "x-gzip", "DEFLATE,gzip", "br"};

}  // namespace
}  // namespace uptake::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace uptake;
  using namespace uptake::fuzz;

  SelectedInput input;
  if (!SplitSelector(data, size, /*pad=*/false, &input)) return 0;
  const std::string_view encoding = kEncodings[input.selector & 0x07];
  const size_t limit = (input.selector & 0x80) != 0 ? 4096 : IngestLimits{}.max_request_bytes;

  (void)IsJsonMediaType(input.body.substr(0, 64));
  std::optional<RequestError> error = DecodeBody(encoding, input.body, limit);
  if (error) {
    Check(error->http_status == 400 || error->http_status == 415,
          "a body error has a status other than 400 or 415");
    return 0;
  }
  Check(input.body.size() <= limit, "a decoded body is over the limit");
  return 0;
}
