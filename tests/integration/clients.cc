#include "tests/integration/clients.h"

#include <boost/asio/write.hpp>
#include <stdexcept>

#include "tests/integration/websocket_frame.h"

namespace uptake::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

tcp::endpoint Loopback(uint16_t port) {
  return tcp::endpoint(asio::ip::make_address("127.0.0.1"), port);
}

}  // namespace

std::string BasicAuth(const std::string& write_key) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string input = write_key + ":";
  std::string out;
  for (size_t i = 0; i < input.size(); i += 3) {
    uint32_t chunk = static_cast<uint8_t>(input[i]) << 16;
    if (i + 1 < input.size()) chunk |= static_cast<uint8_t>(input[i + 1]) << 8;
    if (i + 2 < input.size()) chunk |= static_cast<uint8_t>(input[i + 2]);
    out.push_back(kAlphabet[(chunk >> 18) & 63]);
    out.push_back(kAlphabet[(chunk >> 12) & 63]);
    out.push_back(i + 1 < input.size() ? kAlphabet[(chunk >> 6) & 63] : '=');
    out.push_back(i + 2 < input.size() ? kAlphabet[chunk & 63] : '=');
  }
  return "Basic " + out;
}

HttpClient::HttpClient(uint16_t port) : stream_(io_) { stream_.connect(Loopback(port)); }

HttpReply HttpClient::Post(const std::string& target, const std::string& body,
                           const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<http::string_body> request(http::verb::post, target, 11);
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  return Send(request);
}

HttpReply HttpClient::Get(const std::string& target,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<http::string_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  return Send(request);
}

HttpReply HttpClient::Delete(const std::string& target) {
  http::request<http::string_body> request(http::verb::delete_, target, 11);
  request.set(http::field::host, "127.0.0.1");
  return Send(request);
}

HttpReply HttpClient::Options(const std::string& target, const std::string& origin) {
  http::request<http::string_body> request(http::verb::options, target, 11);
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::origin, origin);
  request.set(http::field::access_control_request_method, "POST");
  request.set(http::field::access_control_request_headers, "content-type, authorization");
  return Send(request);
}

std::string HttpReply::Header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (beast::iequals(field, name)) return value;
  }
  return "";
}

HttpReply HttpClient::Send(http::request<http::string_body>& request) {
  stream_.expires_after(std::chrono::seconds(30));
  http::write(stream_, request);
  http::response<http::string_body> response;
  http::read(stream_, buffer_, response);
  HttpReply reply;
  reply.status = response.result_int();
  reply.body = response.body();
  for (const auto& field : response) {
    reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  return reply;
}

AlertStreamClient::AlertStreamClient(uint16_t port, const std::string& target) : ws_(io_) {
  beast::get_lowest_layer(ws_).connect(Loopback(port));
  ws_.handshake("127.0.0.1", target);
}

SseClient::SseClient(uint16_t port, const std::string& target, const std::string& last_event_id)
    : stream_(io_) {
  stream_.connect(Loopback(port));
  std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  if (!last_event_id.empty()) request += "Last-Event-ID: " + last_event_id + "\r\n";
  request += "\r\n";
  asio::write(stream_.socket(), asio::buffer(request));
}

std::vector<SseEvent> SseClient::Read(size_t count, std::chrono::milliseconds timeout) {
  std::vector<SseEvent> events;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (events.size() < count && std::chrono::steady_clock::now() < deadline) {
    if (!head_done_) {
      size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        buffer_.erase(0, end + 4);
        head_done_ = true;
        continue;
      }
    } else if (size_t end = buffer_.find("\n\n"); end != std::string::npos) {
      std::string block = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      SseEvent event;
      size_t start = 0;
      while (start < block.size()) {
        size_t stop = block.find('\n', start);
        if (stop == std::string::npos) stop = block.size();
        std::string line = block.substr(start, stop - start);
        start = stop + 1;
        if (line.rfind("id: ", 0) == 0) event.id = line.substr(4);
        if (line.rfind("event: ", 0) == 0) event.event = line.substr(7);
        if (line.rfind("data: ", 0) == 0) event.data = line.substr(6);
      }
      if (!event.data.empty()) events.push_back(std::move(event));
      continue;
    }
    char chunk[4096];
    beast::error_code ec;
    size_t read = 0;
    stream_.expires_at(deadline);
    stream_.async_read_some(asio::buffer(chunk), [&](beast::error_code e, size_t n) {
      ec = e;
      read = n;
    });
    io_.restart();
    io_.run();
    if (ec) break;
    buffer_.append(chunk, read);
  }
  return events;
}

std::optional<std::string> AlertStreamClient::Next(std::chrono::milliseconds timeout) {
  std::optional<std::string> message;
  beast::error_code result;
  ws_.async_read(buffer_, [&](beast::error_code ec, size_t) {
    result = ec;
    if (!ec) {
      message = beast::buffers_to_string(buffer_.data());
      buffer_.consume(buffer_.size());
    }
  });
  io_.restart();
  io_.run_for(timeout);
  if (!io_.stopped()) {
    // Timed out: cancel the read and let its handler run, which leaves the
    // stream unusable, so callers stop after the first empty result.
    beast::get_lowest_layer(ws_).cancel();
    io_.restart();
    io_.run();
    return std::nullopt;
  }
  if (result) return std::nullopt;
  return message;
}

IngestStreamClient::IngestStreamClient(uint16_t port, const std::string& authorization) : ws_(io_) {
  beast::get_lowest_layer(ws_).connect(Loopback(port));
  ws_.set_option(beast::websocket::stream_base::decorator(
      [authorization](beast::websocket::request_type& request) {
        request.set(http::field::authorization, authorization);
      }));
  ws_.handshake("127.0.0.1", "/v1/ingest");
  ws_.text(true);
}

void IngestStreamClient::Send(const std::string& message) {
  ws_.text(true);
  ws_.write(asio::buffer(message));
}

void IngestStreamClient::SendBinary(const std::string& bytes) {
  ws_.binary(true);
  ws_.write(asio::buffer(bytes));
}

void IngestStreamClient::SendTogether(const std::vector<std::string>& messages) {
  std::string frames;
  for (const std::string& message : messages) frames += Frame(kText, message);
  asio::write(ws_.next_layer(), asio::buffer(frames));
}

std::string IngestStreamClient::Read() {
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
  ws_.read(buffer_);
  std::string message = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  return message;
}

int AlertStreamClient::ReadCloseCode() {
  beast::error_code ec;
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
  while (!ec) {
    ws_.read(buffer_, ec);
    buffer_.consume(buffer_.size());
  }
  return ws_.reason().code;
}

int IngestStreamClient::ReadCloseCode() {
  beast::error_code ec;
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
  while (!ec) {
    ws_.read(buffer_, ec);
    buffer_.consume(buffer_.size());
  }
  return ws_.reason().code;
}

}  // namespace uptake::testing
