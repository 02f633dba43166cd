#include "bench/bench_options.h"

#include "bench/command_line.h"
#include "bench/zipf_sampler.h"

namespace uptake {
namespace {

constexpr int64_t kMaxConnections = 1024;
constexpr int64_t kMaxInFlight = 1024;
// The server's default limits.max_batch_events.
constexpr int64_t kMaxBatch = 2500;
// The server's default limits.max_event_bytes.
constexpr int64_t kMaxEventBytes = 32768;
constexpr int64_t kMaxDurationSeconds = 3600;
constexpr int64_t kMaxRequests = 1'000'000'000;
constexpr int64_t kMaxWarmupSeconds = 600;
constexpr int64_t kMaxProbes = 1000;
constexpr int64_t kMaxClones = 10000;

constexpr const char* kUsage = R"(usage: uptake-bench (--duration S | --requests N) [options]

Sends Segment track events to an uptake server on loopback and reports
throughput, errors by status and latency percentiles.

Target and load:
  --url URL               server base URL, loopback only (default http://127.0.0.1:8080)
  --write-key KEY         Segment write key (default demo)
  --connections N         HTTP/1.1 connections (default 1)
  --in-flight N           requests pipelined per connection (default 1: one at a time)
  --batch N               events per POST /v1/batch (default 100, at most 2500)
  --single                one event per POST /v1/track; needs --batch 1 or no --batch
  --event-bytes N         approximate JSON size of each event, padded (default: unpadded)
  --accounts N            accounts, drawn with a Zipf skew (default 1000)
  --users N               users per account, drawn with a Zipf skew (default 100)
  --zipf S                Zipf exponent, 0 for uniform (default 1.0)

Bounds (at least one of --duration and --requests is required):
  --duration S            measured phase, in seconds (at most 3600)
  --requests N            requests in the measured phase
  --warmup S              seconds of load before measuring (default 0)
  --rate R                open loop at R requests/s over all connections;
                          latency counts from each request's scheduled time
                          (default: closed loop)
  --request-timeout S     timeout of one request, in seconds (default 30)
  --expect-status N       success status (default 200, parsed as a batch
                          response); another 2xx counts unparsed, for a stub
                          server such as nginx answering 204

Modes:
  --alert-latency N       send N probe events that each fire their own
                          account's alert and report send-to-alert latency;
                          the server must run bench/alert-latency.yaml
  --replay DIR            send the GH Archive files of DIR instead of synthetic events
  --clones K              replay the files K times, copy k with "-k" appended to
                          accounts and users and its times shifted (default 1)
  --clone-offset-hours H  time shift between copies (default: the input's span + 1 h)

Output:
  --json                  print the report as one JSON object
  --help                  print this text

Exit status: 0 when every request succeeded, 1 when any failed, 2 on invalid
arguments or unreadable input.
)";

Result<int64_t> IntValue(const std::string& name, const std::string& value, int64_t min,
                         int64_t max) {
  return ParseIntFlag(name, value, min, max);
}

// Applies one flag. Returns an error for an unknown flag or a bad value.
Result<bool> ApplyFlag(const std::string& name, const std::string& value, BenchOptions* options) {
  struct IntFlag {
    const char* name;
    int64_t min;
    int64_t max;
    int64_t* target;
  };
  const IntFlag int_flags[] = {
      {"connections", 1, kMaxConnections, &options->connections},
      {"in-flight", 1, kMaxInFlight, &options->in_flight},
      {"batch", 1, kMaxBatch, &options->batch},
      {"event-bytes", 1, kMaxEventBytes, &options->event_bytes},
      {"accounts", 1, ZipfSampler::kMaxItems, &options->accounts},
      {"users", 1, ZipfSampler::kMaxItems, &options->users},
      {"duration", 1, kMaxDurationSeconds, &options->duration_seconds},
      {"requests", 1, kMaxRequests, &options->requests},
      {"warmup", 0, kMaxWarmupSeconds, &options->warmup_seconds},
      {"request-timeout", 1, kMaxDurationSeconds, &options->request_timeout_seconds},
      {"expect-status", 200, 299, &options->expect_status},
      {"alert-latency", 1, kMaxProbes, &options->alert_latency},
      {"clones", 1, kMaxClones, &options->clones},
      {"clone-offset-hours", 1, 24 * 365, &options->clone_offset_hours},
  };
  for (const IntFlag& flag : int_flags) {
    if (name != flag.name) continue;
    Result<int64_t> parsed = IntValue(name, value, flag.min, flag.max);
    if (!parsed.ok()) return Result<bool>::Error(parsed.error());
    *flag.target = parsed.value();
    return Result<bool>::Ok(true);
  }

  if (name == "zipf" || name == "rate") {
    Result<double> parsed = name == "zipf" ? ParseNumberFlag(name, value, 0, 10)
                                           : ParseNumberFlag(name, value, 0.001, 1e7);
    if (!parsed.ok()) return Result<bool>::Error(parsed.error());
    (name == "zipf" ? options->zipf : options->rate) = parsed.value();
  } else if (name == "url") {
    options->url = value;
  } else if (name == "write-key") {
    options->write_key = value;
  } else if (name == "replay") {
    options->replay_dir = value;
  } else if (name == "single") {
    options->single = true;
  } else if (name == "json") {
    options->json = true;
  } else if (name == "help") {
    options->help = true;
  } else {
    return Result<bool>::Error("unknown flag --" + name + "; see --help");
  }
  return Result<bool>::Ok(true);
}

// Checks the flags that depend on each other.
Result<bool> CheckCombination(const BenchOptions& options, bool batch_given) {
  using Check = Result<bool>;
  if (options.write_key.empty()) return Check::Error("--write-key must not be empty");
  if (options.alert_latency > 0) {
    if (!options.replay_dir.empty()) {
      return Check::Error("--alert-latency and --replay cannot be combined");
    }
    return Check::Ok(true);
  }
  if (options.duration_seconds < 0 && options.requests < 0) {
    return Check::Error(
        "unbounded run: give --duration S or --requests N (or both) to bound the load");
  }
  if (options.single && batch_given && options.batch != 1) {
    return Check::Error("--single sends one event per request; drop --batch or use --batch 1");
  }
  if (!options.replay_dir.empty() && options.single) {
    return Check::Error("--replay sends /v1/batch requests and cannot be combined with --single");
  }
  if (!options.replay_dir.empty() && options.event_bytes > 0) {
    return Check::Error("--event-bytes applies to synthetic events only, not to --replay");
  }
  if (options.replay_dir.empty() && options.clones != 1) {
    return Check::Error("--clones needs --replay DIR");
  }
  return Check::Ok(true);
}

}  // namespace

Result<BenchOptions> ParseBenchOptions(int argc, char** argv) {
  Result<CommandLine> line = SplitCommandLine(
      argc, argv, {"single", "json", "help"},
      {"connections", "in-flight", "batch", "event-bytes", "accounts", "users", "duration",
       "requests", "warmup", "request-timeout", "expect-status", "alert-latency", "clones",
       "clone-offset-hours", "zipf", "rate", "url", "write-key", "replay"});
  if (!line.ok()) return Result<BenchOptions>::Error(line.error());
  if (!line.value().positional.empty()) {
    return Result<BenchOptions>::Error("unexpected argument \"" + line.value().positional[0] +
                                       "\"; see --help");
  }

  BenchOptions options;
  bool batch_given = false;
  for (const auto& [name, value] : line.value().flags) {
    Result<bool> applied = ApplyFlag(name, value, &options);
    if (!applied.ok()) return Result<BenchOptions>::Error(applied.error());
    batch_given = batch_given || name == "batch";
  }
  if (options.help) return Result<BenchOptions>::Ok(std::move(options));
  Result<bool> combination = CheckCombination(options, batch_given);
  if (!combination.ok()) return Result<BenchOptions>::Error(combination.error());
  if (options.single) options.batch = 1;
  return Result<BenchOptions>::Ok(std::move(options));
}

const char* BenchUsage() { return kUsage; }

}  // namespace uptake
