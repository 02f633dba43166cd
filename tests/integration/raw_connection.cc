#include "tests/integration/raw_connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <charconv>
#include <sstream>

namespace uptake::testing {
namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds Remaining(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

}  // namespace

std::string RawResponse::Header(std::string_view name) const {
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);  // the status line
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (!boost::beast::iequals(std::string_view(line).substr(0, colon), name)) continue;
    size_t start = line.find_first_not_of(' ', colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "";
}

RawConnection::RawConnection(uint16_t port) : socket_(io_) {
  socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  // Each Write becomes its own segment, so byte-by-byte tests split the
  // input where they mean to.
  socket_.set_option(tcp::no_delay(true));
}

bool RawConnection::Write(std::string_view bytes) {
  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
  return !ec;
}

RawConnection::ReadResult RawConnection::ReadMore(std::chrono::milliseconds timeout) {
  char buffer[64 * 1024];
  size_t received = 0;
  bool completed = false;
  boost::system::error_code result;
  socket_.async_read_some(asio::buffer(buffer), [&](boost::system::error_code ec, size_t bytes) {
    completed = true;
    result = ec;
    received = bytes;
  });
  io_.restart();
  io_.run_for(timeout);
  if (!completed) {
    // Cancel the read and run its handler, which still refers to `buffer`.
    socket_.cancel();
    io_.restart();
    io_.run();
    pending_.append(buffer, received);
    return received > 0 ? ReadResult::kData : ReadResult::kTimedOut;
  }
  pending_.append(buffer, received);
  if (received > 0) return ReadResult::kData;
  return result ? ReadResult::kClosed : ReadResult::kData;
}

std::optional<RawResponse> RawConnection::ReadResponse(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::optional<RawResponse> response = ReadHeadResponse(timeout);
  if (!response) return std::nullopt;

  size_t body_size = 0;
  if (response->status >= 200) {
    std::string length = response->Header("Content-Length");
    std::from_chars(length.data(), length.data() + length.size(), body_size);
  }
  while (pending_.size() < body_size) {
    if (ReadMore(Remaining(deadline)) != ReadResult::kData) return std::nullopt;
  }
  response->body = pending_.substr(0, body_size);
  pending_.erase(0, body_size);
  return response;
}

std::optional<RawResponse> RawConnection::ReadHeadResponse(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t head_end = std::string::npos;
  while ((head_end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (ReadMore(Remaining(deadline)) != ReadResult::kData) return std::nullopt;
  }

  RawResponse response;
  response.head = pending_.substr(0, head_end);
  // "HTTP/1.1 200 OK": the status is the three digits after the first space.
  size_t space = response.head.find(' ');
  if (space == std::string::npos || response.head.size() < space + 4) return std::nullopt;
  std::from_chars(response.head.data() + space + 1, response.head.data() + space + 4,
                  response.status);
  pending_.erase(0, head_end + 4);
  return response;
}

std::optional<std::string> RawConnection::ReadBytes(size_t count,
                                                    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (pending_.size() < count) {
    if (ReadMore(Remaining(deadline)) != ReadResult::kData) return std::nullopt;
  }
  std::string bytes = pending_.substr(0, count);
  pending_.erase(0, count);
  return bytes;
}

bool RawConnection::WaitForClose(std::chrono::milliseconds timeout, std::string* received) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    ReadResult result = ReadMore(Remaining(deadline));
    if (received != nullptr) received->append(pending_);
    pending_.clear();
    if (result == ReadResult::kClosed) return true;
    if (result == ReadResult::kTimedOut) return false;
  }
}

}  // namespace uptake::testing
