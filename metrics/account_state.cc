#include "metrics/account_state.h"

#include <algorithm>
#include <functional>
#include <string_view>

#include "proto/time.h"

namespace uptake {

namespace {

// Users and features keep 32-bit Unix seconds to stay small. The clamp keeps
// a time outside 1970..2106 from wrapping.
uint32_t ToUnixSeconds(int64_t ms) {
  int64_t seconds = std::clamp<int64_t>(ms / 1000, 0, std::numeric_limits<uint32_t>::max());
  return static_cast<uint32_t>(seconds);
}

}  // namespace

void AccountState::Prefetch() const {
  __builtin_prefetch(counts_.data());
  __builtin_prefetch(features_.data());
  days_.Prefetch();
  // AddUser searches the users in halves. A short list is fetched whole;
  // of a longer one, the lines its first three halvings read.
  constexpr size_t kLine = 64;
  constexpr size_t kWholeList = 4 * kLine;
  const char* bytes = reinterpret_cast<const char*>(users_.data());
  const size_t size = users_.size() * sizeof(UserActivity);
  if (size <= kWholeList) {
    for (size_t offset = 0; offset < size; offset += kLine) __builtin_prefetch(bytes + offset);
  } else {
    for (size_t eighth = 1; eighth < 8; ++eighth) __builtin_prefetch(bytes + size * eighth / 8);
  }
}

bool AccountState::Add(const Event& event, const EventFacts& facts) {
  const int64_t ms = event.timestamp_ms;
  first_seen_ms_ = std::min(first_seen_ms_, ms);
  last_seen_ms_ = std::max(last_seen_ms_, ms);
  ++event_count_;
  if (facts.login) {
    last_login_ms_ = std::max(last_login_ms_, ms);
  }
  if (event.created_at_ms.has_value()) {
    AddCreatedAt(*event.created_at_ms, ms);
  }
  if (event.account_traits.has_value()) {
    if (!traits_) traits_ = std::make_unique<MergedTraits>();
    traits_->Merge(*event.account_traits);
  }

  const bool counted = AddName(facts.name_id, facts.max_names);
  if (!event.user_id.empty()) {
    AddUser(std::hash<std::string_view>{}(event.user_id), ToUnixSeconds(ms));
  }
  if (facts.feature >= 0) {
    AddFeature(facts.feature, ToUnixSeconds(ms));
  }
  days_.Add(UtcDay(ms), facts.login);
  return counted;
}

void AccountState::AddCreatedAt(int64_t created_at_ms, int64_t event_ms) {
  // Traits merge by event time, so a replayed or late group call with an
  // older time must not override a newer one. Equal times take the later arrival.
  if (has_created_at_ && event_ms < created_at_event_ms_) {
    return;
  }
  has_created_at_ = true;
  created_at_ms_ = created_at_ms;
  created_at_event_ms_ = event_ms;
}

bool AccountState::AddName(uint32_t name_id, uint32_t max_names) {
  for (NameCount& entry : counts_) {
    if (entry.name_id == name_id) {
      entry.count += entry.count < std::numeric_limits<uint32_t>::max() ? 1 : 0;
      return true;
    }
  }
  if (name_id == kUncountedName || counts_.size() >= max_names) return false;
  counts_.push_back({name_id, 1});
  return true;
}

void AccountState::AddUser(uint64_t user_hash, uint32_t event_s) {
  auto it = std::lower_bound(
      users_.begin(), users_.end(), user_hash,
      [](const UserActivity& user, uint64_t hash) { return user.user_hash < hash; });
  if (it != users_.end() && it->user_hash == user_hash) {
    it->last_active_s = std::max(it->last_active_s, event_s);
    return;
  }
  users_.insert(it, {user_hash, event_s});
}

void AccountState::AddFeature(int feature, uint32_t event_s) {
  for (FeatureUse& use : features_) {
    if (use.feature == feature) {
      use.first_use_s = std::min(use.first_use_s, event_s);
      return;
    }
  }
  features_.push_back({static_cast<uint8_t>(feature), event_s});
}

int64_t AccountState::CountOf(uint32_t name_id) const {
  for (const NameCount& entry : counts_) {
    if (entry.name_id == name_id) {
      return entry.count;
    }
  }
  return 0;
}

uint64_t AccountState::FeaturesUsedBefore(int64_t limit_ms) const {
  uint64_t mask = 0;
  for (const FeatureUse& use : features_) {
    // NOTE: first use is kept in whole seconds, so an event in the same
    // second as the limit but after it still counts as inside the window.
    if (int64_t{use.first_use_s} * 1000 < limit_ms) {
      mask |= uint64_t{1} << use.feature;
    }
  }
  return mask;
}

int64_t AccountState::LoginsBetween(int64_t first_day, int64_t last_day) const {
  return days_.LoginsBetween(first_day, last_day);
}

int64_t AccountState::UsersActiveSince(int64_t since_ms) const {
  int64_t active = 0;
  for (const UserActivity& user : users_) {
    if (int64_t{user.last_active_s} * 1000 >= since_ms) {
      ++active;
    }
  }
  return active;
}

OpenAlert* AccountState::FindOpenAlert(uint32_t rule_index) {
  for (OpenAlert& alert : open_alerts_) {
    if (alert.rule_index == rule_index) {
      return &alert;
    }
  }
  return nullptr;
}

}  // namespace uptake
