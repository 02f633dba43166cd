// Delivers one webhook's outbox entries: one POST at a time, in seq order,
// with retries and exponential back-off.

#ifndef UPTAKE_SERVER_WEBHOOK_DELIVERY_H_
#define UPTAKE_SERVER_WEBHOOK_DELIVERY_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "config/config.h"
#include "storage/outbox_entry.h"
#include "storage/store.h"

namespace uptake {

// Tuning of deliveries. The defaults are the documented behaviour; tests
// may shorten them.
struct WebhookDeliveryOptions {
  // Time limit on one POST, covering connecting, sending and reading the
  // response head but not the DNS lookup. Default: 10 s.
  std::chrono::milliseconds request_timeout{10000};

  // Delay after the first failure, doubled after each further one up to
  // `max_backoff`, plus up to 10% random jitter. Default: 1 s, 5 min.
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{300000};

  // Failed POSTs after which an entry is logged as an error and dropped.
  // Default: 20.
  uint32_t max_attempts = 20;

  // Outbox entries held in memory per webhook; the rest stay in RocksDB
  // until these are delivered. Default: 64.
  size_t page_size = 64;
};

// Works on its own strand; Wake and Stop may be called from any thread.
// Create with std::make_shared, because pending operations hold it alive.
//
// Delivery is at least once: a crash after a receiver's 2xx but before
// the entry is deleted sends the entry again after the restart, with the
// same X-Uptake-Idempotency-Key. An entry that is not yet due blocks the
// later ones of its webhook, so a receiver gets changes in seq order.
class WebhookDelivery : public std::enable_shared_from_this<WebhookDelivery> {
 public:
  // `store` must outlive every operation of this object.
  WebhookDelivery(boost::asio::io_context& io, Store& store, WebhookConfig config,
                  WebhookDeliveryOptions options);

  // Reads the outbox when idle and sends what is due. Call at startup and
  // after each change that may have queued an entry.
  void Wake();

  // Cancels the timer and any POST in flight. Entries stay in the outbox.
  void Stop();

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using ResponseParser = boost::beast::http::response_parser<boost::beast::http::empty_body>;

  // Starts the next step unless one is in progress: loads a page when
  // none is held, then waits for the head entry's time or posts it.
  void Pump();

  // Fills pending_ from the outbox after loaded_through_seq_. Returns false
  // when there is nothing to send or the read failed (then a retry is
  // scheduled).
  bool LoadPage();

  void DoWait(std::chrono::milliseconds delay);
  void OnWait(boost::system::error_code ec);

  void DoResolve();
  void OnResolve(boost::system::error_code ec,
                 boost::asio::ip::tcp::resolver::results_type endpoints);
  void OnConnect(boost::system::error_code ec, boost::asio::ip::tcp::endpoint endpoint);
  void OnWrite(boost::system::error_code ec, size_t bytes);
  void OnReadHeader(boost::system::error_code ec, size_t bytes);

  // Completes the head entry's attempt: deletes it after a 2xx, else
  // persists the next attempt or drops it after max_attempts.
  void OnDelivered();
  void OnFailed(const std::string& reason);

  Request BuildRequest(const OutboxEntry& entry) const;
  std::chrono::milliseconds Backoff(uint32_t attempts);
  void CloseStream();

  // Immutable after construction.
  Store& store_;
  const WebhookConfig config_;
  const WebhookDeliveryOptions options_;

  // Owned by strand_.
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;
  std::optional<boost::beast::tcp_stream> stream_;  // one connection per POST
  Request request_;
  std::optional<ResponseParser> parser_;
  boost::beast::flat_buffer buffer_;
  std::deque<OutboxEntry> pending_;  // head is the entry being sent
  uint64_t loaded_through_seq_ = 0;  // highest seq read into pending_
  bool busy_ = false;                // a POST or a wait is in progress
  bool stopped_ = false;
  std::minstd_rand jitter_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_WEBHOOK_DELIVERY_H_
