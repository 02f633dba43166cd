// Event-to-alert latency: probe events that each make their own account
// fire an alert, timed from the POST to the alert's arrival on the
// WebSocket stream.

#ifndef UPTAKE_BENCH_ALERT_PROBE_H_
#define UPTAKE_BENCH_ALERT_PROBE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "bench/bench_options.h"
#include "bench/latency_histogram.h"
#include "bench/loopback_url.h"

namespace uptake {

struct AlertProbeStats {
  int64_t probes = 0;  // alerts expected
  int64_t alerts = 0;  // alerts received in time
  LatencyHistogram latency_us;
  std::string error;  // why the run stopped early, empty when it did not
};

// Sends --alert-latency events, one at a time, each for a new account
// "probe-<run id>-<i>" and stamped two days before the wall clock. The
// server must run bench/alert-latency.yaml, whose event_count rule judges an
// account once it is a day old and wants two "Bench Probe" events, so each
// probe fires its own account's alert while its request is processed. The
// server uses the wall clock, so other load may run beside the probes.
// Runs on one io_context thread; not thread-safe.
class AlertProbe {
 public:
  using Clock = std::chrono::steady_clock;

  AlertProbe(boost::asio::io_context& io, boost::asio::ip::tcp::resolver::results_type endpoints,
             LoopbackUrl url, const BenchOptions& options, std::string run_id);

  // Subscribes, sends the probes and waits for each alert. Returns when all
  // arrived or at the first failure, which stats().error then names.
  boost::asio::awaitable<void> Run();

  const AlertProbeStats& stats() const { return stats_; }

 private:
  boost::asio::awaitable<bool> Subscribe();
  boost::asio::awaitable<void> ReadAlerts();
  std::string ProbeAccount(int64_t index) const;

  boost::asio::io_context& io_;
  const boost::asio::ip::tcp::resolver::results_type endpoints_;
  const LoopbackUrl url_;
  const BenchOptions& options_;
  const std::string run_id_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> stream_;
  // Arrival time of the first firing alert of each account.
  std::map<std::string, Clock::time_point> arrivals_;
  // Cancelled by the reader on every alert, to wake the waiting sender.
  boost::asio::steady_timer arrival_signal_;
  bool reader_done_ = false;
  AlertProbeStats stats_;
};

}  // namespace uptake

#endif  // UPTAKE_BENCH_ALERT_PROBE_H_
