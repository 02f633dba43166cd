// SerializeAnswer against Beast's own serializer: for each answer, version
// and keep-alive choice, the bytes must be the ones Beast writes for the
// response the server used to build.

#include "server/http_wire.h"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace uptake {
namespace {

namespace http = boost::beast::http;

std::string BeastBytes(const HttpAnswer& answer, unsigned version, bool keep_alive) {
  http::response<http::string_body> response(static_cast<http::status>(answer.status), version);
  response.set(http::field::server, "uptake");
  response.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : answer.headers) response.set(name, value);
  response.body() = answer.body;
  response.keep_alive(keep_alive);
  response.prepare_payload();
  std::ostringstream out;
  out << response;
  return out.str();
}

TEST(HttpWireTest, MatchesBeastSerializer) {
  const std::vector<HttpAnswer> answers = {
      {200, R"({"accepted":1,"duplicates":0,"rejected":[]})", {}},
      {204, "", {}},
      {401, R"({"error":"invalid_write_key","message":"No key."})", {}},
      {503, R"({"error":"storage_unavailable"})", {{"Retry-After", "5"}}},
      {200, "# metrics\n", {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}}},
      {204,
       "",
       {{"Access-Control-Allow-Origin", "https://app.example.com"},
        {"Vary", "Origin"},
        {"Access-Control-Max-Age", "600"}}},
      // A later header replaces an earlier one of the same name, in any case.
      {429, "{}", {{"Retry-After", "1"}, {"X-Other", "a"}, {"retry-after", "2"}}},
      {405, "{}", {{"Allow", "POST, OPTIONS"}}},
  };
  for (const HttpAnswer& answer : answers) {
    for (unsigned version : {10u, 11u}) {
      for (bool keep_alive : {false, true}) {
        EXPECT_EQ(SerializeAnswer(answer, version, keep_alive, /*send_body=*/true),
                  BeastBytes(answer, version, keep_alive))
            << "status " << answer.status << ", HTTP " << version << ", keep-alive " << keep_alive;
      }
    }
  }
}

TEST(HttpWireTest, CarriesLargeBody) {
  const HttpAnswer answer{200, std::string(100'000, 'x'), {}};
  const std::string bytes = SerializeAnswer(answer, 11, /*keep_alive=*/true, /*send_body=*/true);
  EXPECT_NE(bytes.find("Content-Length: 100000\r\n\r\n"), std::string::npos);
  EXPECT_EQ(bytes.size() - bytes.find("\r\n\r\n") - 4, 100'000u);
}

// A response to HEAD: the same head, Content-Length still the body's size,
// and nothing after the blank line.
TEST(HttpWireTest, OmitsBodyForHead) {
  const HttpAnswer answer{200, R"({"status":"ok"})", {}};
  const std::string full = SerializeAnswer(answer, 11, /*keep_alive=*/true, /*send_body=*/true);
  const std::string head = SerializeAnswer(answer, 11, /*keep_alive=*/true, /*send_body=*/false);
  EXPECT_EQ(head + answer.body, full);
  EXPECT_TRUE(head.ends_with("Content-Length: 15\r\n\r\n")) << head;
}

}  // namespace
}  // namespace uptake
