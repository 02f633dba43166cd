// The one place where rocksdb::Status becomes StorageStatus.

#ifndef UPTAKE_STORAGE_ROCKSDB_STATUS_H_
#define UPTAKE_STORAGE_ROCKSDB_STATUS_H_

#include <string_view>

#include <rocksdb/status.h>

#include "storage/status.h"

namespace uptake {

// Translates `status` from the RocksDB call named by `operation`, which
// prefixes the message. Corruption stays kCorruption. An invalid argument or
// an unsupported option is the caller's mistake, so it becomes kInvalid. All
// other failures, such as I/O errors, busy or shutdown, become kUnavailable
// because a retry may succeed. Callers handle NotFound before translating.
StorageStatus FromRocksDbStatus(std::string_view operation, const rocksdb::Status& status);

}  // namespace uptake

#endif  // UPTAKE_STORAGE_ROCKSDB_STATUS_H_
