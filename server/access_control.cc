#include "server/access_control.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <boost/asio/ip/address.hpp>

#include "proto/answers.h"
#include "server/ingest_service.h"

namespace uptake {
namespace {

constexpr char kRealm[] = "Bearer realm=\"uptake\"";

std::array<unsigned char, 32> Digest(std::string_view text) {
  // In OpenSSL 3 a one-shot SHA256() fetches the algorithm on every call,
  // which costs more than hashing a key, and ingest checks a key per
  // request. So the algorithm is fetched once, with SHA256() as fallback.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::array<unsigned char, 32> digest;
  if (sha256 != nullptr &&
      EVP_Digest(text.data(), text.size(), digest.data(), nullptr, sha256, nullptr) == 1) {
    return digest;
  }
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

HttpAnswer Unauthorized(std::string code, std::string message, bool token_given) {
  HttpAnswer answer = JsonAnswer(401, EncodeError(code, message));
  answer.headers.emplace_back(
      "WWW-Authenticate",
      token_given ? std::string(kRealm) + ", error=\"invalid_token\"" : std::string(kRealm));
  return answer;
}

HttpAnswer Forbidden(std::string message) {
  HttpAnswer answer = JsonAnswer(403, EncodeError("forbidden", message));
  answer.headers.emplace_back("WWW-Authenticate",
                              std::string(kRealm) + ", error=\"insufficient_scope\"");
  return answer;
}

}  // namespace

SecretSet::SecretSet(const std::vector<std::string>& secrets) {
  digests_.reserve(secrets.size());
  for (const std::string& secret : secrets) digests_.push_back(Digest(secret));
}

std::optional<size_t> SecretSet::Find(std::string_view candidate) const {
  if (candidate.empty()) return std::nullopt;
  const std::array<unsigned char, 32> digest = Digest(candidate);
  // Every digest is compared, so the time does not depend on which matched.
  std::optional<size_t> found;
  for (size_t i = 0; i < digests_.size(); ++i) {
    if (CRYPTO_memcmp(digest.data(), digests_[i].data(), digest.size()) == 0) found = i;
  }
  return found;
}

AccessPolicy::AccessPolicy(const AuthConfig& auth, const std::vector<std::string>& write_keys,
                           bool loopback_listener)
    : read_tokens_(auth.read_tokens),
      admin_tokens_(auth.admin_token.empty() ? std::vector<std::string>()
                                             : std::vector<std::string>{auth.admin_token}),
      write_keys_(write_keys),
      reads_open_(loopback_listener && auth.read_tokens.empty()),
      admin_open_(loopback_listener && auth.admin_token.empty()) {}

std::optional<HttpAnswer> AccessPolicy::Check(Access needed, std::string_view authorization,
                                              std::optional<std::string_view> query_token) const {
  if (needed == Access::kRead ? reads_open_ : admin_open_) return std::nullopt;

  const HeaderCredentials header = CredentialsFromAuthorization(authorization);
  std::string_view token = header.key;
  if (token.empty() && query_token) token = *query_token;
  const std::string_view role = needed == Access::kRead ? "read" : "admin";
  const std::string_view role_with_article = needed == Access::kRead ? "a read" : "an admin";
  if (token.empty()) {
    if (needed == Access::kRead && read_tokens_.empty()) {
      return Unauthorized("unauthorized",
                          "Reads are refused without a token: the server listens on a "
                          "non-loopback address and no read token is configured "
                          "(auth.read_tokens). The admin token, when configured, grants reads.",
                          /*token_given=*/false);
    }
    if (needed == Access::kAdmin && admin_tokens_.empty()) {
      return Unauthorized("unauthorized",
                          "Admin routes are refused: the server listens on a non-loopback "
                          "address and no admin token is configured (auth.admin_token).",
                          /*token_given=*/false);
    }
    return Unauthorized(
        "unauthorized",
        "Send " + std::string(role_with_article) + " token as Authorization: Bearer TOKEN.",
        /*token_given=*/false);
  }

  // Each set is searched in full, whatever an earlier one found.
  const bool is_admin = admin_tokens_.Find(token).has_value();
  const bool is_reader = read_tokens_.Find(token).has_value();
  const bool is_writer = write_keys_.Find(token).has_value();
  if (is_admin) return std::nullopt;
  if (is_reader) {
    if (needed == Access::kRead) return std::nullopt;
    return Forbidden("A read token does not grant admin routes; send the admin token.");
  }
  if (is_writer) {
    return Forbidden("A write key grants ingest only; send " + std::string(role_with_article) +
                     " token.");
  }
  return Unauthorized("invalid_token",
                      "The token is not a configured " + std::string(role) + " token.",
                      /*token_given=*/true);
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const boost::asio::ip::address address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace uptake
