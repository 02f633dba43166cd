#include "storage/rocksdb_logger.h"

#include <spdlog/spdlog.h>

#include <array>
#include <cstdio>
#include <cstring>

namespace uptake {
namespace {

// RocksDB 7.8 warns each time it opens a table file whose properties hold no
// unique id, which is every file SstFileWriter made: the dedup marks that
// storage spills in the background. Nothing is wrong with those files.
bool IsExpectedWarning(const char* message) {
  return std::strstr(message, "opened without unique ID to verify") != nullptr;
}

}  // namespace

ForwardingLogger::ForwardingLogger(std::shared_ptr<rocksdb::Logger> file_logger)
    : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), file_logger_(std::move(file_logger)) {}

void ForwardingLogger::Logv(const char* format, va_list ap) {
  Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
}

void ForwardingLogger::Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  if (level >= rocksdb::InfoLogLevel::WARN_LEVEL) {
    // A va_list is consumed by use, so the file logger gets its own copy.
    va_list copy;
    va_copy(copy, ap);
    std::array<char, 1024> message;
    std::vsnprintf(message.data(), message.size(), format, copy);
    va_end(copy);
    if (IsExpectedWarning(message.data())) {
      // Stays in RocksDB's LOG file only.
    } else if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      spdlog::error("[rocksdb] {}", message.data());
    } else {
      spdlog::warn("[rocksdb] {}", message.data());
    }
  }
  if (file_logger_ != nullptr) file_logger_->Logv(level, format, ap);
}

}  // namespace uptake
