#include "storage/store.h"

#include "storage/store_impl.h"

namespace uptake {

StorageStatus Store::Open(const std::string& dir, const StoreOptions& options,
                          std::unique_ptr<Store>* store) {
  std::unique_ptr<Impl> impl;
  StorageStatus status = Impl::Open(dir, options, &impl);
  if (!status.ok()) return status;

  store->reset(new Store(std::move(impl)));
  return StorageStatus::Ok();
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;

StorageStatus Store::Commit(std::string_view write_key, std::span<const Event> events,
                            std::vector<CommitOutcome>* outcomes) {
  return impl_->Commit(write_key, events, outcomes);
}

StorageStatus Store::LookupUserAccount(std::string_view user_id,
                                       std::optional<std::string>* account_id) {
  static const PendingLinks kNothingPending;
  return impl_->LookupUserAccount(user_id, kNothingPending, account_id);
}

StorageStatus Store::LookupUserAccount(std::string_view user_id, const PendingLinks& pending,
                                       std::optional<std::string>* account_id) {
  return impl_->LookupUserAccount(user_id, pending, account_id);
}

StorageStatus Store::ForEachEvent(const std::function<void(const Event&)>& visit) {
  return impl_->ForEachEventFrom(0, visit);
}

StorageStatus Store::ForEachEventFrom(uint64_t first_sequence,
                                      const std::function<void(const Event&)>& visit) {
  return impl_->ForEachEventFrom(first_sequence, visit);
}

uint64_t Store::NextEventSequence() const { return impl_->NextEventSequence(); }

void Store::AdvanceEventSequence(uint64_t sequence) { impl_->AdvanceEventSequence(sequence); }

StorageStatus Store::SyncLog() { return impl_->SyncLog(); }

StorageStatus Store::PutAlert(uint64_t id, std::string_view json) {
  return impl_->PutAlert(id, json);
}

StorageStatus Store::ForEachAlert(
    const std::function<void(uint64_t id, std::string_view json)>& visit) {
  return impl_->ForEachAlert(visit);
}

StorageStatus Store::PutSilence(uint64_t id, std::string_view json) {
  return impl_->PutSilence(id, json);
}

StorageStatus Store::ForEachSilence(
    const std::function<void(uint64_t id, std::string_view json)>& visit) {
  return impl_->ForEachSilence(visit);
}

StorageStatus Store::ListAlerts(uint64_t after_id, size_t limit,
                                std::vector<std::pair<uint64_t, std::string>>* alerts) {
  return impl_->ListAlerts(after_id, limit, alerts);
}

StorageStatus Store::Compact() { return impl_->Compact(); }

StorageStatus Store::GetAlert(uint64_t id, std::optional<std::string>* json) {
  return impl_->GetAlert(id, json);
}

StorageStatus Store::RecordAlertChange(uint64_t seq, uint64_t alert_id, std::string_view alert_json,
                                       std::string_view change_json,
                                       std::span<const OutboxEntry> outbox) {
  return impl_->RecordAlertChange(seq, alert_id, alert_json, change_json, outbox);
}

StorageStatus Store::ReadOutbox(std::string_view webhook, uint64_t after_seq, size_t limit,
                                std::vector<OutboxEntry>* entries) {
  return impl_->ReadOutbox(webhook, after_seq, limit, entries);
}

StorageStatus Store::UpdateOutboxEntry(const OutboxEntry& entry) {
  return impl_->UpdateOutboxEntry(entry);
}

StorageStatus Store::DeleteOutboxEntry(std::string_view webhook, uint64_t seq) {
  return impl_->DeleteOutboxEntry(webhook, seq);
}

StorageStatus Store::ReadAlertChanges(uint64_t after_seq, size_t limit,
                                      std::vector<std::pair<uint64_t, std::string>>* changes) {
  return impl_->ReadAlertChanges(after_seq, limit, changes);
}

StorageStatus Store::AlertChangeBounds(uint64_t* oldest_seq, uint64_t* newest_seq) {
  return impl_->AlertChangeBounds(oldest_seq, newest_seq);
}

StorageStatus Store::TrimAlertChanges(uint64_t keep_from_seq) {
  return impl_->TrimAlertChanges(keep_from_seq);
}

StorageStatus Store::WriteHealth() const { return impl_->WriteHealth(); }

StorageStatus Store::RecoverWrites() { return impl_->RecoverWrites(); }

StoreWriteStats Store::WriteStats() const { return impl_->WriteStats(); }

StorageStatus Store::GetAccountTraits(std::string_view account_id, std::string* json) {
  return impl_->GetAccountTraits(account_id, json);
}

void Store::GetStats(StoreStats* stats) { impl_->GetStats(stats); }

StorageStatus Store::CountOutbox(std::string_view webhook, uint64_t* count) {
  return impl_->CountOutbox(webhook, count);
}

StorageStatus Store::SyncWal() { return impl_->SyncWal(); }

}  // namespace uptake
