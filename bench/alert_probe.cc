#include "bench/alert_probe.h"

#include <simdjson.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "bench/http_client.h"
#include "bench/iso_time.h"
#include "bench/segment_batch.h"

namespace uptake {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr int64_t kDayMs = 24 * 3600 * 1000;
constexpr std::chrono::seconds kConnectTimeout{10};

int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ProbeBody(const std::string& account, const std::string& message_id,
                      int64_t timestamp_ms) {
  std::string body = R"({"batch":[{"type":"track","messageId":)";
  AppendJsonString(message_id, &body);
  body.append(R"(,"userId":)");
  AppendJsonString(account + "-user", &body);
  body.append(R"(,"event":"Bench Probe","timestamp":")").append(FormatIsoTime(timestamp_ms));
  body.append(R"(","context":{"groupId":)");
  AppendJsonString(account, &body);
  body.append("}}]}");
  return body;
}

}  // namespace

AlertProbe::AlertProbe(asio::io_context& io, asio::ip::tcp::resolver::results_type endpoints,
                       LoopbackUrl url, const BenchOptions& options, std::string run_id)
    : io_(io),
      endpoints_(std::move(endpoints)),
      url_(std::move(url)),
      options_(options),
      run_id_(std::move(run_id)),
      stream_(io),
      arrival_signal_(io) {}

std::string AlertProbe::ProbeAccount(int64_t index) const {
  return "probe-" + run_id_ + "-" + std::to_string(index);
}

asio::awaitable<bool> AlertProbe::Subscribe() {
  beast::get_lowest_layer(stream_).expires_after(kConnectTimeout);
  auto [connect_error, endpoint] =
      co_await beast::get_lowest_layer(stream_).async_connect(endpoints_, kAsTuple);
  if (connect_error) {
    stats_.error = "connect to " + url_.HostHeader() + " failed: " + connect_error.message();
    co_return false;
  }
  auto [handshake_error] =
      co_await stream_.async_handshake(url_.HostHeader(), "/v1/alerts/stream", kAsTuple);
  if (handshake_error) {
    stats_.error = "WebSocket handshake with " + url_.HostHeader() +
                   "/v1/alerts/stream failed: " + handshake_error.message();
    co_return false;
  }
  beast::get_lowest_layer(stream_).expires_never();
  co_return true;
}

asio::awaitable<void> AlertProbe::ReadAlerts() {
  simdjson::ondemand::parser parser;
  while (true) {
    beast::flat_buffer buffer;
    auto [error, size] = co_await stream_.async_read(buffer, kAsTuple);
    const Clock::time_point arrived = Clock::now();
    if (error) break;

    simdjson::padded_string message(beast::buffers_to_string(buffer.data()));
    simdjson::ondemand::document alert;
    std::string_view account;
    std::string_view state;
    if (parser.iterate(message).get(alert) || alert["account_id"].get_string().get(account) ||
        alert["state"].get_string().get(state)) {
      continue;  // not an alert change, for example a resync notice
    }
    if (state == "firing") arrivals_.emplace(std::string(account), arrived);
    arrival_signal_.cancel();
  }
  reader_done_ = true;
  arrival_signal_.cancel();
}

asio::awaitable<void> AlertProbe::Run() {
  if (!co_await Subscribe()) co_return;
  asio::co_spawn(io_, ReadAlerts(), asio::detached);

  HttpClient client(io_, endpoints_, url_.HostHeader());
  const std::string authorization = BasicAuthorization(options_.write_key);
  const auto timeout = std::chrono::seconds(options_.request_timeout_seconds);
  const int64_t probes = options_.alert_latency;

  for (int64_t i = 0; i < probes && stats_.error.empty(); ++i) {
    // Stamped two days back, the probe starts an account already older
    // than the rule's one-day window, with one event where it needs two,
    // so the rule fires while this request is processed.
    HttpRequest request;
    request.target = "/v1/batch";
    request.authorization = authorization;
    request.body = ProbeBody(ProbeAccount(i), ProbeAccount(i) + "-m", WallNowMs() - 2 * kDayMs);

    const Clock::time_point sent = Clock::now();
    Result<HttpReply> reply = co_await client.Post(request, timeout);
    if (!reply.ok() || reply.value().status != 200) {
      stats_.error =
          "probe " + std::to_string(i) + " failed: " +
          (reply.ok() ? "HTTP " + std::to_string(reply.value().status) + ": " + reply.value().body
                      : reply.error());
      break;
    }

    ++stats_.probes;
    const std::string expected = ProbeAccount(i);
    const Clock::time_point deadline = sent + timeout;
    while (!arrivals_.contains(expected) && !reader_done_ && Clock::now() < deadline) {
      arrival_signal_.expires_at(deadline);
      co_await arrival_signal_.async_wait(kAsTuple);
    }
    auto arrival = arrivals_.find(expected);
    if (arrival == arrivals_.end()) {
      stats_.error = reader_done_ ? "the alert stream closed before the alert of " + expected
                                  : "timed out waiting for the alert of " + expected +
                                        "; is the server running bench/alert-latency.yaml?";
      break;
    }
    ++stats_.alerts;
    stats_.latency_us.Record(
        std::chrono::duration_cast<std::chrono::microseconds>(arrival->second - sent).count());
  }

  client.Close();
  boost::system::error_code ignored;
  beast::get_lowest_layer(stream_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(stream_).close();
}

}  // namespace uptake
