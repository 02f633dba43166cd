// uptake-bench: a load generator for an uptake server on loopback. It posts
// Segment track events over HTTP/1.1 and reports throughput, errors and
// latency percentiles, or measures event-to-alert latency.

#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "bench/alert_probe.h"
#include "bench/bench_options.h"
#include "bench/bench_report.h"
#include "bench/command_line.h"
#include "bench/load_runner.h"
#include "bench/load_source.h"
#include "bench/loopback_url.h"

namespace uptake {
namespace {

namespace asio = boost::asio;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// A random 48-bit id in hex, part of every messageId so that two runs
// against one server never send the same id.
std::string NewRunId(uint64_t seed) {
  char text[16];
  std::snprintf(text, sizeof(text), "%012llx",
                static_cast<unsigned long long>(seed & 0xffffffffffffULL));
  return text;
}

int RunAlertLatency(asio::io_context& io, const asio::ip::tcp::resolver::results_type& endpoints,
                    const LoopbackUrl& url, const BenchOptions& options,
                    const std::string& run_id) {
  AlertProbe probe(io, endpoints, url, options, run_id);
  asio::co_spawn(io, probe.Run(), asio::detached);
  io.run();
  std::fputs(options.json ? FormatAlertJson(probe.stats()).c_str()
                          : FormatAlertText(probe.stats()).c_str(),
             stdout);
  return probe.stats().error.empty() ? 0 : kExitFailure;
}

int RunLoad(asio::io_context& io, const asio::ip::tcp::resolver::results_type& endpoints,
            const LoopbackUrl& url, const BenchOptions& options, const std::string& run_id,
            uint64_t seed) {
  std::unique_ptr<LoadSource> source;
  if (options.replay_dir.empty()) {
    source = std::make_unique<SyntheticSource>(options, run_id, seed);
  } else {
    Result<ReplaySource> replay = ReplaySource::Load(options, run_id);
    if (!replay.ok()) {
      std::cerr << "uptake-bench: " << replay.error() << "\n";
      return kExitUsage;
    }
    std::cerr << "uptake-bench: replaying " << replay.value().total_events() << " events from "
              << replay.value().files() << " files, copies " << replay.value().offset_ms() / 1000
              << " s apart\n";
    source = std::make_unique<ReplaySource>(std::move(replay.value()));
  }

  LoadRunner runner(io, endpoints, url.HostHeader(), options, source.get());
  runner.Start();
  io.run();
  std::fputs(options.json ? FormatLoadJson(options, runner.stats()).c_str()
                          : FormatLoadText(options, runner.stats()).c_str(),
             stdout);
  return runner.stats().errors() == 0 ? 0 : kExitFailure;
}

int Main(int argc, char** argv) {
  Result<BenchOptions> options = ParseBenchOptions(argc, argv);
  if (!options.ok()) {
    std::cerr << "uptake-bench: " << options.error() << "\n";
    return kExitUsage;
  }
  if (options.value().help) {
    std::fputs(BenchUsage(), stdout);
    return 0;
  }

  Result<LoopbackUrl> url = ParseLoopbackUrl(options.value().url, "http");
  if (url.ok() && url.value().target != "/") {
    url = Result<LoopbackUrl>::Error("--url takes the server's base URL without a path, not " +
                                     options.value().url);
  }
  asio::io_context io;
  Result<asio::ip::tcp::resolver::results_type> endpoints =
      url.ok() ? ResolveLoopback(io, url.value())
               : Result<asio::ip::tcp::resolver::results_type>::Error(url.error());
  if (!endpoints.ok()) {
    std::cerr << "uptake-bench: " << endpoints.error() << "\n";
    return kExitUsage;
  }

  const uint64_t seed = std::random_device()() * 0x100000000ULL ^ std::random_device()();
  const std::string run_id = NewRunId(seed);
  if (options.value().alert_latency > 0) {
    return RunAlertLatency(io, endpoints.value(), url.value(), options.value(), run_id);
  }
  return RunLoad(io, endpoints.value(), url.value(), options.value(), run_id, seed);
}

}  // namespace
}  // namespace uptake

int main(int argc, char** argv) { return uptake::FinishOutput(uptake::Main(argc, argv)); }
