// Fuzzes the Amplitude HTTP V2 parser and its answers. The first input byte
// chooses tight limits (bit 0x80) and simdjson padding (bit 0x40); the rest
// is the decoded request body.

#include <cstddef>
#include <cstdint>

#include "proto/account_traits.h"
#include "proto/amplitude.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace uptake;
  using namespace uptake::fuzz;

  SelectedInput input;
  if (!SplitSelector(data, size, (data[0] & 0x40) != 0, &input)) return 0;
  const IngestLimits limits = FuzzLimits((input.selector & 0x80) != 0);

  (void)IsAmplitudeBody(input.body);
  ParsedRequest parsed = ParseAmplitude(input.body, kReceivedMs, limits, AmplitudeOptions{});
  CheckParsedRequest(parsed);
  if (parsed.error) {
    (void)EncodeAmplitudeError(*parsed.error);
    return 0;
  }
  for (const Event& event : parsed.events) {
    if (event.type == EventType::kGroup) {
      (void)ExtractAccountTraits(event.properties, event.timestamp_ms);
    }
  }
  (void)EncodeAmplitudeSuccess(parsed.events.size(), input.body.size(), kReceivedMs, 0,
                               parsed.rejected);
  return 0;
}
