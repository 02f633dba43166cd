#include "bench/event_file.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <simdjson.h>

namespace uptake {
namespace {

constexpr unsigned kChunkBytes = 1 << 20;

// Returns the reason of the last zlib error on `file`, opened from `path`.
std::string DescribeGzError(gzFile file, const std::string& path) {
  int code = Z_OK;
  std::string_view message = gzerror(file, &code);
  if (code == Z_ERRNO) return std::strerror(errno);
  // zlib starts the message with "PATH: ", and the caller names the path.
  if (message.starts_with(path + ": ")) message.remove_prefix(path.size() + 2);
  return std::string(message);
}

Result<std::string> ReadAll(gzFile file, const std::string& path) {
  std::string content;
  for (;;) {
    const size_t old_size = content.size();
    if (old_size > EventFile::kMaxBytes) {
      return Result<std::string>::Error(path + ": larger than " +
                                        std::to_string(EventFile::kMaxBytes) + " bytes");
    }
    content.resize(old_size + kChunkBytes);
    const int read = gzread(file, content.data() + old_size, kChunkBytes);
    if (read < 0) {
      return Result<std::string>::Error(path + ": read failed: " + DescribeGzError(file, path));
    }
    content.resize(old_size + static_cast<size_t>(read));
    if (read > 0) continue;

    // At the end gzread returns 0 even when the gzip stream was cut short
    // or corrupt, and leaves the reason to gzerror.
    int code = Z_OK;
    gzerror(file, &code);
    if (code != Z_OK) {
      return Result<std::string>::Error(path + ": read failed: " + DescribeGzError(file, path) +
                                        " (a truncated or corrupt gzip file)");
    }
    return Result<std::string>::Ok(std::move(content));
  }
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

}  // namespace

EventFile::EventFile(std::string path, std::string content, size_t size)
    : path_(std::move(path)), content_(std::move(content)), size_(size) {}

Result<EventFile> EventFile::Read(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Result<EventFile>::Error(path + ": open failed: " + std::strerror(errno));
  }
  Result<std::string> content = ReadAll(file, path);
  gzclose(file);
  if (!content.ok()) return Result<EventFile>::Error(content.error());

  const size_t size = content.value().size();
  content.value().append(simdjson::SIMDJSON_PADDING, '\0');
  return Result<EventFile>::Ok(EventFile(path, std::move(content.value()), size));
}

std::optional<EventLine> EventFile::NextLine() {
  while (offset_ < size_) {
    const size_t end = std::min(content_.find('\n', offset_), size_);
    const std::string_view text(content_.data() + offset_, end - offset_);
    const size_t readable_bytes = content_.size() - offset_;
    offset_ = end + 1;
    ++line_number_;
    if (!IsBlank(text)) return EventLine{text, readable_bytes, line_number_};
  }
  return std::nullopt;
}

}  // namespace uptake
