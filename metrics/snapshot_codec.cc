// Per-account layout inside a section:
//   id (string), first_seen_ms, last_seen_ms (zigzag), event_count (varint),
//   last_login_ms (zigzag), flags (byte: 1 created_at, 2 traits)
//   [created_at_ms, created_at_event_ms (zigzag)] when flag 1
//   [trait flags (byte: 1 plan, 2 arr, 4 owner), then per present trait its
//    value (plan and owner a string, arr 8 bytes of IEEE-754 bits) and its
//    merge time (zigzag)] when flag 2
//   counts: n, then n x (section name id, count) as varints
//   users: n, then n x (user hash as fixed 8 bytes, last_active_s varint)
//   features: n, then n x (feature byte, first_use_s varint)
//   days: n, then n x (day zigzag, events varint, logins varint)

#include "metrics/snapshot_codec.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <mutex>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "metrics/account_shard.h"
#include "metrics/account_state.h"

namespace uptake {

namespace {

constexpr uint8_t kHasCreatedAt = 1;
constexpr uint8_t kHasTraits = 2;
constexpr uint8_t kHasPlan = 1;
constexpr uint8_t kHasArr = 2;
constexpr uint8_t kHasOwner = 4;

// Bounds that reject corrupt lengths before they allocate much. Real values
// are far below them.
constexpr size_t kMaxStringBytes = size_t{1} << 20;
constexpr uint64_t kMaxNamesPerSection = uint64_t{1} << 24;
constexpr uint64_t kMaxAccountsPerSection = uint64_t{1} << 32;
constexpr uint64_t kMaxUsersPerAccount = uint64_t{1} << 26;
constexpr uint64_t kMaxUint32 = std::numeric_limits<uint32_t>::max();

// FNV-1a, 64-bit: stable across builds and platforms, unlike std::hash.
class Fnv1a {
 public:
  void Add(std::string_view bytes) {
    for (char c : bytes) {
      hash_ ^= static_cast<uint8_t>(c);
      hash_ *= 0x100000001b3ull;
    }
  }
  void AddNumber(uint64_t value) {
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(value >> (8 * i));
    Add(std::string_view(bytes, 8));
  }
  // Length first, so ("ab", "c") and ("a", "bc") differ.
  void AddString(std::string_view text) {
    AddNumber(text.size());
    Add(text);
  }
  uint64_t value() const { return hash_; }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ull;
};

bool Fail(std::string* error, std::string message) {
  *error = std::move(message);
  return false;
}

}  // namespace

uint64_t AggregateFingerprint(const Catalog& catalog) {
  Fnv1a hash;
  hash.AddNumber(kSnapshotFormatVersion);
  hash.AddNumber(static_cast<uint64_t>(kDayActivityRetentionDays));
  // AccountState keys users by std::hash of the user id, so a standard
  // library whose hash differs must not reuse the stored hashes.
  hash.AddNumber(std::hash<std::string_view>{}("uptake user hash probe"));

  hash.AddNumber(catalog.features().size());
  for (const FeatureDefinition& feature : catalog.features()) {
    hash.AddString(feature.id);
    hash.AddNumber(feature.event_names.size());
    for (const std::string& name : feature.event_names) hash.AddString(name);
  }

  // The catalog keeps login events in a hash set, so sort them first.
  std::vector<std::string> logins = catalog.LoginEvents();
  std::sort(logins.begin(), logins.end());
  hash.AddNumber(logins.size());
  for (const std::string& name : logins) hash.AddString(name);
  return hash.value();
}

void SnapshotWriter::PutFixed64(uint64_t value) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(value >> (8 * i));
  buffer_.append(bytes, sizeof(bytes));
}

void SnapshotWriter::PutVarint(uint64_t value) {
  // Built on the stack and appended once: encoding runs while ingest waits.
  char bytes[10];
  size_t size = 0;
  while (value >= 0x80) {
    bytes[size++] = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  bytes[size++] = static_cast<char>(value);
  buffer_.append(bytes, size);
}

void SnapshotWriter::PutZigzag(int64_t value) {
  PutVarint((static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
}

void SnapshotWriter::PutBytes(std::string_view bytes) { buffer_.append(bytes); }

void SnapshotWriter::PutString(std::string_view text) {
  PutVarint(text.size());
  PutBytes(text);
}

void SnapshotWriter::Flush() {
  if (buffer_.empty()) return;
  sink_(buffer_);
  buffer_.clear();
}

bool SnapshotReader::Fill() {
  while (chunk_.empty()) {
    chunk_ = source_();
    if (chunk_.empty()) return false;
  }
  return true;
}

bool SnapshotReader::GetByte(uint8_t* value) {
  if (!Fill()) return false;
  *value = static_cast<uint8_t>(chunk_.front());
  chunk_.remove_prefix(1);
  return true;
}

bool SnapshotReader::GetFixed64(uint64_t* value) {
  uint64_t result = 0;
  for (int i = 0; i < 8; ++i) {
    uint8_t byte;
    if (!GetByte(&byte)) return false;
    result |= uint64_t{byte} << (8 * i);
  }
  *value = result;
  return true;
}

bool SnapshotReader::GetVarint(uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t byte;
    if (!GetByte(&byte)) return false;
    // The tenth byte may carry only the top bit of a 64-bit value.
    if (shift == 63 && byte > 1) return false;
    result |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

bool SnapshotReader::GetZigzag(int64_t* value) {
  uint64_t raw;
  if (!GetVarint(&raw)) return false;
  *value = static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
  return true;
}

bool SnapshotReader::GetBytes(size_t size, std::string* bytes) {
  bytes->clear();
  while (bytes->size() < size) {
    if (!Fill()) return false;
    const size_t take = std::min(size - bytes->size(), chunk_.size());
    bytes->append(chunk_.substr(0, take));
    chunk_.remove_prefix(take);
  }
  return true;
}

bool SnapshotReader::GetString(size_t max_size, std::string* text) {
  uint64_t size;
  if (!GetVarint(&size) || size > max_size) return false;
  return GetBytes(static_cast<size_t>(size), text);
}

bool SnapshotReader::AtEnd() { return !Fill(); }

bool SnapshotCodec::EncodeSectionPart(AccountShard& shard, size_t max_accounts,
                                      SnapshotSection* part) {
  AccountShard::OwedSnapshot& owed = *shard.owed_;
  const uint32_t generation = shard.snapshot_generation_;
  const SnapshotSink sink = [part](std::string_view chunk) { part->chunks.emplace_back(chunk); };
  SnapshotWriter out(sink);
  if (!owed.started) {
    // Names added after the mark come last, so the first `owed.names` ids
    // are those the accounts used then.
    out.PutVarint(owed.names);
    for (uint32_t id = 0; id < owed.names; ++id) out.PutString(shard.names_.Name(id));
    out.PutVarint(owed.accounts);
    owed.started = true;
  }

  // Accounts are placed by id on loading, so their order is free: those
  // saved since the last part, then the next ones unchanged since the
  // mark. Accounts created since the mark have indexes past owed.accounts.
  out.PutBytes(owed.saved_bytes);
  owed.saved_bytes.clear();
  out.MaybeFlush();
  const size_t end =
      owed.accounts - owed.next > max_accounts ? owed.next + max_accounts : owed.accounts;
  for (; owed.next < end; ++owed.next) {
    AccountShard::Account& account = shard.accounts_.at(owed.next);
    if (account.second.snapshot_generation() == generation) continue;  // saved
    account.second.set_snapshot_generation(generation);
    EncodeAccount(account.first, account.second, out);
    out.MaybeFlush();
  }
  out.Flush();
  if (owed.next < owed.accounts) return false;
  part->accounts = owed.accounts;
  part->saved_before_change = owed.saved;
  return true;
}

void SnapshotCodec::AppendAccount(const std::pair<const std::string, AccountState>& account,
                                  std::string& bytes) {
  const SnapshotSink sink = [&bytes](std::string_view chunk) { bytes.append(chunk); };
  SnapshotWriter out(sink);
  EncodeAccount(account.first, account.second, out);
  out.Flush();
}

void SnapshotCodec::EncodeAccount(const std::string& id, const AccountState& state,
                                  SnapshotWriter& out) {
  out.PutString(id);
  out.PutZigzag(state.first_seen_ms_);
  out.PutZigzag(state.last_seen_ms_);
  out.PutVarint(static_cast<uint64_t>(state.event_count_));
  out.PutZigzag(state.last_login_ms_);
  uint8_t flags = 0;
  if (state.has_created_at_) flags |= kHasCreatedAt;
  if (state.traits_) flags |= kHasTraits;
  out.PutByte(flags);
  if (state.has_created_at_) {
    out.PutZigzag(state.created_at_ms_);
    out.PutZigzag(state.created_at_event_ms_);
  }

  if (state.traits_) {
    const MergedTraits& traits = *state.traits_;
    uint8_t trait_flags = 0;
    if (traits.plan_) trait_flags |= kHasPlan;
    if (traits.arr_) trait_flags |= kHasArr;
    if (traits.owner_) trait_flags |= kHasOwner;
    out.PutByte(trait_flags);
    if (traits.plan_) {
      out.PutString(*traits.plan_);
      out.PutZigzag(traits.plan_time_ms_);
    }
    if (traits.arr_) {
      out.PutFixed64(std::bit_cast<uint64_t>(*traits.arr_));
      out.PutZigzag(traits.arr_time_ms_);
    }
    if (traits.owner_) {
      out.PutString(*traits.owner_);
      out.PutZigzag(traits.owner_time_ms_);
    }
  }

  out.PutVarint(state.counts_.size());
  for (const NameCount& entry : state.counts_) {
    out.PutVarint(entry.name_id);
    out.PutVarint(entry.count);
  }
  out.PutVarint(state.users_.size());
  for (const UserActivity& user : state.users_) {
    out.PutFixed64(user.user_hash);
    out.PutVarint(user.last_active_s);
  }
  out.PutVarint(state.features_.size());
  for (const FeatureUse& use : state.features_) {
    out.PutByte(use.feature);
    out.PutVarint(use.first_use_s);
  }
  out.PutVarint(state.days_.size());
  state.days_.ForEachDay([&out](const DayCount& day) {
    out.PutZigzag(day.day);
    out.PutVarint(day.events);
    out.PutVarint(day.logins);
  });
}

bool SnapshotCodec::DecodeTraits(SnapshotReader& in, MergedTraits* traits, std::string* error) {
  uint8_t flags;
  if (!in.GetByte(&flags)) return Fail(error, "truncated traits");
  if (flags == 0 || (flags & ~(kHasPlan | kHasArr | kHasOwner)) != 0) {
    return Fail(error, "invalid trait flags " + std::to_string(flags));
  }
  if (flags & kHasPlan) {
    std::string plan;
    if (!in.GetString(kMaxStringBytes, &plan) || !in.GetZigzag(&traits->plan_time_ms_)) {
      return Fail(error, "truncated or oversized plan trait");
    }
    traits->plan_ = std::move(plan);
  }
  if (flags & kHasArr) {
    uint64_t bits;
    if (!in.GetFixed64(&bits) || !in.GetZigzag(&traits->arr_time_ms_)) {
      return Fail(error, "truncated arr trait");
    }
    traits->arr_ = std::bit_cast<double>(bits);
  }
  if (flags & kHasOwner) {
    std::string owner;
    if (!in.GetString(kMaxStringBytes, &owner) || !in.GetZigzag(&traits->owner_time_ms_)) {
      return Fail(error, "truncated or oversized owner trait");
    }
    traits->owner_ = std::move(owner);
  }
  return true;
}

bool SnapshotCodec::DecodeAccount(SnapshotReader& in, const Catalog& catalog,
                                  std::vector<uint64_t>& name_seen, uint64_t account_number,
                                  std::string* id, AccountState* state, std::string* error) {
  if (!in.GetString(kMaxStringBytes, id)) return Fail(error, "truncated or oversized account id");
  const std::string where = " of account '" + *id + "'";

  uint64_t event_count;
  uint8_t flags;
  if (!in.GetZigzag(&state->first_seen_ms_) || !in.GetZigzag(&state->last_seen_ms_) ||
      !in.GetVarint(&event_count) || !in.GetZigzag(&state->last_login_ms_) || !in.GetByte(&flags)) {
    return Fail(error, "truncated header" + where);
  }
  if (event_count == 0 || event_count > uint64_t{std::numeric_limits<int64_t>::max()}) {
    return Fail(error, "invalid event count" + where);
  }
  if (state->first_seen_ms_ > state->last_seen_ms_) {
    return Fail(error, "first_seen after last_seen" + where);
  }
  if ((flags & ~(kHasCreatedAt | kHasTraits)) != 0) {
    return Fail(error, "invalid flags " + std::to_string(flags) + where);
  }
  state->event_count_ = static_cast<int64_t>(event_count);
  state->has_created_at_ = (flags & kHasCreatedAt) != 0;
  if (state->has_created_at_ &&
      (!in.GetZigzag(&state->created_at_ms_) || !in.GetZigzag(&state->created_at_event_ms_))) {
    return Fail(error, "truncated created_at" + where);
  }
  if (flags & kHasTraits) {
    state->traits_ = std::make_unique<MergedTraits>();
    if (!DecodeTraits(in, state->traits_.get(), error)) {
      *error += where;
      return false;
    }
  }

  uint64_t size;
  if (!in.GetVarint(&size) || size > name_seen.size()) {
    return Fail(error, "truncated or invalid name count" + where);
  }
  state->counts_.resize(size);
  for (NameCount& entry : state->counts_) {
    uint64_t name_id;
    uint64_t count;
    if (!in.GetVarint(&name_id) || !in.GetVarint(&count)) {
      return Fail(error, "truncated name counts" + where);
    }
    if (name_id >= name_seen.size() || name_seen[name_id] == account_number) {
      return Fail(error, "invalid or repeated name id " + std::to_string(name_id) + where);
    }
    if (count == 0 || count > kMaxUint32) return Fail(error, "invalid name count" + where);
    name_seen[name_id] = account_number;
    entry = {static_cast<uint32_t>(name_id), static_cast<uint32_t>(count)};
  }

  if (!in.GetVarint(&size) || size > kMaxUsersPerAccount) {
    return Fail(error, "truncated or invalid user count" + where);
  }
  state->users_.reserve(std::min<uint64_t>(size, 4096));
  for (uint64_t i = 0; i < size; ++i) {
    uint64_t hash;
    uint64_t last_active_s;
    if (!in.GetFixed64(&hash) || !in.GetVarint(&last_active_s)) {
      return Fail(error, "truncated users" + where);
    }
    // AddUser binary-searches users by hash, so they must stay sorted.
    if ((!state->users_.empty() && hash <= state->users_.back().user_hash) ||
        last_active_s > kMaxUint32) {
      return Fail(error, "users out of order or out of range" + where);
    }
    state->users_.push_back({hash, static_cast<uint32_t>(last_active_s)});
  }

  const size_t feature_limit = std::min(catalog.size(), Catalog::kMaxFeatures);
  if (!in.GetVarint(&size) || size > feature_limit) {
    return Fail(error, "truncated or invalid feature count" + where);
  }
  uint64_t feature_mask = 0;
  state->features_.resize(size);
  for (FeatureUse& use : state->features_) {
    uint8_t feature;
    uint64_t first_use_s;
    if (!in.GetByte(&feature) || !in.GetVarint(&first_use_s)) {
      return Fail(error, "truncated features" + where);
    }
    if (feature >= feature_limit || (feature_mask >> feature & 1) != 0 ||
        first_use_s > kMaxUint32) {
      return Fail(error, "invalid or repeated feature " + std::to_string(feature) + where);
    }
    feature_mask |= uint64_t{1} << feature;
    use = {feature, static_cast<uint32_t>(first_use_s)};
  }

  if (!in.GetVarint(&size) || size > uint64_t{kDayActivityRetentionDays}) {
    return Fail(error, "truncated or invalid day count" + where);
  }
  std::array<DayCount, kDayActivityRetentionDays> days;
  for (size_t i = 0; i < size; ++i) {
    int64_t day;
    uint64_t events;
    uint64_t logins;
    if (!in.GetZigzag(&day) || !in.GetVarint(&events) || !in.GetVarint(&logins)) {
      return Fail(error, "truncated days" + where);
    }
    const bool ordered = i == 0 || day > days[i - 1].day;
    if (!ordered || day < std::numeric_limits<int32_t>::min() ||
        day > std::numeric_limits<int32_t>::max() || events == 0 || events > kMaxUint32 ||
        logins > events) {
      return Fail(error, "days out of order or out of range" + where);
    }
    days[i] = {static_cast<int32_t>(day), static_cast<uint32_t>(events),
               static_cast<uint32_t>(logins)};
  }
  if (size > 0 && days[0].day < days[size - 1].day - kDayActivityRetentionDays + 1) {
    return Fail(error, "days span more than the retention" + where);
  }
  state->days_ = DaySeries::FromDays(std::span(days.data(), size));
  return true;
}

bool SnapshotCodec::DecodeSection(SnapshotReader& in, const Catalog& catalog,
                                  const std::function<AccountShard&(std::string_view)>& shard_for,
                                  SnapshotInfo* info, std::string* error) {
  uint64_t name_count;
  if (!in.GetVarint(&name_count) || name_count > kMaxNamesPerSection) {
    return Fail(error, "truncated or invalid section name count");
  }
  std::vector<std::string> names(name_count);
  std::unordered_set<std::string_view> distinct_names;
  for (std::string& name : names) {
    if (!in.GetString(kMaxStringBytes, &name)) return Fail(error, "truncated or oversized name");
    // Two ids for one name would give an account two counts of one name.
    if (!distinct_names.insert(name).second) return Fail(error, "name listed twice: " + name);
  }

  uint64_t account_count;
  if (!in.GetVarint(&account_count) || account_count > kMaxAccountsPerSection) {
    return Fail(error, "truncated or invalid section account count");
  }

  // Section name id -> name id in each target shard, filled on first use.
  constexpr uint32_t kUnmapped = std::numeric_limits<uint32_t>::max();
  std::unordered_map<AccountShard*, std::vector<uint32_t>> name_ids;
  std::vector<uint64_t> name_seen(name_count, 0);
  for (uint64_t number = 1; number <= account_count; ++number) {
    std::string id;
    AccountState state;
    if (!DecodeAccount(in, catalog, name_seen, number, &id, &state, error)) return false;

    AccountShard& shard = shard_for(id);
    std::vector<uint32_t>& mapping = name_ids[&shard];
    if (mapping.empty()) mapping.assign(name_count, kUnmapped);
    std::lock_guard lock(shard.mu);
    for (NameCount& entry : state.counts_) {
      uint32_t& mapped = mapping[entry.name_id];
      if (mapped == kUnmapped) mapped = shard.names_.Intern(names[entry.name_id]);
      entry.name_id = mapped;
    }
    info->newest_event_ms = std::max(info->newest_event_ms, state.last_seen_ms_);
    // TryEmplace leaves `id` intact when the account already exists.
    auto [account, added] = shard.accounts_.TryEmplace(id, StringHash{}(id), state);
    if (!added) return Fail(error, "account '" + id + "' listed twice");
    account->second.set_snapshot_generation(shard.snapshot_generation_);
    ++info->accounts;
  }
  return true;
}

}  // namespace uptake
