// Aggregate snapshot files in DATA_DIR/snapshots: written atomically,
// checksummed, the newest two kept.
//
// Files, not a RocksDB column family: a snapshot of a million accounts is
// a single value of a hundred MiB or more, which would pass through the
// write-ahead log and the memtable and then be rewritten by compactions;
// a file is written once and replaced by rename.
//
// File layout: magic "UPTKSNAP" (8 bytes), the payload, then the payload
// size (8 bytes) and its CRC-32 (zlib's, 4 bytes), both little-endian.

#ifndef UPTAKE_STORAGE_SNAPSHOT_FILES_H_
#define UPTAKE_STORAGE_SNAPSHOT_FILES_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "storage/status.h"

namespace uptake {

// One snapshot file on disk.
struct SnapshotFile {
  std::string path;
  uint64_t log_position = 0;  // taken from the file name
};

// Thread-compatible: one writer at a time, which the server's single
// snapshot thread ensures.
class SnapshotFiles {
 public:
  // Each write deletes all snapshots but the newest this many.
  static constexpr size_t kKeptSnapshots = 2;

  // `dir` is created on the first write.
  explicit SnapshotFiles(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }

  // Writes the payload `chunks` as the snapshot of `log_position`: to a
  // temporary file, fsync, rename over the final name, fsync of the folder.
  // Then deletes all but the newest kKeptSnapshots and stale temporary
  // files. kUnavailable on any I/O error; no partial file is left under a
  // final name.
  StorageStatus Write(uint64_t log_position, std::span<const std::string> chunks);

  // Lists the snapshot files, newest (highest log position) first. A
  // missing folder lists none.
  StorageStatus List(std::vector<SnapshotFile>* files) const;

  // Reads a file written by Write and returns its payload. kCorruption
  // when the magic, size or checksum does not match; kUnavailable on I/O
  // errors.
  static StorageStatus Read(const std::string& path, std::string* payload);

 private:
  StorageStatus DeleteOld();

  std::string dir_;
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_SNAPSHOT_FILES_H_
