// Delivers one webhook's outbox entries: one POST at a time, in seq order,
// with retries and exponential back-off, over plain TCP or TLS.

#ifndef UPTAKE_SERVER_WEBHOOK_DELIVERY_H_
#define UPTAKE_SERVER_WEBHOOK_DELIVERY_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
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
  // Time limit on one POST, covering connecting, the TLS handshake, sending
  // and reading the response head, but not the DNS lookup. Default: 10 s.
  std::chrono::milliseconds request_timeout{10000};

  // Time an https POST waits for the receiver's close_notify after its own,
  // once the response head is read. The outcome is already decided by then,
  // so running out of it only closes the connection. Default: 1 s.
  std::chrono::milliseconds tls_shutdown_timeout{1000};

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
// An https webhook verifies the receiver's certificate against the system CA
// store and the webhook's ca_file, and checks that it names the URL's host.
// A failed handshake or verification is a failed attempt like any other.
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
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

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
  void OnHandshake(boost::system::error_code ec);
  void DoWrite();
  void OnWrite(boost::system::error_code ec, size_t bytes);
  void OnReadHeader(boost::system::error_code ec, size_t bytes);
  void DoShutdown(unsigned status);
  void OnShutdown(unsigned status, boost::system::error_code ec);

  // Completes the head entry's attempt with the receiver's HTTP status.
  void OnResponse(unsigned status);

  // Completes the head entry's attempt: deletes it after a 2xx, else
  // persists the next attempt or drops it after max_attempts.
  void OnDelivered();
  void OnFailed(const std::string& reason);

  // Builds tls_context_ from the system CA store and config_.ca_file. A
  // failure is kept in tls_setup_error_ and fails every attempt.
  void SetUpTls();

  // Sets SNI and the expected host name on a new tls_stream_. Returns an
  // error message, or an empty string on success.
  std::string PrepareTlsStream();

  // Describes a failed handshake, with the certificate verification error
  // when there is one.
  std::string DescribeTlsFailure(boost::system::error_code ec);

  // Calls `function` with the current POST's stream: tls_stream_ for
  // https, stream_ for http.
  template <class Function>
  void WithStream(Function&& function) {
    if (config_.tls) {
      function(*tls_stream_);
    } else {
      function(*stream_);
    }
  }

  Request BuildRequest(const OutboxEntry& entry) const;
  std::string HostHeader() const;
  std::chrono::milliseconds Backoff(uint32_t attempts);
  void CloseStream();

  // Immutable after construction.
  Store& store_;
  const WebhookConfig config_;
  const WebhookDeliveryOptions options_;
  // Only for https. Set up in the constructor, then only read.
  std::optional<boost::asio::ssl::context> tls_context_;
  std::string tls_setup_error_;  // empty when tls_context_ is usable

  // Owned by strand_.
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;
  // One connection per POST; only one of the two is used, by config_.tls.
  std::optional<boost::beast::tcp_stream> stream_;
  std::optional<TlsStream> tls_stream_;
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
