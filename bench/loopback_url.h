// Target URLs of the bench tools, restricted to loopback addresses: the
// tools generate load and must never send it to another machine.

#ifndef UPTAKE_BENCH_LOOPBACK_URL_H_
#define UPTAKE_BENCH_LOOPBACK_URL_H_

#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "bench/result.h"

namespace uptake {

struct LoopbackUrl {
  std::string scheme;  // "http" or "ws"
  std::string host;    // without IPv6 brackets
  std::string port;
  std::string target;  // path and query, "/" when the URL has none

  // "host:port" for the Host header, with brackets around an IPv6 address.
  std::string HostHeader() const;
};

// Parses "SCHEME://HOST[:PORT][/PATH]" where SCHEME is `scheme` and HOST is
// "localhost", an IPv4 address in 127.0.0.0/8 or "[::1]". The default port
// is 80. Returns an error naming the URL for any other scheme or host,
// userinfo, or a malformed port.
Result<LoopbackUrl> ParseLoopbackUrl(std::string_view text, std::string_view scheme);

// Resolves the URL's host and checks that every resulting address is a
// loopback address, so a hosts file that maps "localhost" elsewhere is
// caught. Returns an error when resolution fails or any address is not
// loopback.
Result<boost::asio::ip::tcp::resolver::results_type> ResolveLoopback(boost::asio::io_context& io,
                                                                     const LoopbackUrl& url);

}  // namespace uptake

#endif  // UPTAKE_BENCH_LOOPBACK_URL_H_
