// Access control of the read and admin routes: read tokens for the read
// routes, the admin token for both, write keys for ingest only.

#ifndef UPTAKE_SERVER_ACCESS_CONTROL_H_
#define UPTAKE_SERVER_ACCESS_CONTROL_H_

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "server/http_answer.h"

namespace uptake {

// A set of secrets that is searched in constant time. Only SHA-256 digests
// are kept, and a lookup compares the candidate's digest with every stored
// digest using CRYPTO_memcmp, so neither the position of the first
// differing byte nor the candidate's length shows in the timing.
class SecretSet {
 public:
  explicit SecretSet(const std::vector<std::string>& secrets);

  // Returns the index in the constructor's list of the secret equal to
  // `candidate`, or nullopt. An empty candidate never matches.
  std::optional<size_t> Find(std::string_view candidate) const;

  bool empty() const { return digests_.empty(); }

 private:
  std::vector<std::array<unsigned char, 32>> digests_;
};

// The right a route needs.
enum class Access {
  kRead,   // GET /v1/alerts, the alert stream, acknowledgements, /v1/accounts
  kAdmin,  // POST /v1/admin/reload, /v1/silences
};

// Decides whether a request may use a read or admin route. Thread-safe
// after construction.
//
// A route with no credential of its own configured is open on a loopback
// listener and refused (401) on any other. An open route ignores whatever
// credentials a request carries. The admin token grants reads too. A write
// key is a valid credential that grants no read or admin right, so it gets
// 403, as does a read token on an admin route. A missing or unknown
// credential gets 401 with WWW-Authenticate.
class AccessPolicy {
 public:
  AccessPolicy(const AuthConfig& auth, const std::vector<std::string>& write_keys,
               bool loopback_listener);

  // Returns nullopt when the request may proceed, else the 401 or 403
  // response. `authorization` is the Authorization header (Bearer, or Basic
  // for a write key). `query_token` is the access_token query parameter,
  // accepted only where the caller allows it (the alert stream, for
  // browsers' EventSource, which cannot set headers).
  std::optional<HttpAnswer> Check(Access needed, std::string_view authorization,
                                  std::optional<std::string_view> query_token) const;

  bool reads_open() const { return reads_open_; }
  bool admin_open() const { return admin_open_; }

 private:
  SecretSet read_tokens_;
  SecretSet admin_tokens_;  // empty or one
  SecretSet write_keys_;
  bool reads_open_;
  bool admin_open_;
};

// Returns true when `host`, as written in the listen setting, is a loopback
// address (127.0.0.0/8, ::1 or "localhost").
bool IsLoopbackHost(const std::string& host);

}  // namespace uptake

#endif  // UPTAKE_SERVER_ACCESS_CONTROL_H_
