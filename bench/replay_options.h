// Command-line options of uptake-replay.

#ifndef UPTAKE_BENCH_REPLAY_OPTIONS_H_
#define UPTAKE_BENCH_REPLAY_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "bench/result.h"

namespace uptake {

struct ReplayOptions {
  // Server base URL; only loopback hosts are accepted. Default: http://127.0.0.1:8080.
  std::string url = "http://127.0.0.1:8080";
  // Segment write key, sent as HTTP Basic user name. Default: demo.
  std::string write_key = "demo";
  // Factor that stretches event times away from the earliest one. Default: 1.
  double time_scale = 1;
  // Events per request, at most Segment's 2,500. Default: 500.
  int64_t batch_size = 500;
  // Maximum events sent over all files, or -1 for all. Default: -1.
  int64_t limit = -1;
  // Wall-clock budget of the whole replay, in seconds. Default: 600.
  int64_t timeout_seconds = 600;
  // Budget of one request, in seconds, connect included. Default: 30.
  int64_t request_timeout_seconds = 30;
  std::vector<std::string> files;
  bool help = false;
};

// Parses argv. Returns an error naming the flag for an unknown flag, a
// value out of range, or no input file (unless --help is given).
Result<ReplayOptions> ParseReplayOptions(int argc, char** argv);

// The --help text.
const char* ReplayUsage();

}  // namespace uptake

#endif  // UPTAKE_BENCH_REPLAY_OPTIONS_H_
