// An NDJSON file of events, plain or gzip-compressed, held in memory and
// handed out line by line.

#ifndef UPTAKE_BENCH_EVENT_FILE_H_
#define UPTAKE_BENCH_EVENT_FILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/result.h"

namespace uptake {

struct EventLine {
  std::string_view text;  // without the line break
  size_t readable_bytes;  // bytes readable from text.data(), padding included
  int64_t number;         // 1-based line number
};

class EventFile {
 public:
  // Upper bound on the decompressed size, so a corrupt or hostile .gz file
  // cannot exhaust memory.
  static constexpr size_t kMaxBytes = size_t{1} << 31;

  // Reads the whole file. zlib detects gzip by its magic bytes and reads any
  // other file as it is, so the name's extension does not matter. Returns
  // an error naming the path when the file is missing, unreadable, a
  // truncated or corrupt gzip file, or larger than kMaxBytes.
  static Result<EventFile> Read(const std::string& path);

  // Returns the next line that is not blank, or nullopt after the last one.
  std::optional<EventLine> NextLine();

  const std::string& path() const { return path_; }

 private:
  EventFile(std::string path, std::string content, size_t size);

  std::string path_;
  // The file's bytes followed by simdjson padding. size_ excludes the padding.
  std::string content_;
  size_t size_;
  size_t offset_ = 0;
  int64_t line_number_ = 0;
};

}  // namespace uptake

#endif  // UPTAKE_BENCH_EVENT_FILE_H_
