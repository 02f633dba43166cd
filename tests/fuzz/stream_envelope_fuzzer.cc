// Fuzzes one WebSocket ingest message as the stream session handles it: the
// envelope is read, the message parsed as the Segment call it names, and
// the answer encoded with the client's request id. The first input byte
// chooses tight limits (bit 0x80); the rest is the message text.

#include <cstddef>
#include <cstdint>

#include "proto/segment.h"
#include "proto/stream_envelope.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace uptake;
  using namespace uptake::fuzz;

  SelectedInput input;
  if (!SplitSelector(data, size, /*pad=*/false, &input)) return 0;
  const IngestLimits limits = FuzzLimits((input.selector & 0x80) != 0);

  StreamEnvelope envelope = ReadStreamEnvelope(input.body);
  ParsedRequest parsed = ParseSegment(envelope.call, input.body, kReceivedMs, limits);
  CheckParsedRequest(parsed);
  if (parsed.error) {
    (void)EncodeStreamError(envelope.request_id, *parsed.error);
  } else {
    (void)EncodeStreamAccepted(envelope.request_id, parsed.events.size(), 0, parsed.rejected);
  }
  return 0;
}
