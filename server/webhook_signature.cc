#include "server/webhook_signature.h"

#include <climits>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace uptake {

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  // HMAC() takes the key length as an int. A longer key, or any failure,
  // leaves the signature without a digest, which every receiver rejects.
  if (secret.size() > static_cast<size_t>(INT_MAX)) return "sha256=";
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest,
           &digest_size) == nullptr) {
    return "sha256=";
  }

  constexpr char kHex[] = "0123456789abcdef";
  std::string signature = "sha256=";
  for (unsigned int i = 0; i < digest_size; ++i) {
    signature.push_back(kHex[digest[i] >> 4]);
    signature.push_back(kHex[digest[i] & 0x0f]);
  }
  return signature;
}

}  // namespace uptake
