// Command-line options of the bench tools that build synthetic accounts in
// uptake's aggregates in memory (uptake-memory, uptake-reload,
// uptake-apply).

#ifndef UPTAKE_BENCH_SCALE_OPTIONS_H_
#define UPTAKE_BENCH_SCALE_OPTIONS_H_

#include <cstdint>

#include "bench/result.h"

namespace uptake {

struct ScaleOptions {
  int64_t accounts = 1'000'000;
  int64_t users = 1;           // per account
  int64_t days = 10;           // days the synthetic events span
  int64_t batch = 3'200;       // events per Apply call
  int64_t events = 2'000'000;  // events timed
  bool json = false;
  bool help = false;
};

// The flags a tool takes besides --accounts, --users, --json and --help.
struct ScaleFlags {
  bool days = false;    // --days
  bool timing = false;  // --batch and --events
};

// Parses --accounts N (1 to 10,000,000), --users U (1 to 1,000), --json,
// --help and those of `flags`: --days D (1 to 120), --batch B (1 to
// 100,000) and --events E (1 to 100,000,000). Values not given keep those
// of `defaults`. Returns an error for an unknown flag, one outside `flags`,
// a positional argument or a value out of range.
Result<ScaleOptions> ParseScaleOptions(int argc, char** argv, const ScaleOptions& defaults,
                                       ScaleFlags flags);

}  // namespace uptake

#endif  // UPTAKE_BENCH_SCALE_OPTIONS_H_
