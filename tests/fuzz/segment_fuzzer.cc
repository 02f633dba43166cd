// Fuzzes the Segment parser. The first input byte chooses the route (its
// value modulo 7), tight limits (bit 0x80) and an in-place body with
// simdjson padding (bit 0x40); the rest is the decoded request body.

#include <array>
#include <cstddef>
#include <cstdint>

#include "proto/account_traits.h"
#include "proto/answers.h"
#include "proto/segment.h"
#include "tests/fuzz/fuzz_support.h"

namespace uptake::fuzz {
namespace {

constexpr std::array<SegmentCall, 7> kCalls = {
    SegmentCall::kBatch, SegmentCall::kTrack,  SegmentCall::kIdentify, SegmentCall::kGroup,
    SegmentCall::kPage,  SegmentCall::kScreen, SegmentCall::kAlias};

}  // namespace
}  // namespace uptake::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace uptake;
  using namespace uptake::fuzz;

  SelectedInput input;
  if (!SplitSelector(data, size, (data[0] & 0x40) != 0, &input)) return 0;
  const SegmentCall call = kCalls[input.selector % kCalls.size()];
  const IngestLimits limits = FuzzLimits((input.selector & 0x80) != 0);

  ParsedRequest parsed = ParseSegment(call, input.body, kReceivedMs, limits);
  CheckParsedRequest(parsed);

  // What the ingest path does next with each event that needs no storage.
  for (const Event& event : parsed.events) {
    if (event.type == EventType::kGroup) {
      (void)ExtractAccountTraits(event.properties, event.timestamp_ms);
    }
  }
  if (parsed.error) {
    (void)EncodeError(parsed.error->code, parsed.error->message);
  } else {
    (void)EncodeIngestAnswer(parsed.events.size(), 0, parsed.rejected);
  }
  return 0;
}
