#include "storage/event_codec.h"
#include "storage/keys.h"
#include "storage/latest_by_time.h"
#include "storage/rocksdb_status.h"
#include "storage/store_impl.h"
#include "storage/traits_json.h"

namespace uptake {
namespace {

std::string_view ToStringView(const rocksdb::Slice& slice) {
  return std::string_view(slice.data(), slice.size());
}

}  // namespace

StorageStatus Store::Impl::LookupUserAccount(std::string_view user_id, const PendingLinks& pending,
                                             std::optional<std::string>* account_id) {
  StorageStatus status =
      ReadLatest(UserLinkKey(user_id), "account link", pending.FindLink(user_id), account_id);
  if (!status.ok() || account_id->has_value()) return status;

  // An id that an alias call tied to a user takes that user's account. One
  // step only: an alias of an alias is not followed.
  std::optional<std::string> aliased_user;
  status = ReadLatest(UserAliasKey(user_id), "alias", pending.FindAlias(user_id), &aliased_user);
  if (!status.ok() || !aliased_user.has_value()) return status;
  return ReadLatest(UserLinkKey(*aliased_user), "account link", pending.FindLink(*aliased_user),
                    account_id);
}

StorageStatus Store::Impl::ReadLatest(const std::string& key, std::string_view what,
                                      const PendingLinks::Entry* noted,
                                      std::optional<std::string>* payload) {
  std::string value;
  const rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), Family(kUsersFamily), key, &value);
  if (!status.ok() && !status.IsNotFound()) {
    return FromRocksDbStatus("read " + std::string(what), status);
  }

  std::optional<int64_t> stored_time;
  std::optional<std::string_view> text;
  if (status.ok()) {
    stored_time = TimedValueTime(value);
    text = TimedValuePayload(value);
    if (!text.has_value()) {
      return StorageStatus::Corruption(std::string(what) +
                                       " record is shorter than its 8-byte time");
    }
  }
  // A noted entry is written after the stored one, so it wins a tie, as in
  // the merge.
  if (noted != nullptr && (!stored_time.has_value() || noted->time_ms >= *stored_time)) {
    *payload = noted->value;
  } else if (text.has_value()) {
    *payload = std::string(*text);
  } else {
    *payload = std::nullopt;
  }
  return StorageStatus::Ok();
}

StorageStatus Store::Impl::ForEachEventFrom(uint64_t first_sequence,
                                            const std::function<void(const Event&)>& visit) {
  return ForEachLoggedEventFrom(
      first_sequence, [&visit](uint64_t, const LoggedEvent& logged) { visit(logged.event); });
}

StorageStatus Store::Impl::ForEachLoggedEventFrom(
    uint64_t first_sequence,
    const std::function<void(uint64_t sequence, const LoggedEvent&)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Family(kEventsFamily)));
  // A record is keyed by the sequence of its first event, so the one that
  // contains `first_sequence` may start before it.
  const std::string start = SequenceKey(first_sequence);
  it->SeekForPrev(start);
  if (!it->Valid()) it->Seek(start);
  for (; it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (key.size() != 8) {
      return StorageStatus::Corruption("event log key " + key.ToString(true) + " has " +
                                       std::to_string(key.size()) + " bytes, expected 8");
    }
    const uint64_t record_sequence = DecodeBigEndian64(key.data());
    const std::optional<size_t> decoded =
        DecodeRecord(ToStringView(it->value()), [&](size_t position, const LoggedEvent& logged) {
          const uint64_t sequence = record_sequence + position;
          if (sequence >= first_sequence) visit(sequence, logged);
        });
    if (!decoded.has_value()) {
      return StorageStatus::Corruption("event log record " +
                                       std::to_string(DecodeBigEndian64(key.data())) +
                                       " cannot be decoded");
    }
  }
  return FromRocksDbStatus("iterate event log", it->status());
}

void Store::Impl::AdvanceEventSequence(uint64_t sequence) {
  uint64_t current = next_sequence_.load();
  while (current < sequence && !next_sequence_.compare_exchange_weak(current, sequence)) {
  }
}

StorageStatus Store::Impl::SyncLog() {
  return FromRocksDbStatus("sync write-ahead log", db_->SyncWAL());
}

StorageStatus Store::Impl::GetAccountTraits(std::string_view account_id, std::string* json) {
  *json = "{}";
  // Commit stores no traits for such ids, and their prefix would match the
  // keys of a shorter account id.
  if (account_id.find('\0') != std::string_view::npos) return StorageStatus::Ok();

  const std::string prefix = AccountTraitPrefix(account_id);
  std::string object = "{";
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Family(kAccountsFamily)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const std::optional<std::string_view> value = TimedValuePayload(ToStringView(it->value()));
    if (!value.has_value()) {
      return StorageStatus::Corruption("a trait of account " + std::string(account_id) +
                                       " is shorter than its 8-byte time");
    }
    if (object.size() > 1) object.push_back(',');
    AppendJsonString(&object, ToStringView(it->key()).substr(prefix.size()));
    object.push_back(':');
    object.append(*value);
  }
  StorageStatus status = FromRocksDbStatus("read account traits", it->status());
  if (!status.ok()) return status;

  object.push_back('}');
  *json = std::move(object);
  return StorageStatus::Ok();
}

}  // namespace uptake
