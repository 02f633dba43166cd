// uptake-watch: follows the alert stream of an uptake server over WebSocket
// and prints each alert as one line.

#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

#include "bench/alert_line.h"
#include "bench/command_line.h"
#include "bench/loopback_url.h"
#include "bench/terminal_text.h"

namespace uptake {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kConnectTimeout{10};
constexpr std::chrono::seconds kCloseTimeout{5};
constexpr int64_t kMaxSeconds = 7 * 24 * 3600;

constexpr const char* kUsage = R"(usage: uptake-watch [options]

Prints the alerts an uptake server pushes on its WebSocket stream, one line
each: STATE  severity  rule  account  summary. STATE is FIRING or RESOLVED,
or ACKNOWLEDGED or ESCALATED for those changes of a firing alert.

  --url URL            stream URL, loopback only (default ws://127.0.0.1:8080/v1/alerts/stream)
  --after SEQ          first replay the stored changes after change number SEQ (0: all
                       that are kept), then follow live; without it, live changes only.
                       A SEQ the server cannot resume from prints a RESYNC line and
                       the open alerts.
  --count N            exit after N alerts (default: run until the timeout)
  --timeout-seconds S  exit after S seconds (default 600)
  --json               print each message as the raw JSON received
  --help               print this text

Exit status: 0 after N alerts, or at the timeout when --count is not given;
1 when the connection fails or closes early, or the timeout comes before
N alerts; 2 on invalid arguments.
)";

struct WatchOptions {
  std::string url = "ws://127.0.0.1:8080/v1/alerts/stream";
  int64_t after = -1;  // -1 for live changes only
  int64_t count = -1;  // -1 for no limit
  int64_t timeout_seconds = 600;
  bool json = false;
  bool help = false;
};

Result<bool> ApplyFlag(const std::string& name, const std::string& value, WatchOptions* options) {
  Result<int64_t> integer = Result<int64_t>::Ok(0);
  if (name == "url") {
    options->url = value;
  } else if (name == "json") {
    options->json = true;
  } else if (name == "help") {
    options->help = true;
  } else if (name == "after") {
    integer = ParseIntFlag(name, value, 0, INT64_MAX);
    if (integer.ok()) options->after = integer.value();
  } else if (name == "count") {
    integer = ParseIntFlag(name, value, 1, INT64_MAX);
    if (integer.ok()) options->count = integer.value();
  } else if (name == "timeout-seconds") {
    integer = ParseIntFlag(name, value, 1, kMaxSeconds);
    if (integer.ok()) options->timeout_seconds = integer.value();
  } else {
    return Result<bool>::Error("unknown flag --" + name + "; see --help");
  }
  if (!integer.ok()) return Result<bool>::Error(integer.error());
  return Result<bool>::Ok(true);
}

Result<WatchOptions> ParseWatchOptions(int argc, char** argv) {
  Result<CommandLine> line =
      SplitCommandLine(argc, argv, {"json", "help"}, {"url", "after", "count", "timeout-seconds"});
  if (!line.ok()) return Result<WatchOptions>::Error(line.error());
  if (!line.value().positional.empty()) {
    return Result<WatchOptions>::Error("unexpected argument \"" + line.value().positional[0] +
                                       "\"; see --help");
  }

  WatchOptions options;
  for (const auto& [name, value] : line.value().flags) {
    Result<bool> applied = ApplyFlag(name, value, &options);
    if (!applied.ok()) return Result<WatchOptions>::Error(applied.error());
  }
  return Result<WatchOptions>::Ok(std::move(options));
}

// Appends `after` to the URL's query as the stream's resume point. Returns
// an error when the URL already has an after parameter.
Result<LoopbackUrl> AddResumePoint(LoopbackUrl url, int64_t after) {
  const size_t query = url.target.find('?');
  if (query != std::string::npos) {
    const std::string parameters = "&" + url.target.substr(query + 1);
    if (parameters.find("&after=") != std::string::npos) {
      return Result<LoopbackUrl>::Error(
          "--after and the after parameter of --url both set the resume point; remove one");
    }
  }
  url.target += (query == std::string::npos ? "?after=" : "&after=") + std::to_string(after);
  return Result<LoopbackUrl>::Ok(std::move(url));
}

// Reads the stream on one coroutine. Not thread-safe.
class Watcher {
 public:
  Watcher(asio::io_context& io, const WatchOptions& options, LoopbackUrl url)
      : options_(options), url_(std::move(url)), stream_(io) {}

  // Connects and prints messages until --count alerts arrived. Returns
  // false when connecting fails or the server ends the stream first. The
  // reason is printed to stderr before.
  asio::awaitable<bool> Run(tcp::resolver::results_type endpoints) {
    if (!co_await Connect(std::move(endpoints))) co_return false;

    while (!CountReached()) {
      beast::flat_buffer buffer;
      auto [error, size] = co_await stream_.async_read(buffer, kAsTuple);
      if (error == websocket::error::closed) {
        const websocket::close_reason& reason = stream_.reason();
        std::cerr << "uptake-watch: server closed the stream (code " << reason.code << ")"
                  << (reason.reason.empty() ? "" : ": ") << reason.reason << "\n";
        co_return false;
      }
      if (error) {
        std::cerr << "uptake-watch: read failed: " << error.message() << "\n";
        co_return false;
      }
      PrintMessage(beast::buffers_to_string(buffer.data()));
    }

    co_await Close();
    co_return true;
  }

  int64_t alerts() const { return alerts_; }

 private:
  asio::awaitable<bool> Connect(tcp::resolver::results_type endpoints) {
    beast::get_lowest_layer(stream_).expires_after(kConnectTimeout);
    auto [connect_error, endpoint] =
        co_await beast::get_lowest_layer(stream_).async_connect(endpoints, kAsTuple);
    if (connect_error) {
      std::cerr << "uptake-watch: connect to " << url_.HostHeader()
                << " failed: " << connect_error.message() << "\n";
      co_return false;
    }

    stream_.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
      request.set(beast::http::field::user_agent, "uptake-watch");
    }));
    auto [handshake_error] =
        co_await stream_.async_handshake(url_.HostHeader(), url_.target, kAsTuple);
    if (handshake_error) {
      std::cerr << "uptake-watch: WebSocket handshake with " << url_.HostHeader() << url_.target
                << " failed: " << handshake_error.message() << "\n";
      co_return false;
    }

    // The stream may stay silent for hours between alerts, so only the
    // overall --timeout-seconds bounds the reads.
    beast::get_lowest_layer(stream_).expires_never();
    stream_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    co_return true;
  }

  void PrintMessage(const std::string& message) {
    if (Result<std::vector<std::string>> resync = FormatResyncLines(message); resync.ok()) {
      const std::vector<std::string>& lines = resync.value();
      if (options_.json) {
        // A raw message cannot be cut, so it is printed whole and each of
        // its open alerts counts.
        std::cout << message << std::endl;
        alerts_ += static_cast<int64_t>(lines.size()) - 1;
        return;
      }
      std::cout << lines[0] << std::endl;  // the RESYNC line itself
      for (size_t i = 1; i < lines.size() && !CountReached(); ++i) {
        std::cout << lines[i] << std::endl;
        ++alerts_;
      }
      return;
    }
    Result<std::string> line = FormatAlertLine(message);
    if (line.ok()) ++alerts_;
    if (options_.json) {
      std::cout << message << std::endl;
    } else if (line.ok()) {
      std::cout << line.value() << std::endl;
    } else {
      std::cerr << "uptake-watch: " << line.error() << ": " << EscapeForTerminal(message) << "\n";
    }
  }

  bool CountReached() const { return options_.count >= 0 && alerts_ >= options_.count; }

  asio::awaitable<void> Close() {
    beast::get_lowest_layer(stream_).expires_after(kCloseTimeout);
    auto [error] = co_await stream_.async_close(websocket::close_code::normal, kAsTuple);
    if (error) std::cerr << "uptake-watch: close failed: " << error.message() << "\n";
  }

  const WatchOptions& options_;
  const LoopbackUrl url_;
  websocket::stream<beast::tcp_stream> stream_;
  int64_t alerts_ = 0;
};

int Main(int argc, char** argv) {
  Result<WatchOptions> options = ParseWatchOptions(argc, argv);
  if (!options.ok()) {
    std::cerr << "uptake-watch: " << options.error() << "\n";
    return kExitUsage;
  }
  if (options.value().help) {
    std::fputs(kUsage, stdout);
    return 0;
  }

  Result<LoopbackUrl> url = ParseLoopbackUrl(options.value().url, "ws");
  if (url.ok() && options.value().after >= 0) {
    url = AddResumePoint(url.value(), options.value().after);
  }
  asio::io_context io;
  Result<tcp::resolver::results_type> endpoints =
      url.ok() ? ResolveLoopback(io, url.value())
               : Result<tcp::resolver::results_type>::Error(url.error());
  if (!endpoints.ok()) {
    std::cerr << "uptake-watch: " << endpoints.error() << "\n";
    return kExitUsage;
  }

  Watcher watcher(io, options.value(), url.value());
  bool finished = false;
  bool succeeded = false;
  asio::co_spawn(io, watcher.Run(endpoints.value()), [&](std::exception_ptr error, bool result) {
    finished = true;
    succeeded = !error && result;
  });
  // run_for returns at the deadline even while a read is pending. The
  // pending coroutine is then destroyed with the io_context.
  io.run_for(std::chrono::seconds(options.value().timeout_seconds));

  if (finished) return succeeded ? 0 : kExitFailure;
  std::cerr << "uptake-watch: timeout after " << options.value().timeout_seconds << " s, "
            << watcher.alerts() << (watcher.alerts() == 1 ? " alert" : " alerts") << " received\n";
  return options.value().count < 0 ? 0 : kExitFailure;
}

}  // namespace
}  // namespace uptake

int main(int argc, char** argv) { return uptake::FinishOutput(uptake::Main(argc, argv)); }
