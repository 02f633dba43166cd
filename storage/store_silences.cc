#include "storage/keys.h"
#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"

namespace uptake {

StorageStatus Store::Impl::PutSilence(uint64_t id, std::string_view json) {
  return FromRocksDbStatus(
      "write silence " + std::to_string(id),
      Checked(db_->Put(write_options_, Family(kSilencesFamily), SequenceKey(id),
                       rocksdb::Slice(json.data(), json.size()))));
}

StorageStatus Store::Impl::ForEachSilence(
    const std::function<void(uint64_t id, std::string_view json)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Family(kSilencesFamily)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) {
      return StorageStatus::Corruption("silence key " + it->key().ToString(/*hex=*/true) +
                                       " is not an 8-byte id");
    }
    visit(DecodeBigEndian64(it->key().data()),
          std::string_view(it->value().data(), it->value().size()));
  }
  return FromRocksDbStatus("iterate silences", it->status());
}

}  // namespace uptake
