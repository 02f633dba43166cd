#include "server/webhook_signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace uptake {

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  // HMAC() with SHA-256 fails only for a key longer than INT_MAX bytes. A
  // secret comes from the config file or the environment, so it is far
  // shorter.
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &digest_size);

  constexpr char kHex[] = "0123456789abcdef";
  std::string signature = "sha256=";
  for (unsigned int i = 0; i < digest_size; ++i) {
    signature.push_back(kHex[digest[i] >> 4]);
    signature.push_back(kHex[digest[i] & 0x0f]);
  }
  return signature;
}

}  // namespace uptake
