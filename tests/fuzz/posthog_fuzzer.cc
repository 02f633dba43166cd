// Fuzzes PostHog's payload decoding and parser together, as the capture
// routes run them. The first input byte chooses the `compression` query
// parameter (its low three bits), a form body (bit 0x08), tight limits (bit
// 0x80) and simdjson padding (bit 0x40); the rest is the body after
// Content-Encoding.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/account_traits.h"
#include "proto/amplitude.h"
#include "proto/answers.h"
#include "proto/posthog.h"
#include "tests/fuzz/fuzz_support.h"

namespace uptake::fuzz {
namespace {

// "" lets a form body name its own compression; "zstd" is unsupported.
constexpr std::array<std::string_view, 8> kCompressions = {"",       "gzip-js", "gzip", "lz64",
                                                           "base64", "LZ64",    "zstd", ""};

}  // namespace
}  // namespace uptake::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace uptake;
  using namespace uptake::fuzz;

  SelectedInput input;
  if (!SplitSelector(data, size, (data[0] & 0x40) != 0, &input)) return 0;
  const std::string_view compression = kCompressions[input.selector & 0x07];
  const std::string_view content_type =
      (input.selector & 0x08) != 0 ? "application/x-www-form-urlencoded" : "text/plain";
  const IngestLimits limits = FuzzLimits((input.selector & 0x80) != 0);

  if (std::optional<RequestError> error = DecodePostHogPayload(
          compression, content_type, input.body, limits.max_posthog_request_bytes)) {
    Check(error->http_status == 400 || error->http_status == 413 || error->http_status == 415,
          "a payload error has a status other than 400, 413 or 415");
    (void)EncodeError(error->code, error->message);
    return 0;
  }
  Check(input.body.size() <= limits.max_posthog_request_bytes,
        "a decoded payload is over the limit");

  // POST /batch is shared with Amplitude, told apart by the decoded body.
  (void)IsAmplitudeBody(input.body);

  ParsedRequest parsed = ParsePostHog(input.body, kReceivedMs, limits, PostHogOptions{});
  CheckParsedRequest(parsed);
  for (const Event& event : parsed.events) {
    if (event.type == EventType::kGroup) {
      (void)ExtractAccountTraits(event.properties, event.timestamp_ms);
    }
  }
  if (!parsed.error) (void)EncodeIngestAnswer(parsed.events.size(), 0, parsed.rejected);
  return 0;
}
