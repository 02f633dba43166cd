// Command-line splitting, number checks and the exit status shared by the
// bench tools.

#ifndef UPTAKE_BENCH_COMMAND_LINE_H_
#define UPTAKE_BENCH_COMMAND_LINE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/result.h"

namespace uptake {

struct CommandLine {
  // Flags in order, as (name, value). A switch has an empty value.
  std::vector<std::pair<std::string, std::string>> flags;
  std::vector<std::string> positional;
};

// Splits argv into "--name value" or "--name=value" for the flags named in
// `valued`, the switches named in `switches` (which take no value) and
// positional arguments. "--" ends flag parsing. Returns an error for a flag
// in neither list and for a valued flag missing its value. When "help" is a
// switch and --help appears before any "--", returns that flag alone, so
// that asking for the usage works whatever else is on the line.
Result<CommandLine> SplitCommandLine(int argc, char** argv,
                                     const std::vector<std::string_view>& switches,
                                     const std::vector<std::string_view>& valued);

// Parses a whole decimal integer in [min, max]. The error names the flag.
Result<int64_t> ParseIntFlag(std::string_view name, std::string_view value, int64_t min,
                             int64_t max);

// Parses a finite decimal number in [min, max]. The error names the flag.
Result<double> ParseNumberFlag(std::string_view name, std::string_view value, double min,
                               double max);

// Flushes standard output and returns `status`. When some of the output
// could not be written (a full disk, say), returns 1 after a message on
// stderr instead, so that a script does not take a cut-off report for a
// whole one. Each tool's main returns FinishOutput(Main(...)).
int FinishOutput(int status);

}  // namespace uptake

#endif  // UPTAKE_BENCH_COMMAND_LINE_H_
