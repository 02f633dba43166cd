#include "storage/snapshot_files.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace uptake {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFileMagic = "UPTKSNAP";
constexpr std::string_view kPrefix = "snapshot-";
constexpr std::string_view kSuffix = ".snap";
constexpr std::string_view kTempSuffix = ".tmp";
constexpr size_t kTrailerBytes = 12;

std::string ErrnoText(const std::string& operation, const std::string& path) {
  return operation + " '" + path + "': " + std::strerror(errno);
}

void AppendLittleEndian(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

uint64_t ReadLittleEndian(const char* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= uint64_t{static_cast<uint8_t>(in[i])} << (8 * i);
  return value;
}

// CRC-32 over any length; zlib's crc32 takes 32-bit lengths.
uint32_t Crc32(uint32_t crc, std::string_view bytes) {
  while (!bytes.empty()) {
    const size_t take = std::min<size_t>(bytes.size(), 1 << 30);
    crc = static_cast<uint32_t>(
        crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(take)));
    bytes.remove_prefix(take);
  }
  return crc;
}

// The zero-padded position keeps names sorting like positions.
std::string FileName(uint64_t log_position) {
  std::string digits = std::to_string(log_position);
  return std::string(kPrefix) + std::string(20 - digits.size(), '0') + digits +
         std::string(kSuffix);
}

bool ParseFileName(const std::string& name, uint64_t* log_position) {
  if (name.size() != kPrefix.size() + 20 + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix)) {
    return false;
  }
  uint64_t value = 0;
  for (size_t i = kPrefix.size(); i < kPrefix.size() + 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(name[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *log_position = value;
  return true;
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

StorageStatus SyncFolder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return StorageStatus::Unavailable(ErrnoText("open folder", dir));
  const bool synced = ::fsync(fd) == 0;
  const std::string error = synced ? "" : ErrnoText("fsync folder", dir);
  ::close(fd);
  return synced ? StorageStatus::Ok() : StorageStatus::Unavailable(error);
}

}  // namespace

StorageStatus SnapshotFiles::Write(uint64_t log_position, std::span<const std::string> chunks) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    return StorageStatus::Unavailable("create folder '" + dir_ + "': " + ec.message());
  }

  const std::string final_path = dir_ + "/" + FileName(log_position);
  const std::string temp_path = final_path + std::string(kTempSuffix);
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return StorageStatus::Unavailable(ErrnoText("create", temp_path));

  uint32_t crc = 0;
  uint64_t size = 0;
  bool ok = WriteAll(fd, kFileMagic);
  for (const std::string& chunk : chunks) {
    if (!ok) break;
    crc = Crc32(crc, chunk);
    size += chunk.size();
    ok = WriteAll(fd, chunk);
  }
  std::string trailer;
  AppendLittleEndian(&trailer, size, 8);
  AppendLittleEndian(&trailer, crc, 4);
  ok = ok && WriteAll(fd, trailer) && ::fsync(fd) == 0;
  const std::string error = ok ? "" : ErrnoText("write", temp_path);
  ::close(fd);
  if (!ok) {
    fs::remove(temp_path, ec);
    return StorageStatus::Unavailable(error);
  }

  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    const std::string rename_error = ErrnoText("rename to", final_path);
    fs::remove(temp_path, ec);
    return StorageStatus::Unavailable(rename_error);
  }
  if (StorageStatus synced = SyncFolder(dir_); !synced.ok()) return synced;
  return DeleteOld();
}

StorageStatus SnapshotFiles::List(std::vector<SnapshotFile>* files) const {
  files->clear();
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return StorageStatus::Ok();
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    uint64_t position = 0;
    if (ParseFileName(it->path().filename().string(), &position)) {
      files->push_back({it->path().string(), position});
    }
  }
  if (ec) return StorageStatus::Unavailable("list folder '" + dir_ + "': " + ec.message());
  std::sort(files->begin(), files->end(), [](const SnapshotFile& a, const SnapshotFile& b) {
    return a.log_position > b.log_position;
  });
  return StorageStatus::Ok();
}

StorageStatus SnapshotFiles::DeleteOld() {
  std::vector<SnapshotFile> files;
  if (StorageStatus listed = List(&files); !listed.ok()) return listed;
  std::error_code ec;
  for (size_t i = kKeptSnapshots; i < files.size(); ++i) {
    if (!fs::remove(files[i].path, ec) && ec) {
      return StorageStatus::Unavailable("delete '" + files[i].path + "': " + ec.message());
    }
  }

  // Temporary files left by a crash during an earlier write.
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(kPrefix) && name.ends_with(kTempSuffix)) fs::remove(it->path(), ec);
  }
  return StorageStatus::Ok();
}

StorageStatus SnapshotFiles::Read(const std::string& path, std::string* payload) {
  payload->clear();
  std::error_code ec;
  const uintmax_t file_size = fs::file_size(path, ec);
  if (ec) return StorageStatus::Unavailable("read '" + path + "': " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return StorageStatus::Unavailable(ErrnoText("open", path));
  std::string bytes(static_cast<size_t>(file_size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    return StorageStatus::Unavailable(ErrnoText("read", path));
  }

  if (bytes.size() < kFileMagic.size() + kTrailerBytes ||
      std::string_view(bytes).substr(0, kFileMagic.size()) != kFileMagic) {
    return StorageStatus::Corruption("'" + path + "' is not a snapshot file or is truncated");
  }
  const char* trailer = bytes.data() + bytes.size() - kTrailerBytes;
  const uint64_t size = ReadLittleEndian(trailer, 8);
  const auto crc = static_cast<uint32_t>(ReadLittleEndian(trailer + 8, 4));
  if (size != bytes.size() - kFileMagic.size() - kTrailerBytes) {
    return StorageStatus::Corruption("'" + path + "' is truncated: its trailer records " +
                                     std::to_string(size) + " payload bytes");
  }
  const std::string_view body = std::string_view(bytes).substr(kFileMagic.size(), size);
  if (Crc32(0, body) != crc) {
    return StorageStatus::Corruption("'" + path + "' fails its CRC-32 check");
  }
  bytes.resize(kFileMagic.size() + size);
  bytes.erase(0, kFileMagic.size());
  *payload = std::move(bytes);
  return StorageStatus::Ok();
}

}  // namespace uptake
