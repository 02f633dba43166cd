#include "bench/batch_sender.h"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace uptake {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

constexpr milliseconds kFirstBackOff{250};
// A server asking for a longer pause than this is waited on only this long,
// so a replay does not stall on one misconfigured Retry-After.
constexpr milliseconds kMaxBackOff{5000};

bool IsRetryableStatus(unsigned status) { return status == 429 || status >= 500; }

// Reads Retry-After as delay-seconds. The HTTP-date form is not supported
// and reads as absent, so the default back-off applies.
std::optional<milliseconds> ParseRetryAfter(const std::string& text) {
  int64_t seconds = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(std::min<int64_t>(seconds, 3600));
}

std::string DescribeStatus(const HttpReply& reply) {
  return "HTTP " + std::to_string(reply.status) + ": " + reply.body;
}

}  // namespace

BatchSender::BatchSender(HttpClient* client, BatchSenderOptions options)
    : client_(client), options_(std::move(options)) {}

milliseconds BatchSender::NextTimeout() const {
  const auto left = std::chrono::duration_cast<milliseconds>(options_.deadline -
                                                             std::chrono::steady_clock::now());
  return std::min(left, options_.request_timeout);
}

asio::awaitable<void> BatchSender::BackOff(int attempt, const std::string& retry_after) {
  milliseconds delay = kFirstBackOff * (1 << attempt);
  if (const std::optional<milliseconds> asked = ParseRetryAfter(retry_after)) delay = *asked;
  delay = std::min({delay, kMaxBackOff, NextTimeout()});

  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<Result<BatchResponse>> BatchSender::Send(const SegmentBatch& batch) {
  using Response = Result<BatchResponse>;
  const HttpRequest request{options_.target, options_.authorization, batch.Body()};
  std::string last_error;

  for (int attempt = 0; attempt <= kMaxRetries; ++attempt) {
    const milliseconds timeout = NextTimeout();
    if (timeout <= milliseconds::zero()) {
      co_return Response::Error("timed out: the --timeout-seconds deadline passed" +
                                (last_error.empty() ? "" : " after " + last_error));
    }
    if (attempt > 0) ++retries_;
    ++requests_;

    Result<HttpReply> reply = co_await client_->Post(request, timeout);
    std::string retry_after;
    if (!reply.ok()) {
      last_error = reply.error();
    } else if (reply.value().status / 100 == 2) {
      co_return ParseBatchResponse(reply.value().body);
    } else if (!IsRetryableStatus(reply.value().status)) {
      co_return Response::Error(DescribeStatus(reply.value()));
    } else {
      last_error = DescribeStatus(reply.value());
      retry_after = reply.value().retry_after;
    }

    if (attempt < kMaxRetries) {
      std::cerr << "uptake-replay: retrying batch (" << attempt + 1 << " of " << kMaxRetries
                << ") after " << last_error << "\n";
      co_await BackOff(attempt, retry_after);
    }
  }
  co_return Response::Error("failed after " + std::to_string(kMaxRetries) +
                            " retries: " + last_error);
}

}  // namespace uptake
