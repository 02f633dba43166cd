// The load loop of uptake-bench: N HTTP/1.1 connections that post request
// bodies from a LoadSource, closed loop or open loop, and record every
// response in a latency histogram.

#ifndef UPTAKE_BENCH_LOAD_RUNNER_H_
#define UPTAKE_BENCH_LOAD_RUNNER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "bench/bench_options.h"
#include "bench/latency_histogram.h"
#include "bench/load_source.h"

namespace uptake {

struct LoadStats {
  // The whole run, warm-up included.
  int64_t requests_sent = 0;
  int64_t requests_ok = 0;  // status 200 with a valid body, or --expect-status
  int64_t events_sent = 0;
  int64_t events_accepted = 0;  // the server's "accepted" counts summed, duplicates included
  int64_t duplicates = 0;
  int64_t rejected = 0;
  std::map<unsigned, int64_t> errors_by_status;  // every status but the expected one
  int64_t network_errors = 0;                    // failed connect, write or read, and timeouts
  int64_t invalid_bodies = 0;  // status 200 with a body that is not a batch response
  std::vector<std::string> first_errors;

  // The measured phase: requests scheduled after the warm-up.
  int64_t measured_requests = 0;  // with a response of any status
  int64_t measured_events = 0;    // events of measured requests with status 200
  double measured_seconds = 0;
  // Microseconds from send (closed loop) or scheduled send (open loop) to
  // the whole response, for every measured request with a response of any status.
  LatencyHistogram latency_us;
  bool source_exhausted = false;

  int64_t errors() const;
};

// Runs on one io_context thread; not thread-safe.
class LoadRunner {
 public:
  using Clock = std::chrono::steady_clock;

  // `endpoints` must already be checked to be loopback. `source` must
  // outlive the runner.
  LoadRunner(boost::asio::io_context& io, boost::asio::ip::tcp::resolver::results_type endpoints,
             std::string host_header, const BenchOptions& options, LoadSource* source);

  // Starts every connection's coroutine. io.run() returns when all are done.
  void Start();

  const LoadStats& stats() const { return stats_; }

 private:
  struct Pending {
    Clock::time_point start;
    int64_t events;
    bool measured;
  };

  // Whether a request scheduled at `slot` may still start.
  bool MayStart(Clock::time_point slot) const;
  // Counts a request scheduled at `slot` against --requests.
  void Reserve(Clock::time_point slot);

  boost::asio::awaitable<void> RunConnection(int64_t index);
  void RecordResponse(const Pending& pending, unsigned status, const std::string& body);
  void RecordNetworkErrors(const std::string& reason, size_t requests);
  void NoteError(std::string message);

  boost::asio::io_context& io_;
  const boost::asio::ip::tcp::resolver::results_type endpoints_;
  const std::string host_header_;
  const BenchOptions& options_;
  LoadSource* const source_;
  const std::string header_prefix_;  // everything before Content-Length

  Clock::time_point start_;
  Clock::time_point measure_start_;
  Clock::time_point end_;
  Clock::time_point last_measured_response_;
  int64_t measured_reserved_ = 0;
  int64_t running_ = 0;
  LoadStats stats_;
};

}  // namespace uptake

#endif  // UPTAKE_BENCH_LOAD_RUNNER_H_
