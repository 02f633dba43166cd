// The X-Uptake-Signature header value of a webhook body.

#ifndef UPTAKE_SERVER_WEBHOOK_SIGNATURE_H_
#define UPTAKE_SERVER_WEBHOOK_SIGNATURE_H_

#include <string>
#include <string_view>

namespace uptake {

// Returns "sha256=" followed by the lowercase hex HMAC-SHA256 of `body`
// keyed with `secret`. A receiver recomputes it over the raw body it read.
std::string WebhookSignature(std::string_view secret, std::string_view body);

}  // namespace uptake

#endif  // UPTAKE_SERVER_WEBHOOK_SIGNATURE_H_
