// Delivers Segment batches to the server with the retry policy of the
// Segment SDKs: retry on 429, 5xx and network errors, stop on other 4xx.

#ifndef UPTAKE_BENCH_BATCH_SENDER_H_
#define UPTAKE_BENCH_BATCH_SENDER_H_

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "bench/batch_response.h"
#include "bench/http_client.h"
#include "bench/result.h"
#include "bench/segment_batch.h"

namespace uptake {

struct BatchSenderOptions {
  std::string target = "/v1/batch";
  std::string authorization;  // full Authorization header value
  std::chrono::milliseconds request_timeout{30000};
  // No request starts or waits past this point.
  std::chrono::steady_clock::time_point deadline;
};

class BatchSender {
 public:
  // Retries after the first attempt, so a batch is sent at most 4 times.
  static constexpr int kMaxRetries = 3;

  // `client` must outlive the sender.
  BatchSender(HttpClient* client, BatchSenderOptions options);

  // Sends `batch` and returns the server's response to it. Returns an error
  // with the status and the server's body for a 4xx other than 429, for a
  // status that is not 2xx after kMaxRetries retries, for a network error
  // after the retries, for an unparsable 200 body, and when the deadline
  // passes.
  boost::asio::awaitable<Result<BatchResponse>> Send(const SegmentBatch& batch);

  int64_t requests() const { return requests_; }
  int64_t retries() const { return retries_; }

 private:
  // The time left before the deadline, at most one request timeout.
  std::chrono::milliseconds NextTimeout() const;

  boost::asio::awaitable<void> BackOff(int attempt, const std::string& retry_after);

  HttpClient* const client_;
  const BatchSenderOptions options_;
  int64_t requests_ = 0;
  int64_t retries_ = 0;
};

}  // namespace uptake

#endif  // UPTAKE_BENCH_BATCH_SENDER_H_
