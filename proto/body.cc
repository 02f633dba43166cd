#include "proto/body.h"

#include <zlib.h>

#include <array>
#include <vector>

namespace uptake {

namespace {

// Inflate output is produced in pieces of this size, so the limit check
// runs before the decoded body grows past the limit by more than one piece.
constexpr size_t kChunkBytes = 64 * 1024;

enum class Coding { kIdentity, kGzip, kDeflate };

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<Coding> CodingFromName(std::string_view name) {
  // x-gzip is the legacy alias of gzip that HTTP/1.1 recipients accept.
  if (EqualsIgnoreCase(name, "identity")) return Coding::kIdentity;
  if (EqualsIgnoreCase(name, "gzip") || EqualsIgnoreCase(name, "x-gzip")) return Coding::kGzip;
  if (EqualsIgnoreCase(name, "deflate")) return Coding::kDeflate;
  return std::nullopt;
}

bool StartsWithGzipMagic(const std::string& body) {
  return body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f &&
         static_cast<unsigned char>(body[1]) == 0x8b;
}

// A zlib stream starts with a CMF/FLG pair whose 16-bit value is a multiple
// of 31 and whose method nibble is 8 (deflate). Raw deflate data has no such
// header.
bool HasZlibHeader(const std::string& body) {
  if (body.size() < 2) return false;
  const auto b0 = static_cast<unsigned char>(body[0]);
  const auto b1 = static_cast<unsigned char>(body[1]);
  return ((b0 << 8) | b1) % 31 == 0 && (b0 & 0x0f) == 8;
}

RequestError MakeError(int status, std::string code, std::string message) {
  return RequestError{status, std::move(code), std::move(message)};
}

RequestError CorruptError(Coding coding) {
  if (coding == Coding::kGzip) {
    return MakeError(400, "invalid_gzip",
                     "The gzip body is corrupt or truncated; send complete gzip data.");
  }
  return MakeError(400, "invalid_deflate",
                   "The deflate body is corrupt or truncated; send complete deflate data.");
}

RequestError TooLargeError(size_t max_decoded_bytes) {
  return MakeError(400, "request_too_large",
                   "The decoded body exceeds the limit of " + std::to_string(max_decoded_bytes) +
                       " bytes; send smaller batches.");
}

// Owns a zlib inflate stream so every return path releases it.
class Inflater {
 public:
  explicit Inflater(int window_bits) { ok_ = inflateInit2(&stream_, window_bits) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&stream_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  bool ok() const { return ok_; }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

// Inflates `input` into a new string. Gzip members that follow one another
// are decoded as one body; raw and zlib deflate data must end with the
// stream.
std::optional<RequestError> Inflate(Coding coding, std::string& input, size_t max_decoded_bytes) {
  int window_bits = 15 + 16;
  if (coding == Coding::kDeflate) window_bits = HasZlibHeader(input) ? 15 : -15;
  Inflater inflater(window_bits);
  if (!inflater.ok()) return CorruptError(coding);

  z_stream& stream = inflater.stream();
  stream.next_in = reinterpret_cast<Bytef*>(input.data());
  stream.avail_in = static_cast<uInt>(input.size());
  std::string output;
  std::array<unsigned char, kChunkBytes> chunk;

  for (;;) {
    stream.next_out = chunk.data();
    stream.avail_out = static_cast<uInt>(chunk.size());
    const int status = inflate(&stream, Z_NO_FLUSH);
    const size_t produced = chunk.size() - stream.avail_out;
    if (output.size() + produced > max_decoded_bytes) return TooLargeError(max_decoded_bytes);
    output.append(reinterpret_cast<const char*>(chunk.data()), produced);

    if (status == Z_STREAM_END) {
      if (stream.avail_in == 0) break;
      if (coding != Coding::kGzip || inflateReset(&stream) != Z_OK) return CorruptError(coding);
      continue;
    }
    if (status != Z_OK) return CorruptError(coding);
    // Z_OK with all input consumed and room left in the chunk means the
    // stream ended early.
    if (stream.avail_in == 0 && produced < chunk.size()) return CorruptError(coding);
  }

  input = std::move(output);
  return std::nullopt;
}

}  // namespace

bool IsJsonMediaType(std::string_view content_type) {
  const size_t semicolon = content_type.find(';');
  const std::string_view type = Trim(content_type.substr(0, semicolon));
  return type.empty() || EqualsIgnoreCase(type, "application/json") ||
         EqualsIgnoreCase(type, "text/plain");
}

std::optional<RequestError> DecodeBody(std::string_view content_encoding, std::string& body,
                                       size_t max_decoded_bytes) {
  std::vector<Coding> codings;
  while (!content_encoding.empty()) {
    const size_t comma = content_encoding.find(',');
    const std::string_view name = Trim(content_encoding.substr(0, comma));
    content_encoding.remove_prefix(comma == std::string_view::npos ? content_encoding.size()
                                                                   : comma + 1);
    if (name.empty()) continue;
    const std::optional<Coding> coding = CodingFromName(name);
    if (!coding) {
      return MakeError(415, "unsupported_encoding",
                       "Content-Encoding '" + std::string(name) +
                           "' is not supported; use gzip, deflate or identity.");
    }
    if (*coding != Coding::kIdentity) codings.push_back(*coding);
  }
  if (codings.empty() && StartsWithGzipMagic(body)) codings.push_back(Coding::kGzip);

  // The header lists codings in the order they were applied, so the last
  // one is undone first.
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    if (std::optional<RequestError> error = Inflate(*it, body, max_decoded_bytes)) return error;
  }
  if (body.size() > max_decoded_bytes) return TooLargeError(max_decoded_bytes);
  return std::nullopt;
}

}  // namespace uptake
