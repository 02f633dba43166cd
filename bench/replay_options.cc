#include "bench/replay_options.h"

#include "bench/command_line.h"

namespace uptake {
namespace {

constexpr int64_t kMaxSegmentBatch = 2500;
constexpr int64_t kMaxSeconds = 7 * 24 * 3600;

// Sets one option from a flag. Returns an error for an unknown flag or a bad value.
Result<bool> ApplyFlag(const std::string& name, const std::string& value, ReplayOptions* options) {
  Result<int64_t> integer = Result<int64_t>::Ok(0);
  if (name == "url") {
    options->url = value;
  } else if (name == "write-key") {
    options->write_key = value;
  } else if (name == "help") {
    options->help = true;
  } else if (name == "time-scale") {
    Result<double> scale = ParseNumberFlag(name, value, 1e-6, 1e6);
    if (!scale.ok()) return Result<bool>::Error(scale.error());
    options->time_scale = scale.value();
  } else if (name == "batch") {
    integer = ParseIntFlag(name, value, 1, kMaxSegmentBatch);
    if (integer.ok()) options->batch_size = integer.value();
  } else if (name == "limit") {
    integer = ParseIntFlag(name, value, 0, INT64_MAX);
    if (integer.ok()) options->limit = integer.value();
  } else if (name == "timeout-seconds") {
    integer = ParseIntFlag(name, value, 1, kMaxSeconds);
    if (integer.ok()) options->timeout_seconds = integer.value();
  } else if (name == "request-timeout-seconds") {
    integer = ParseIntFlag(name, value, 1, kMaxSeconds);
    if (integer.ok()) options->request_timeout_seconds = integer.value();
  } else {
    return Result<bool>::Error("unknown flag --" + name + "; see --help");
  }
  if (!integer.ok()) return Result<bool>::Error(integer.error());
  return Result<bool>::Ok(true);
}

}  // namespace

Result<ReplayOptions> ParseReplayOptions(int argc, char** argv) {
  Result<CommandLine> line = SplitCommandLine(argc, argv, {"help"},
                                              {"url", "write-key", "time-scale", "batch", "limit",
                                               "timeout-seconds", "request-timeout-seconds"});
  if (!line.ok()) return Result<ReplayOptions>::Error(line.error());

  ReplayOptions options;
  for (const auto& [name, value] : line.value().flags) {
    Result<bool> applied = ApplyFlag(name, value, &options);
    if (!applied.ok()) return Result<ReplayOptions>::Error(applied.error());
  }
  options.files = line.value().positional;
  if (options.files.empty() && !options.help) {
    return Result<ReplayOptions>::Error("missing input: give one or more NDJSON files");
  }
  return Result<ReplayOptions>::Ok(std::move(options));
}

const char* ReplayUsage() {
  return R"(usage: uptake-replay [options] FILE...

Posts GH Archive events (minimized or full NDJSON, optionally .gz) to an
uptake server as Segment /v1/batch track calls, in file order.

  --url URL                  server base URL, loopback only (default http://127.0.0.1:8080)
  --write-key KEY            Segment write key (default demo)
  --time-scale X             stretch event times by X from the earliest one (default 1)
  --batch N                  events per request, 1 to 2500 (default 500)
  --limit N                  send at most N events in total (default all)
  --timeout-seconds S        wall-clock budget of the whole replay (default 600)
  --request-timeout-seconds S  budget of one request (default 30)
  --help                     print this text

Exit status: 0 when every request succeeded, 1 on a failed request or timeout,
2 on invalid arguments or unreadable input.
)";
}

}  // namespace uptake
