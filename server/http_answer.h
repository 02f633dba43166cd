// A transport-neutral response: what an HTTP handler returns before Beast
// turns it into a response.

#ifndef UPTAKE_SERVER_HTTP_ANSWER_H_
#define UPTAKE_SERVER_HTTP_ANSWER_H_

#include <string>
#include <utility>
#include <vector>

#include "proto/answers.h"
#include "proto/parse_result.h"

namespace uptake {

struct HttpAnswer {
  int status = 200;
  std::string body;  // JSON text
  std::vector<std::pair<std::string, std::string>> headers;
};

inline HttpAnswer JsonAnswer(int status, std::string body) {
  return HttpAnswer{status, std::move(body), {}};
}

inline HttpAnswer ErrorAnswer(const RequestError& error) {
  return HttpAnswer{error.http_status, EncodeError(error.code, error.message), {}};
}

}  // namespace uptake

#endif  // UPTAKE_SERVER_HTTP_ANSWER_H_
