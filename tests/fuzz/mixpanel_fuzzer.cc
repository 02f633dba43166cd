// Fuzzes the Mixpanel /import parser and its answer. The first input byte
// chooses the Content-Type (bit 0x01: application/x-ndjson, else
// application/json), strict mode for the answer (bit 0x02), tight limits
// (bit 0x80) and simdjson padding (bit 0x40); the rest is the decoded body.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/mixpanel.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace uptake;
  using namespace uptake::fuzz;

  SelectedInput input;
  if (!SplitSelector(data, size, (data[0] & 0x40) != 0, &input)) return 0;
  const std::string_view content_type =
      (input.selector & 0x01) != 0 ? "application/x-ndjson" : "application/json";
  const bool strict = (input.selector & 0x02) != 0;
  const IngestLimits limits = FuzzLimits((input.selector & 0x80) != 0);

  ParsedRequest parsed =
      ParseMixpanel(input.body, content_type, kReceivedMs, limits, MixpanelOptions{});
  CheckParsedRequest(parsed);
  if (!parsed.error) (void)EncodeMixpanelAnswer(strict, parsed.events.size(), parsed.rejected);
  return 0;
}
