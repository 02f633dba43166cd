#include "bench/load_runner.h"

#include <deque>
#include <exception>
#include <iostream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "bench/batch_response.h"
#include "bench/http_client.h"

namespace uptake {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxErrorsKept = 5;
constexpr uint64_t kMaxReplyBytes = 8 << 20;
// A run with only --requests still ends after this long.
constexpr std::chrono::seconds kMaxRunTime{3600};
// Pause after a failed connect, so a stopped server does not turn the
// bench into a busy loop.
constexpr std::chrono::milliseconds kReconnectPause{100};

std::string BuildHeaderPrefix(const std::string& target, const std::string& host,
                              const std::string& write_key) {
  return "POST " + target + " HTTP/1.1\r\nHost: " + host +
         "\r\nUser-Agent: uptake-bench\r\nAuthorization: " + BasicAuthorization(write_key) +
         "\r\nContent-Type: application/json\r\n";
}

int64_t Microseconds(LoadRunner::Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
}

}  // namespace

int64_t LoadStats::errors() const {
  int64_t total = network_errors + invalid_bodies;
  for (const auto& [status, count] : errors_by_status) total += count;
  return total;
}

LoadRunner::LoadRunner(asio::io_context& io, asio::ip::tcp::resolver::results_type endpoints,
                       std::string host_header, const BenchOptions& options, LoadSource* source)
    : io_(io),
      endpoints_(std::move(endpoints)),
      host_header_(std::move(host_header)),
      options_(options),
      source_(source),
      header_prefix_(BuildHeaderPrefix(source->target(), host_header_, options.write_key)) {}

void LoadRunner::Start() {
  start_ = Clock::now();
  measure_start_ = start_ + std::chrono::seconds(options_.warmup_seconds);
  end_ = options_.duration_seconds > 0
             ? measure_start_ + std::chrono::seconds(options_.duration_seconds)
             : measure_start_ + kMaxRunTime;
  last_measured_response_ = measure_start_;
  running_ = options_.connections;
  for (int64_t i = 0; i < options_.connections; ++i) {
    asio::co_spawn(io_, RunConnection(i), [this](std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          std::cerr << "uptake-bench: internal error: " << e.what() << "\n";
        }
      }
      if (--running_ == 0) {
        const std::chrono::duration<double> measured = last_measured_response_ - measure_start_;
        stats_.measured_seconds = measured.count();
      }
    });
  }
}

bool LoadRunner::MayStart(Clock::time_point slot) const {
  if (stats_.source_exhausted || slot >= end_) return false;
  return slot < measure_start_ || options_.requests < 0 || measured_reserved_ < options_.requests;
}

void LoadRunner::Reserve(Clock::time_point slot) {
  if (slot >= measure_start_) ++measured_reserved_;
}

void LoadRunner::NoteError(std::string message) {
  if (stats_.first_errors.size() < kMaxErrorsKept)
    stats_.first_errors.push_back(std::move(message));
}

void LoadRunner::RecordNetworkErrors(const std::string& reason, size_t requests) {
  if (requests == 0) return;
  stats_.network_errors += static_cast<int64_t>(requests);
  NoteError(reason);
}

void LoadRunner::RecordResponse(const Pending& pending, unsigned status, const std::string& body) {
  const Clock::time_point now = Clock::now();
  if (pending.measured) {
    ++stats_.measured_requests;
    stats_.latency_us.Record(Microseconds(now - pending.start));
    if (now > last_measured_response_) last_measured_response_ = now;
  }

  if (status != 200 && status == static_cast<unsigned>(options_.expect_status)) {
    ++stats_.requests_ok;
    if (pending.measured) stats_.measured_events += pending.events;
    return;
  }
  if (status != 200 || options_.expect_status != 200) {
    ++stats_.errors_by_status[status];
    NoteError("HTTP " + std::to_string(status) + ": " + body.substr(0, 300));
    return;
  }

  Result<BatchResponse> response = ParseBatchResponse(body);
  if (!response.ok()) {
    ++stats_.invalid_bodies;
    NoteError("invalid 200 body: " + response.error());
    return;
  }
  ++stats_.requests_ok;
  stats_.events_accepted += response.value().accepted;
  stats_.duplicates += response.value().duplicates;
  stats_.rejected += static_cast<int64_t>(response.value().rejected.size());
  for (const RejectedEvent& rejected : response.value().rejected) {
    NoteError("rejected event: " + rejected.error + ": " + rejected.message);
  }
  if (pending.measured) stats_.measured_events += pending.events;
}

// One connection. It keeps up to --in-flight requests written ahead of
// their responses and reads the responses in order, as HTTP/1.1 pipelining
// requires. In the open loop, request k of connection i is scheduled at
// start + (i + k * connections) / rate. A request sent late because the
// window was full still counts its latency from that time, so a slow
// server cannot hide its queueing (coordinated omission).
asio::awaitable<void> LoadRunner::RunConnection(int64_t index) {
  beast::tcp_stream stream(io_);
  beast::flat_buffer buffer;
  std::deque<Pending> pending;
  bool connected = false;
  bool stopping = false;

  const bool open_loop = options_.rate > 0;
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(open_loop ? options_.connections / options_.rate : 0));
  const auto phase = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(open_loop ? index / options_.rate : 0));
  Clock::time_point next_slot = start_ + phase;
  const auto timeout = std::chrono::seconds(options_.request_timeout_seconds);

  auto close = [&](const std::string& reason) {
    RecordNetworkErrors(reason, pending.size());
    pending.clear();
    boost::system::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream.close();
    connected = false;
  };

  while (true) {
    // Send while the window has room and a request is due.
    while (!stopping && pending.size() < static_cast<size_t>(options_.in_flight)) {
      const Clock::time_point now = Clock::now();
      const Clock::time_point slot = open_loop ? next_slot : now;
      if (!MayStart(slot)) {
        stopping = true;
        break;
      }
      if (slot > now) {
        if (!pending.empty()) break;  // read a response while waiting
        asio::steady_timer timer(io_, slot);
        co_await timer.async_wait(kAsTuple);
        continue;
      }

      if (!connected) {
        stream.expires_after(timeout);
        auto [error, endpoint] = co_await stream.async_connect(endpoints_, kAsTuple);
        if (!error) {
          // Requests go out whole at once, as a real SDK's do over a
          // keep-alive connection.
          beast::error_code option_ec;
          stream.socket().set_option(asio::ip::tcp::no_delay(true), option_ec);
        }
        if (error) {
          Reserve(slot);
          ++stats_.requests_sent;
          RecordNetworkErrors("connect to " + host_header_ + " failed: " + error.message(), 1);
          if (open_loop) next_slot += interval;
          asio::steady_timer pause(io_, kReconnectPause);
          co_await pause.async_wait(kAsTuple);
          continue;
        }
        connected = true;
        buffer.clear();
      }

      RequestBody body;
      if (!source_->Next(&body)) {
        stats_.source_exhausted = true;
        stopping = true;
        break;
      }
      Reserve(slot);
      std::string request = header_prefix_;
      request.append("Content-Length: ").append(std::to_string(body.json.size()));
      request.append("\r\n\r\n").append(body.json);

      pending.push_back({slot, body.events, slot >= measure_start_});
      ++stats_.requests_sent;
      stats_.events_sent += body.events;
      if (open_loop) next_slot += interval;

      stream.expires_after(timeout);
      auto [write_error, written] =
          co_await asio::async_write(stream, asio::buffer(request), kAsTuple);
      if (write_error) close("write to " + host_header_ + " failed: " + write_error.message());
    }

    if (pending.empty()) {
      if (stopping) break;
      continue;
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxReplyBytes);
    stream.expires_after(timeout);
    auto [read_error, read] = co_await http::async_read(stream, buffer, parser, kAsTuple);
    if (read_error) {
      close("read from " + host_header_ + " failed: " + read_error.message());
      continue;
    }
    http::response<http::string_body> response = parser.release();
    RecordResponse(pending.front(), response.result_int(), response.body());
    pending.pop_front();
    if (!response.keep_alive()) close("the server closed the connection");
  }

  if (connected) {
    boost::system::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream.close();
  }
}

}  // namespace uptake
