#include "tests/integration/clients.h"

#include <stdexcept>

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

HttpReply HttpClient::Get(const std::string& target) {
  http::request<http::string_body> request(http::verb::get, target, 11);
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

AlertStreamClient::AlertStreamClient(uint16_t port) : ws_(io_) {
  beast::get_lowest_layer(ws_).connect(Loopback(port));
  ws_.handshake("127.0.0.1", "/v1/alerts/stream");
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

std::string IngestStreamClient::Read() {
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
  ws_.read(buffer_);
  std::string message = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  return message;
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
