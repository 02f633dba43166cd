#include "server/cors.h"

#include <algorithm>

#include "proto/answers.h"

namespace uptake {

bool CorsPolicy::Allows(std::string_view origin) const {
  if (origin.empty()) return false;
  return std::any_of(
      allowed_origins_.begin(), allowed_origins_.end(),
      [origin](const std::string& allowed) { return allowed == "*" || allowed == origin; });
}

HttpAnswer CorsPolicy::Preflight(std::string_view origin) const {
  if (!Allows(origin)) {
    return JsonAnswer(
        403, EncodeError("origin_not_allowed",
                         "Origin '" + std::string(origin) + "' is not in cors.allowed_origins."));
  }
  HttpAnswer answer{204, "", {}};
  AddHeaders(origin, answer);
  answer.headers.emplace_back("Access-Control-Allow-Methods", "POST, OPTIONS");
  answer.headers.emplace_back("Access-Control-Allow-Headers",
                              "content-type, authorization, content-encoding");
  answer.headers.emplace_back("Access-Control-Max-Age", std::to_string(max_age_seconds_));
  return answer;
}

void CorsPolicy::AddHeaders(std::string_view origin, HttpAnswer& answer) const {
  if (!Allows(origin)) return;
  // The origin is echoed even under "*", so credentialed requests work too.
  answer.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  answer.headers.emplace_back("Vary", "Origin");
}

}  // namespace uptake
