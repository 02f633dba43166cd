// application/x-www-form-urlencoded bodies, as PostHog's and Mixpanel's
// browser SDKs send them.

#ifndef UPTAKE_PROTO_DETAIL_FORM_H_
#define UPTAKE_PROTO_DETAIL_FORM_H_

#include <cstddef>
#include <optional>
#include <string_view>

namespace uptake::detail {

// Returns true for application/x-www-form-urlencoded in any case, with any
// parameters.
[[nodiscard]] bool IsFormMediaType(std::string_view content_type);

// Returns the still URL-encoded value of the first field called `name` in a
// form body, or nullopt when there is none. Field names are compared as
// sent, without decoding, because SDKs never encode the ASCII names they use.
[[nodiscard]] std::optional<std::string_view> FindFormField(std::string_view form,
                                                            std::string_view name);

// URL-decodes `encoded` ('+' is a space, %XX a byte) into `output`, which
// may alias `encoded` or start before it, because the decoded text is never
// longer. Returns the decoded size, or nullopt on a '%' without two hex
// digits.
[[nodiscard]] std::optional<size_t> UrlDecode(std::string_view encoded, char* output);

}  // namespace uptake::detail

#endif  // UPTAKE_PROTO_DETAIL_FORM_H_
