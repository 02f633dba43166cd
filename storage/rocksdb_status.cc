#include "storage/rocksdb_status.h"

#include <string>
#include <utility>

namespace uptake {

StorageStatus FromRocksDbStatus(std::string_view operation, const rocksdb::Status& status) {
  if (status.ok()) return StorageStatus::Ok();

  std::string message(operation);
  message.append(" failed: ");
  message.append(status.ToString());

  if (status.IsCorruption()) return StorageStatus::Corruption(std::move(message));
  if (status.IsInvalidArgument() || status.IsNotSupported()) {
    return StorageStatus::Invalid(std::move(message));
  }
  return StorageStatus::Unavailable(std::move(message));
}

}  // namespace uptake
