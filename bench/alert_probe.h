// Event-to-alert latency: probe events that each make the previous probe's
// account fire an inactivity alert, timed from the POST to the alert's
// arrival on the WebSocket stream.

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

// Sends --alert-latency + 1 events, one at a time, for accounts
// "probe-<run id>-<i>", probe i stamped 2 * i days after a base time in the
// past. The server must use the event clock and an inactivity rule with
// `days: 1` (bench/alert-latency.yaml): probe i + 1 moves the clock two days
// on, so probe i's account fires at once. The server's data folder must be
// empty, or at least hold no event newer than the base time, because an
// event clock that is already ahead fires each probe on its own arrival.
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
