// The webhook outbox: one entry per (webhook, alert change) still to be
// delivered. Value layout: attempts as 4 big-endian bytes, the next attempt
// time as 8 big-endian bytes (wall-clock ms, two's complement), then the
// body.

#include <limits>

#include "storage/keys.h"
#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"

namespace uptake {
namespace {

constexpr size_t kValueHeaderBytes = 4 + 8;

std::string EncodeOutboxValue(const OutboxEntry& entry) {
  std::string value;
  value.reserve(kValueHeaderBytes + entry.body.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    value.push_back(static_cast<char>((entry.attempts >> shift) & 0xff));
  }
  PutBigEndian64(&value, static_cast<uint64_t>(entry.next_attempt_ms));
  value.append(entry.body);
  return value;
}

uint32_t DecodeBigEndian32(const char* src) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(src);
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

// Fills `entry` from a key of `webhook` and its value. Returns false when
// either is too short to be an outbox record.
bool DecodeOutboxRecord(std::string_view webhook, const rocksdb::Slice& key,
                        const rocksdb::Slice& value, OutboxEntry* entry) {
  if (key.size() != webhook.size() + 1 + 8 || value.size() < kValueHeaderBytes) return false;
  entry->webhook = std::string(webhook);
  entry->seq = DecodeBigEndian64(key.data() + webhook.size() + 1);
  entry->attempts = DecodeBigEndian32(value.data());
  entry->next_attempt_ms = static_cast<int64_t>(DecodeBigEndian64(value.data() + 4));
  entry->body.assign(value.data() + kValueHeaderBytes, value.size() - kValueHeaderBytes);
  return true;
}

}  // namespace

rocksdb::Status Store::Impl::AddOutboxEntries(std::span<const OutboxEntry> outbox,
                                              rocksdb::WriteBatch* batch) {
  for (const OutboxEntry& entry : outbox) {
    rocksdb::Status status = batch->Put(Family(kOutboxFamily), OutboxKey(entry.webhook, entry.seq),
                                        EncodeOutboxValue(entry));
    if (!status.ok()) return status;
  }
  return rocksdb::Status::OK();
}

StorageStatus Store::Impl::ReadOutbox(std::string_view webhook, uint64_t after_seq, size_t limit,
                                      std::vector<OutboxEntry>* entries) {
  entries->clear();
  if (limit == 0 || after_seq == std::numeric_limits<uint64_t>::max()) {
    return StorageStatus::Ok();
  }

  // The prefix ends in NUL, which no webhook name contains, so a name that
  // extends `webhook` ("a" and "ab") never falls inside it.
  std::string prefix(webhook);
  prefix.push_back('\0');
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Family(kOutboxFamily)));
  for (it->Seek(OutboxKey(webhook, after_seq + 1));
       it->Valid() && it->key().starts_with(prefix) && entries->size() < limit; it->Next()) {
    OutboxEntry entry;
    if (!DecodeOutboxRecord(webhook, it->key(), it->value(), &entry)) {
      return StorageStatus::Corruption("outbox record " + it->key().ToString(/*hex=*/true) +
                                       " is malformed");
    }
    entries->push_back(std::move(entry));
  }
  return FromRocksDbStatus("read outbox of webhook " + std::string(webhook), it->status());
}

StorageStatus Store::Impl::UpdateOutboxEntry(const OutboxEntry& entry) {
  return FromRocksDbStatus(
      "update outbox entry " + entry.webhook + "-" + std::to_string(entry.seq),
      Checked(db_->Put(write_options_, Family(kOutboxFamily), OutboxKey(entry.webhook, entry.seq),
                       EncodeOutboxValue(entry))));
}

StorageStatus Store::Impl::DeleteOutboxEntry(std::string_view webhook, uint64_t seq) {
  return FromRocksDbStatus(
      "delete outbox entry " + std::string(webhook) + "-" + std::to_string(seq),
      Checked(db_->Delete(write_options_, Family(kOutboxFamily), OutboxKey(webhook, seq))));
}

}  // namespace uptake
