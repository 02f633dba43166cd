#include <algorithm>
#include <string_view>
#include <unordered_set>

#include "storage/event_codec.h"
#include "storage/keys.h"
#include "storage/latest_by_time.h"
#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"
#include "storage/traits_json.h"

namespace uptake {
namespace {

std::vector<std::string> DedupKeysOf(std::string_view write_key, std::span<const Event> events) {
  std::vector<std::string> keys;
  keys.reserve(events.size());
  for (const Event& event : events) keys.push_back(DedupKey(write_key, event.message_id));
  return keys;
}

size_t CountStored(const std::vector<CommitOutcome>& outcomes) {
  return std::count(outcomes.begin(), outcomes.end(), CommitOutcome::kStored);
}

// Trait and link keys join ids with NUL, so an id containing NUL could read
// back as another id's key. Such ids get no traits or links.
bool UsableInStateKey(std::string_view id) {
  return !id.empty() && id.find('\0') == std::string_view::npos;
}

// Adds one merge per top-level member of the event's traits object, keyed by
// `key_of(trait key)`. Traits text that is not a JSON object adds no merge,
// but the event itself is still stored.
template <typename KeyOf>
rocksdb::Status AddTraitMerges(rocksdb::ColumnFamilyHandle* family, const Event& event,
                               KeyOf key_of, rocksdb::WriteBatch* batch) {
  const std::optional<std::vector<TraitField>> traits = SplitTraitsObject(event.properties);
  if (!traits.has_value()) return rocksdb::Status::OK();

  for (const TraitField& trait : *traits) {
    rocksdb::Status status = batch->Merge(family, key_of(trait.key),
                                          EncodeTimedValue(event.timestamp_ms, trait.raw_value));
    if (!status.ok()) return status;
  }
  return rocksdb::Status::OK();
}

}  // namespace

StorageStatus Store::Impl::Commit(std::string_view write_key, std::span<const Event> events,
                                  std::vector<CommitOutcome>* outcomes) {
  outcomes->clear();
  if (write_key.find('\0') != std::string_view::npos) {
    return StorageStatus::Invalid("write key contains a NUL byte");
  }
  if (events.empty()) return StorageStatus::Ok();
  if (StorageStatus space = CheckFreeSpace(); !space.ok()) return space;

  const std::vector<std::string> dedup_keys = DedupKeysOf(write_key, events);
  StripedLocks::Guard guard(&commit_locks_, dedup_keys);

  std::vector<CommitOutcome> classified;
  StorageStatus status = ClassifyEvents(dedup_keys, &classified);
  if (!status.ok()) return status;

  const size_t stored_count = CountStored(classified);
  if (stored_count == 0) {
    *outcomes = std::move(classified);
    return StorageStatus::Ok();
  }

  // A failed write leaves a gap in the sequence, which readers tolerate.
  uint64_t sequence = next_sequence_.fetch_add(stored_count);
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < events.size(); ++i) {
    if (classified[i] != CommitOutcome::kStored) continue;
    rocksdb::Status added =
        AddEventToBatch(write_key, events[i], dedup_keys[i], sequence++, &batch);
    if (added.ok()) added = AddStateMerges(events[i], &batch);
    if (!added.ok()) return FromRocksDbStatus("build commit batch", added);
  }

  status = FromRocksDbStatus("write commit batch", Checked(db_->Write(write_options_, &batch)));
  if (!status.ok()) return status;
  commits_.fetch_add(1, std::memory_order_relaxed);
  *outcomes = std::move(classified);
  return StorageStatus::Ok();
}

StorageStatus Store::Impl::ClassifyEvents(const std::vector<std::string>& dedup_keys,
                                          std::vector<CommitOutcome>* outcomes) {
  const size_t count = dedup_keys.size();
  std::vector<rocksdb::Slice> keys(dedup_keys.begin(), dedup_keys.end());
  std::vector<rocksdb::PinnableSlice> values(count);
  std::vector<rocksdb::Status> statuses(count);
  db_->MultiGet(rocksdb::ReadOptions(), Family(kDedupFamily), count, keys.data(), values.data(),
                statuses.data());

  std::unordered_set<std::string_view> seen_in_call;
  outcomes->assign(count, CommitOutcome::kDuplicate);
  for (size_t i = 0; i < count; ++i) {
    if (statuses[i].ok()) continue;
    if (!statuses[i].IsNotFound()) return FromRocksDbStatus("read dedup marks", statuses[i]);
    if (seen_in_call.insert(dedup_keys[i]).second) (*outcomes)[i] = CommitOutcome::kStored;
  }
  return StorageStatus::Ok();
}

rocksdb::Status Store::Impl::AddEventToBatch(std::string_view write_key, const Event& event,
                                             const std::string& dedup_key, uint64_t sequence,
                                             rocksdb::WriteBatch* batch) {
  rocksdb::Status status =
      batch->Put(Family(kEventsFamily), SequenceKey(sequence), EncodeEvent(write_key, event));
  if (!status.ok()) return status;

  // DedupExpiryFilter reads received_ms to drop the mark after retention.
  std::string mark;
  PutBigEndian64(&mark, sequence);
  PutBigEndian64(&mark, static_cast<uint64_t>(event.received_ms));
  return batch->Put(Family(kDedupFamily), dedup_key, mark);
}

rocksdb::Status Store::Impl::AddStateMerges(const Event& event, rocksdb::WriteBatch* batch) {
  if (event.type == EventType::kIdentify && UsableInStateKey(event.user_id)) {
    return AddTraitMerges(
        Family(kUsersFamily), event,
        [&](std::string_view key) { return UserTraitKey(event.user_id, key); }, batch);
  }
  if (event.type == EventType::kAlias && UsableInStateKey(event.previous_id) &&
      UsableInStateKey(event.user_id) && event.previous_id != event.user_id) {
    return batch->Merge(Family(kUsersFamily), UserAliasKey(event.previous_id),
                        EncodeTimedValue(event.timestamp_ms, event.user_id));
  }
  if (event.type != EventType::kGroup || !UsableInStateKey(event.group_id)) {
    return rocksdb::Status::OK();
  }

  rocksdb::Status status = AddTraitMerges(
      Family(kAccountsFamily), event,
      [&](std::string_view key) { return AccountTraitKey(event.group_id, key); }, batch);
  if (!status.ok() || event.user_id.empty()) return status;
  return batch->Merge(Family(kUsersFamily), UserLinkKey(event.user_id),
                      EncodeTimedValue(event.timestamp_ms, event.group_id));
}

}  // namespace uptake
