// The error type of the storage module. RocksDB's status is translated into
// it once, inside storage/.

#ifndef UPTAKE_STORAGE_STATUS_H_
#define UPTAKE_STORAGE_STATUS_H_

#include <string>
#include <utility>

namespace uptake {

class StorageStatus {
 public:
  enum class Code {
    kOk,
    kUnavailable,  // I/O error, disk full, database closed: retry later
    kCorruption,   // stored bytes that cannot be decoded
    kInvalid,      // a caller's mistake, for example a bad path
  };

  StorageStatus() = default;
  static StorageStatus Ok() { return StorageStatus(); }
  static StorageStatus Unavailable(std::string message) {
    return StorageStatus(Code::kUnavailable, std::move(message));
  }
  static StorageStatus Corruption(std::string message) {
    return StorageStatus(Code::kCorruption, std::move(message));
  }
  static StorageStatus Invalid(std::string message) {
    return StorageStatus(Code::kInvalid, std::move(message));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StorageStatus(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_STATUS_H_
