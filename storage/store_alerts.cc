#include <limits>

#include "storage/keys.h"
#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"

namespace uptake {
namespace {

StorageStatus BadAlertKey(const rocksdb::Slice& key) {
  return StorageStatus::Corruption("alert key " + key.ToString(/*hex=*/true) +
                                   " is not an 8-byte id");
}

}  // namespace

StorageStatus Store::Impl::PutAlert(uint64_t id, std::string_view json) {
  return FromRocksDbStatus("write alert " + std::to_string(id),
                           db_->Put(write_options_, Family(kAlertsFamily), SequenceKey(id),
                                    rocksdb::Slice(json.data(), json.size())));
}

StorageStatus Store::Impl::ForEachAlert(
    const std::function<void(uint64_t id, std::string_view json)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Family(kAlertsFamily)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return BadAlertKey(it->key());
    visit(DecodeBigEndian64(it->key().data()),
          std::string_view(it->value().data(), it->value().size()));
  }
  return FromRocksDbStatus("iterate alerts", it->status());
}

StorageStatus Store::Impl::ListAlerts(uint64_t after_id, size_t limit,
                                      std::vector<std::pair<uint64_t, std::string>>* alerts) {
  alerts->clear();
  if (limit == 0 || after_id == std::numeric_limits<uint64_t>::max()) {
    return StorageStatus::Ok();
  }

  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Family(kAlertsFamily)));
  for (it->Seek(SequenceKey(after_id + 1)); it->Valid() && alerts->size() < limit; it->Next()) {
    if (it->key().size() != 8) return BadAlertKey(it->key());
    alerts->emplace_back(DecodeBigEndian64(it->key().data()), it->value().ToString());
  }
  return FromRocksDbStatus("list alerts", it->status());
}

}  // namespace uptake
