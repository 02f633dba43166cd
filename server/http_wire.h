// The bytes of an HTTP/1.x response, written without Beast's serializer.
// Beast builds a response from a field container and a chain of buffer
// views. For the small JSON responses of this server that cost about 21,000
// instructions each (callgrind), more than parsing the request's JSON.

#ifndef UPTAKE_SERVER_HTTP_WIRE_H_
#define UPTAKE_SERVER_HTTP_WIRE_H_

#include <string>

#include "server/http_answer.h"

namespace uptake {

// Serializes `answer` as a response of HTTP version `version` (10 or 11),
// with the fields a Beast response gets from set(), keep_alive() and
// prepare_payload(): `Server: uptake`, `Content-Type: application/json`
// unless the answer sets its own, the answer's headers (a later header
// replaces an earlier one of the same name, in any case), a `Connection`
// field where the version's default differs from `keep_alive`, and
// `Content-Length`. Without `send_body` the body is left out but
// Content-Length still gives its size, as a response to HEAD requires.
std::string SerializeAnswer(const HttpAnswer& answer, unsigned version, bool keep_alive,
                            bool send_body);

}  // namespace uptake

#endif  // UPTAKE_SERVER_HTTP_WIRE_H_
