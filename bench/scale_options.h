// Command-line options of the bench tools that build synthetic accounts in
// uptake's aggregates in memory (uptake-memory, uptake-reload).

#ifndef UPTAKE_BENCH_SCALE_OPTIONS_H_
#define UPTAKE_BENCH_SCALE_OPTIONS_H_

#include <cstdint>

#include "bench/result.h"

namespace uptake {

struct ScaleOptions {
  int64_t accounts = 1'000'000;
  int64_t users = 1;  // per account
  int64_t days = 10;  // days the synthetic events span
  bool json = false;
  bool help = false;
};

// Parses --accounts N (1 to 10,000,000), --users U (1 to 1,000), --days D
// (1 to 120), --json and --help. Returns an error for an unknown flag, a
// positional argument or a value out of range.
Result<ScaleOptions> ParseScaleOptions(int argc, char** argv);

}  // namespace uptake

#endif  // UPTAKE_BENCH_SCALE_OPTIONS_H_
