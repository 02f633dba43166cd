// Cross-origin access for browser pages that post events with fetch or
// sendBeacon.

#ifndef UPTAKE_SERVER_CORS_H_
#define UPTAKE_SERVER_CORS_H_

#include <string>
#include <string_view>
#include <vector>

#include "server/http_answer.h"

namespace uptake {

// Immutable after construction, so any thread may use it.
class CorsPolicy {
 public:
  // `allowed_origins` are exact origins (scheme://host[:port]), or "*" for
  // any origin. `max_age_seconds` is how long a browser may cache a
  // preflight response.
  CorsPolicy(std::vector<std::string> allowed_origins, int max_age_seconds)
      : allowed_origins_(std::move(allowed_origins)), max_age_seconds_(max_age_seconds) {}

  bool Allows(std::string_view origin) const;

  // Builds the response to an OPTIONS preflight on an ingest route: 204 with the
  // allowed methods and headers for an allowed origin, else 403.
  HttpAnswer Preflight(std::string_view origin) const;

  // Adds Access-Control-Allow-Origin and Vary: Origin to `answer` when
  // `origin` is allowed; leaves it alone otherwise, so the browser hides the
  // response from the page.
  void AddHeaders(std::string_view origin, HttpAnswer& answer) const;

 private:
  const std::vector<std::string> allowed_origins_;
  const int max_age_seconds_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_CORS_H_
