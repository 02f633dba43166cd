// DecodePostHogPayload: the wrappings posthog-js puts around its JSON,
// undone after Content-Encoding.

#include <optional>
#include <string>
#include <string_view>

#include "proto/body.h"
#include "proto/detail/base64.h"
#include "proto/detail/form.h"
#include "proto/detail/lz_string.h"
#include "proto/posthog.h"

namespace uptake {

namespace {

enum class Compression { kNone, kGzip, kLz64, kBase64 };

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char lower = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (lower != b[i]) return false;
  }
  return true;
}

std::optional<Compression> CompressionFromName(std::string_view name) {
  if (name.empty()) return Compression::kNone;
  if (EqualsIgnoreCase(name, "gzip") || EqualsIgnoreCase(name, "gzip-js")) {
    return Compression::kGzip;
  }
  if (EqualsIgnoreCase(name, "lz64")) return Compression::kLz64;
  if (EqualsIgnoreCase(name, "base64")) return Compression::kBase64;
  return std::nullopt;
}

bool StartsLikeJson(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

bool StartsWithGzipMagic(std::string_view text) {
  return text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0x1f &&
         static_cast<unsigned char>(text[1]) == 0x8b;
}

RequestError BadRequest(std::string code, std::string message) {
  return RequestError{400, std::move(code), std::move(message)};
}

RequestError TooLarge(size_t max_decoded_bytes) {
  return RequestError{413, "request_too_large",
                      "The decoded body exceeds the limit of " + std::to_string(max_decoded_bytes) +
                          " bytes; send smaller batches."};
}

// Form encoding turns an unescaped '+' into a space. Base64 has no spaces,
// so each one was a '+'.
void RestorePlusSigns(std::string& text) {
  for (char& c : text) {
    if (c == ' ') c = '+';
  }
}

// Replaces `body` with the URL-decoded `data` field of the form and returns
// the form's own `compression` field, which a form may carry in place of the
// query parameter.
std::optional<RequestError> UnwrapForm(std::string& body, std::string& form_compression) {
  const std::optional<std::string_view> compression = detail::FindFormField(body, "compression");
  if (compression) form_compression.assign(*compression);

  const std::optional<std::string_view> data = detail::FindFormField(body, "data");
  if (!data) {
    return BadRequest("invalid_form", "The form body has no 'data' field; send data=<payload>.");
  }
  const std::optional<size_t> size = detail::UrlDecode(*data, body.data());
  if (!size) {
    return BadRequest("invalid_form",
                      "The form field 'data' has a '%' not followed by two hex digits.");
  }
  body.resize(*size);
  return std::nullopt;
}

std::optional<RequestError> DecodeLz64(std::string& body, size_t max_decoded_bytes) {
  detail::Lz64Result result = detail::DecompressLz64(body, max_decoded_bytes);
  if (result.status == detail::Lz64Status::kTooLarge) return TooLarge(max_decoded_bytes);
  if (result.status == detail::Lz64Status::kInvalid) {
    return BadRequest("invalid_lz64",
                      "The body is not valid LZ-String base64 data; send the output of "
                      "compressToBase64 or another compression.");
  }
  body = std::move(result.text);
  return std::nullopt;
}

std::optional<RequestError> DecodeBase64(std::string& body) {
  if (detail::DecodeBase64InPlace(body)) return std::nullopt;
  return BadRequest("invalid_base64",
                    "The payload is neither JSON nor valid base64; send base64 of the JSON text.");
}

std::optional<RequestError> InflateGzip(std::string& body, size_t max_decoded_bytes) {
  std::optional<RequestError> error = DecodeBody("gzip", body, max_decoded_bytes);
  if (error && error->code == "request_too_large") return TooLarge(max_decoded_bytes);
  return error;
}

std::optional<RequestError> DecodeText(Compression compression, bool is_form, std::string& body,
                                       size_t max_decoded_bytes) {
  if (compression == Compression::kLz64) {
    if (is_form) RestorePlusSigns(body);
    return DecodeLz64(body, max_decoded_bytes);
  }

  const bool may_be_base64 = is_form || compression == Compression::kBase64;
  if (may_be_base64 && !StartsLikeJson(body)) {
    if (is_form) RestorePlusSigns(body);
    if (std::optional<RequestError> error = DecodeBase64(body)) return error;
  }
  // A gzip body sent without Content-Encoding is usually inflated already by
  // DecodeBody, which recognizes the gzip magic bytes.
  if (compression == Compression::kGzip && StartsWithGzipMagic(body)) {
    return InflateGzip(body, max_decoded_bytes);
  }
  return std::nullopt;
}

}  // namespace

std::optional<RequestError> DecodePostHogPayload(std::string_view compression,
                                                 std::string_view content_type, std::string& body,
                                                 size_t max_decoded_bytes) {
  const bool is_form = detail::IsFormMediaType(content_type);
  std::string form_compression;
  if (is_form) {
    if (std::optional<RequestError> error = UnwrapForm(body, form_compression)) return error;
    if (compression.empty()) compression = form_compression;
  }

  const std::optional<Compression> kind = CompressionFromName(compression);
  if (!kind) {
    return RequestError{415, "unsupported_compression",
                        "compression '" + std::string(compression) +
                            "' is not supported; use gzip-js, lz64 or base64."};
  }
  if (std::optional<RequestError> error = DecodeText(*kind, is_form, body, max_decoded_bytes)) {
    return error;
  }
  if (body.size() > max_decoded_bytes) return TooLarge(max_decoded_bytes);
  return std::nullopt;
}

}  // namespace uptake
