#include "server/http_wire.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>
#include <ostream>
#include <string_view>

namespace uptake {
namespace {

namespace http = boost::beast::http;

bool SameName(std::string_view a, std::string_view b) { return boost::beast::iequals(a, b); }

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

std::string SerializeAnswer(const HttpAnswer& answer, unsigned version, bool keep_alive,
                            bool send_body) {
  const auto& headers = answer.headers;
  std::string out;
  out.reserve(160 + answer.body.size());
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out.append(std::to_string(answer.status)).push_back(' ');
  out.append(http::obsolete_reason(http::int_to_status(static_cast<unsigned>(answer.status))));
  out.append("\r\n");

  bool own_content_type = false;
  for (const auto& [name, value] : headers) own_content_type |= SameName(name, "Content-Type");
  AppendField(&out, "Server", "uptake");
  if (!own_content_type) AppendField(&out, "Content-Type", "application/json");
  for (size_t i = 0; i < headers.size(); ++i) {
    bool replaced = false;
    for (size_t later = i + 1; later < headers.size() && !replaced; ++later) {
      replaced = SameName(headers[i].first, headers[later].first);
    }
    if (!replaced) AppendField(&out, headers[i].first, headers[i].second);
  }
  if (version == 10 && keep_alive) AppendField(&out, "Connection", "keep-alive");
  if (version != 10 && !keep_alive) AppendField(&out, "Connection", "close");
  AppendField(&out, "Content-Length", std::to_string(answer.body.size()));
  out.append("\r\n");
  if (send_body) out.append(answer.body);
  return out;
}

}  // namespace uptake
