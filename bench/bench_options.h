// Command-line options of uptake-bench.

#ifndef UPTAKE_BENCH_BENCH_OPTIONS_H_
#define UPTAKE_BENCH_BENCH_OPTIONS_H_

#include <cstdint>
#include <string>

#include "bench/result.h"

namespace uptake {

struct BenchOptions {
  // Server base URL; only loopback hosts are accepted.
  std::string url = "http://127.0.0.1:8080";
  std::string write_key = "demo";
  int64_t connections = 1;
  // Requests written ahead of their responses on one connection (HTTP/1.1
  // pipelining). 1 sends the next request only after the previous response.
  int64_t in_flight = 1;
  // Events per /v1/batch request. With `single`, 1 event per /v1/track request.
  int64_t batch = 100;
  bool single = false;
  // Approximate JSON size of one synthetic event, reached with a "pad" property.
  int64_t event_bytes = 0;
  int64_t accounts = 1000;
  int64_t users = 100;  // per account
  double zipf = 1.0;
  // Bounds of the measured phase; -1 when not given. At least one is required.
  int64_t duration_seconds = -1;
  int64_t requests = -1;
  int64_t warmup_seconds = 0;
  // Open loop at this many requests/s over all connections; 0 for closed loop.
  double rate = 0;
  int64_t request_timeout_seconds = 30;
  // The success status. 200 answers are parsed as batch responses; with any
  // other value, answers with that status count as successes unparsed, so a
  // stub server such as nginx's `return 204` can be measured.
  int64_t expect_status = 200;
  bool json = false;
  // Event-to-alert probes to send; 0 for a load run.
  int64_t alert_latency = 0;
  // Folder of GH Archive files to replay instead of synthetic events.
  std::string replay_dir;
  int64_t clones = 1;
  // Time shift between clones, in hours; 0 picks the input's span plus one hour.
  int64_t clone_offset_hours = 0;
  bool help = false;
};

// Parses argv. Returns an error naming the flag for an unknown flag, a value
// out of range, a run with neither --duration nor --requests, or flags that
// do not go together.
Result<BenchOptions> ParseBenchOptions(int argc, char** argv);

// The --help text.
const char* BenchUsage();

}  // namespace uptake

#endif  // UPTAKE_BENCH_BENCH_OPTIONS_H_
