// The text and JSON reports of uptake-bench.

#ifndef UPTAKE_BENCH_BENCH_REPORT_H_
#define UPTAKE_BENCH_BENCH_REPORT_H_

#include <string>

#include "bench/alert_probe.h"
#include "bench/bench_options.h"
#include "bench/load_runner.h"

namespace uptake {

// Formats a load run for a terminal: totals, rates over the measured phase,
// errors by status and latency percentiles in milliseconds.
std::string FormatLoadText(const BenchOptions& options, const LoadStats& stats);

// Formats a load run as one JSON object. Latencies are in microseconds.
std::string FormatLoadJson(const BenchOptions& options, const LoadStats& stats);

std::string FormatAlertText(const AlertProbeStats& stats);
std::string FormatAlertJson(const AlertProbeStats& stats);

}  // namespace uptake

#endif  // UPTAKE_BENCH_BENCH_REPORT_H_
