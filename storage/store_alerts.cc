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
                           Checked(db_->Put(write_options_, Family(kAlertsFamily), SequenceKey(id),
                                            rocksdb::Slice(json.data(), json.size()))));
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

StorageStatus Store::Impl::GetAlert(uint64_t id, std::optional<std::string>* json) {
  std::string value;
  const rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), Family(kAlertsFamily), SequenceKey(id), &value);
  if (status.IsNotFound()) {
    *json = std::nullopt;
    return StorageStatus::Ok();
  }
  if (!status.ok()) return FromRocksDbStatus("read alert " + std::to_string(id), status);
  *json = std::move(value);
  return StorageStatus::Ok();
}

StorageStatus Store::Impl::RecordAlertChange(uint64_t seq, uint64_t alert_id,
                                             std::string_view alert_json,
                                             std::string_view change_json,
                                             std::span<const OutboxEntry> outbox) {
  // One batch, so a reader never sees a change whose alert record is older,
  // and no change is stored without its webhook deliveries.
  rocksdb::WriteBatch batch;
  rocksdb::Status status = batch.Put(Family(kAlertsFamily), SequenceKey(alert_id),
                                     rocksdb::Slice(alert_json.data(), alert_json.size()));
  if (status.ok()) {
    status = batch.Put(Family(kAlertChangesFamily), SequenceKey(seq),
                       rocksdb::Slice(change_json.data(), change_json.size()));
  }
  if (status.ok()) status = AddOutboxEntries(outbox, &batch);
  if (status.ok()) status = Checked(db_->Write(write_options_, &batch));
  return FromRocksDbStatus("write alert change " + std::to_string(seq), status);
}

StorageStatus Store::Impl::ReadAlertChanges(
    uint64_t after_seq, size_t limit, std::vector<std::pair<uint64_t, std::string>>* changes) {
  changes->clear();
  if (limit == 0 || after_seq == std::numeric_limits<uint64_t>::max()) {
    return StorageStatus::Ok();
  }
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Family(kAlertChangesFamily)));
  for (it->Seek(SequenceKey(after_seq + 1)); it->Valid() && changes->size() < limit; it->Next()) {
    if (it->key().size() != 8) return BadAlertKey(it->key());
    changes->emplace_back(DecodeBigEndian64(it->key().data()), it->value().ToString());
  }
  return FromRocksDbStatus("read alert changes", it->status());
}

StorageStatus Store::Impl::AlertChangeBounds(uint64_t* oldest_seq, uint64_t* newest_seq) {
  *oldest_seq = 0;
  *newest_seq = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Family(kAlertChangesFamily)));
  it->SeekToFirst();
  if (it->Valid() && it->key().size() == 8) *oldest_seq = DecodeBigEndian64(it->key().data());
  it->SeekToLast();
  if (it->Valid() && it->key().size() == 8) *newest_seq = DecodeBigEndian64(it->key().data());
  return FromRocksDbStatus("read alert change bounds", it->status());
}

StorageStatus Store::Impl::TrimAlertChanges(uint64_t keep_from_seq) {
  if (keep_from_seq == 0) return StorageStatus::Ok();
  return FromRocksDbStatus("trim alert changes",
                           Checked(db_->DeleteRange(write_options_, Family(kAlertChangesFamily),
                                                    SequenceKey(0), SequenceKey(keep_from_seq))));
}

}  // namespace uptake
