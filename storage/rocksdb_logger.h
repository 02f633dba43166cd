// RocksDB's own log, with its warnings and errors copied to the server log.

#ifndef UPTAKE_STORAGE_ROCKSDB_LOGGER_H_
#define UPTAKE_STORAGE_ROCKSDB_LOGGER_H_

#include <rocksdb/env.h>

#include <cstdarg>
#include <memory>

namespace uptake {

// Writes every message to `file_logger` (RocksDB's LOG file in the database
// folder, where operators expect RocksDB's details) and copies messages of
// WARN level and above to spdlog with the prefix "[rocksdb]". That is how a
// torn write-ahead-log tail dropped at recovery, or a background error such
// as a full disk, reaches the server log. Thread-safe, as RocksDB requires.
class ForwardingLogger : public rocksdb::Logger {
 public:
  explicit ForwardingLogger(std::shared_ptr<rocksdb::Logger> file_logger);

  using rocksdb::Logger::Logv;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override;
  void Logv(const char* format, va_list ap) override;

 private:
  std::shared_ptr<rocksdb::Logger> file_logger_;
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_ROCKSDB_LOGGER_H_
