// The server's response body to an accepted batch:
// {"accepted":N,"duplicates":D,"rejected":[{"index":i,"error":"code","message":"..."}]}.

#ifndef UPTAKE_BENCH_BATCH_RESPONSE_H_
#define UPTAKE_BENCH_BATCH_RESPONSE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/result.h"

namespace uptake {

struct RejectedEvent {
  int64_t index = -1;  // position in the batch
  std::string error;   // machine-readable code, for example "timestamp_out_of_range"
  std::string message;
};

struct BatchResponse {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  std::vector<RejectedEvent> rejected;
};

// Parses a 200 response body. Missing counters read as 0 and unknown fields
// are ignored. Returns an error when the body is not a JSON object or a
// known field has the wrong type.
Result<BatchResponse> ParseBatchResponse(std::string_view body);

}  // namespace uptake

#endif  // UPTAKE_BENCH_BATCH_RESPONSE_H_
