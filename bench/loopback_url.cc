#include "bench/loopback_url.h"

#include <charconv>
#include <optional>

namespace uptake {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

bool IsLoopbackAddress(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

// Accepts "localhost" or a loopback IP literal. Host names other than
// "localhost" are rejected before any DNS query is made.
bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code error;
  const asio::ip::address address = asio::ip::make_address(host, error);
  return !error && IsLoopbackAddress(address);
}

bool IsValidPort(std::string_view port) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  return error == std::errc() && end == port.data() + port.size() && value >= 1 && value <= 65535;
}

struct HostPort {
  std::string host;
  std::string port;
};

// Splits "host", "host:port", "[v6]" or "[v6]:port". Returns nullopt when a
// bracket is unbalanced.
std::optional<HostPort> SplitHostPort(std::string_view authority) {
  HostPort result{"", "80"};
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    result.host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
  } else {
    const size_t colon = authority.find(':');
    result.host = authority.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
  }
  if (rest.empty()) return result;
  if (rest.front() != ':') return std::nullopt;
  result.port = rest.substr(1);
  return result;
}

}  // namespace

std::string LoopbackUrl::HostHeader() const {
  const bool is_v6 = host.find(':') != std::string::npos;
  return (is_v6 ? "[" + host + "]" : host) + ":" + port;
}

Result<LoopbackUrl> ParseLoopbackUrl(std::string_view text, std::string_view scheme) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const std::string prefix = std::string(scheme) + "://";
  if (text.substr(0, prefix.size()) != prefix) {
    return Result<LoopbackUrl>::Error("invalid URL " + quoted + ": expected it to start with " +
                                      prefix);
  }

  const std::string_view rest = text.substr(prefix.size());
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return Result<LoopbackUrl>::Error("invalid URL " + quoted + ": user info is not supported");
  }
  const std::optional<HostPort> host_port = SplitHostPort(authority);
  if (!host_port || !IsValidPort(host_port->port)) {
    return Result<LoopbackUrl>::Error("invalid URL " + quoted + ": malformed host or port");
  }
  if (!IsLoopbackHost(host_port->host)) {
    return Result<LoopbackUrl>::Error(
        "rejected URL " + quoted +
        ": only loopback targets are allowed (localhost, 127.0.0.0/8, [::1])");
  }

  LoopbackUrl url;
  url.scheme = scheme;
  url.host = host_port->host;
  url.port = host_port->port;
  url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  return Result<LoopbackUrl>::Ok(std::move(url));
}

Result<tcp::resolver::results_type> ResolveLoopback(asio::io_context& io, const LoopbackUrl& url) {
  using Resolved = Result<tcp::resolver::results_type>;
  tcp::resolver resolver(io);
  boost::system::error_code error;
  tcp::resolver::results_type results = resolver.resolve(url.host, url.port, error);
  if (error) {
    return Resolved::Error("failed to resolve " + url.HostHeader() + ": " + error.message());
  }
  for (const auto& entry : results) {
    if (!IsLoopbackAddress(entry.endpoint().address())) {
      return Resolved::Error(url.host + " resolves to " + entry.endpoint().address().to_string() +
                             ", which is not a loopback address, so the connection is rejected");
    }
  }
  return Resolved::Ok(std::move(results));
}

}  // namespace uptake
