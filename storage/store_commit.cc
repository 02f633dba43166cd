#include <algorithm>
#include <limits>
#include <string_view>

#include "storage/dedup_index.h"
#include "storage/event_codec.h"
#include "storage/keys.h"
#include "storage/latest_by_time.h"
#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"
#include "storage/traits_json.h"

namespace uptake {
namespace {

size_t CountStored(const std::vector<CommitOutcome>& outcomes) {
  return std::count(outcomes.begin(), outcomes.end(), CommitOutcome::kStored);
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

  const uint64_t key_seed = DedupKeySeed(dedup_seed_, write_key);
  std::vector<DedupFingerprint> fingerprints;
  fingerprints.reserve(events.size());
  for (const Event& event : events) fingerprints.push_back(Fingerprint(key_seed, event.message_id));

  // Claims the new marks until FinishCommit, so a concurrent commit of the
  // same id waits for this one's write instead of storing the id twice.
  std::vector<CommitOutcome> classified;
  std::vector<DedupFingerprint> claimed;
  StorageStatus status = ClassifyEvents(write_key, events, fingerprints, &classified, &claimed);
  if (!status.ok()) return status;

  const size_t stored_count = CountStored(classified);
  if (stored_count == 0) {
    FinishCommit(std::nullopt, false, claimed, fingerprints, classified, 0);
    *outcomes = std::move(classified);
    return StorageStatus::Ok();
  }

  // One log record contains every event of the commit, and event i of it
  // has sequence first_sequence + i. A failed write leaves a gap in the
  // sequence, which readers tolerate.
  int64_t received_ms = 0;
  const uint64_t first_sequence = ReserveSequences(stored_count);
  auto finish = [&](bool written) {
    FinishCommit(first_sequence, written, claimed, fingerprints, classified, received_ms);
  };
  rocksdb::WriteBatch batch;
  CommitRecordBuilder record(write_key, stored_count);
  rocksdb::Status added = rocksdb::Status::OK();
  for (size_t i = 0; i < events.size() && added.ok(); ++i) {
    if (classified[i] != CommitOutcome::kStored) continue;
    record.Add(events[i]);
    received_ms = std::max(received_ms, events[i].received_ms);
    added = AddStateMerges(events[i], &batch);
  }
  if (added.ok()) {
    added =
        batch.Put(Family(kEventsFamily), SequenceKey(first_sequence), std::move(record).Finish());
  }
  if (!added.ok()) {
    finish(false);
    return FromRocksDbStatus("build commit batch", added);
  }

  status = FromRocksDbStatus("write commit batch", Checked(db_->Write(write_options_, &batch)));
  finish(status.ok());
  if (!status.ok()) return status;
  if (attachments_.retention_filter != nullptr) {
    int64_t newest_ms = std::numeric_limits<int64_t>::min();
    for (size_t i = 0; i < events.size(); ++i) {
      if (classified[i] == CommitOutcome::kStored) {
        newest_ms = std::max(newest_ms, events[i].timestamp_ms);
      }
    }
    attachments_.retention_filter->ObserveEventTime(newest_ms);
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  *outcomes = std::move(classified);
  return StorageStatus::Ok();
}

StorageStatus Store::Impl::ClassifyEvents(std::string_view write_key, std::span<const Event> events,
                                          const std::vector<DedupFingerprint>& fingerprints,
                                          std::vector<CommitOutcome>* outcomes,
                                          std::vector<DedupFingerprint>* claimed) {
  const size_t count = fingerprints.size();
  outcomes->assign(count, CommitOutcome::kDuplicate);

  // Events in ascending fingerprint order, the first occurrence first. A
  // repeat inside the call is a duplicate of its first occurrence.
  std::vector<size_t> order(count);
  for (size_t i = 0; i < count; ++i) order[i] = i;
  std::vector<bool> repeat(count, false);
  if (count > 1) {
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return fingerprints[a] != fingerprints[b] ? fingerprints[a] < fingerprints[b] : a < b;
    });
    for (size_t k = 1; k < count; ++k) {
      if (fingerprints[order[k]] == fingerprints[order[k - 1]]) repeat[order[k]] = true;
    }
  }

  // Marks in memory first; only the rest is looked up in RocksDB. Those are
  // claimed, all at once, and only when no other commit has a claim on
  // one of them; otherwise this waits for that commit to finish and looks
  // again, since its write may have failed. `unresolved` keeps fingerprint
  // order, so its keys reach MultiGet already sorted.
  std::vector<size_t> unresolved;
  unresolved.reserve(count);
  {
    std::unique_lock<std::mutex> lock(dedup_mutex_);
    for (const DedupFingerprint& fingerprint : fingerprints) {
      active_marks_.Prefetch(fingerprint);
      if (sealed_marks_ != nullptr) sealed_marks_->Prefetch(fingerprint);
    }
    while (true) {
      unresolved.clear();
      bool claimed_elsewhere = false;
      for (size_t k = 0; k < count && !claimed_elsewhere; ++k) {
        const size_t i = order[k];
        const DedupFingerprint& fingerprint = fingerprints[i];
        if (repeat[i] || active_marks_.Contains(fingerprint)) continue;
        if (sealed_marks_ != nullptr && sealed_marks_->Contains(fingerprint)) continue;
        claimed_elsewhere = claims_.contains(fingerprint);
        unresolved.push_back(i);
      }
      if (!claimed_elsewhere) break;
      claim_released_.wait(lock);
    }
    for (const size_t i : unresolved) {
      claims_.insert(fingerprints[i]);
      claimed->push_back(fingerprints[i]);
    }
  }
  for (const size_t i : unresolved) (*outcomes)[i] = CommitOutcome::kStored;

  if (unresolved.empty()) return StorageStatus::Ok();

  // The dedup family contains spilled marks, and for a database made by an
  // older uptake also marks under the older key layout.
  // A found key turns its claimed event into a duplicate; its claim stays
  // until FinishCommit drops every claim of the call.
  std::vector<FingerprintKeyBytes> fingerprint_keys;
  fingerprint_keys.reserve(unresolved.size());
  for (const size_t i : unresolved)
    fingerprint_keys.push_back(EncodeFingerprintKey(fingerprints[i]));
  std::vector<rocksdb::Slice> slices;
  slices.reserve(unresolved.size() * (legacy_dedup_keys_ ? 2 : 1));
  for (const FingerprintKeyBytes& key : fingerprint_keys)
    slices.emplace_back(key.data(), key.size());
  std::vector<std::string> legacy_keys;
  if (legacy_dedup_keys_) {
    legacy_keys.reserve(unresolved.size());
    for (const size_t i : unresolved) {
      legacy_keys.push_back(DedupKey(write_key, events[i].message_id));
      slices.emplace_back(legacy_keys.back());
    }
  }
  // Fingerprint keys arrive sorted, which spares MultiGet its sort, the
  // larger part of its time in a profile. Legacy keys follow, unsorted.
  const bool sorted_input = !legacy_dedup_keys_;
  std::vector<rocksdb::PinnableSlice> values(slices.size());
  std::vector<rocksdb::Status> statuses(slices.size());
  db_->MultiGet(rocksdb::ReadOptions(), Family(kDedupFamily), slices.size(), slices.data(),
                values.data(), statuses.data(), sorted_input);

  for (size_t k = 0; k < slices.size(); ++k) {
    if (statuses[k].ok()) {
      (*outcomes)[unresolved[k % unresolved.size()]] = CommitOutcome::kDuplicate;
    } else if (!statuses[k].IsNotFound()) {
      FinishCommit(std::nullopt, false, *claimed, fingerprints, *outcomes, 0);
      outcomes->clear();
      return FromRocksDbStatus("read dedup marks", statuses[k]);
    }
  }
  return StorageStatus::Ok();
}

rocksdb::Status Store::Impl::AddStateMerges(const Event& event, rocksdb::WriteBatch* batch) {
  if (std::string_view alias = AliasWritten(event); !alias.empty()) {
    rocksdb::Status status = batch->Merge(Family(kUsersFamily), UserAliasKey(alias),
                                          EncodeTimedValue(event.timestamp_ms, event.user_id));
    if (!status.ok()) return status;
  }
  if (event.type == EventType::kIdentify && UsableInStateKey(event.user_id)) {
    return AddTraitMerges(
        Family(kUsersFamily), event,
        [&](std::string_view key) { return UserTraitKey(event.user_id, key); }, batch);
  }
  if (event.type != EventType::kGroup || !UsableInStateKey(event.group_id)) {
    return rocksdb::Status::OK();
  }

  rocksdb::Status status = AddTraitMerges(
      Family(kAccountsFamily), event,
      [&](std::string_view key) { return AccountTraitKey(event.group_id, key); }, batch);
  if (!status.ok() || !WritesUserLink(event)) return status;
  return batch->Merge(Family(kUsersFamily), UserLinkKey(event.user_id),
                      EncodeTimedValue(event.timestamp_ms, event.group_id));
}

}  // namespace uptake
