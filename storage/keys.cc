#include "storage/keys.h"

namespace uptake {

void PutBigEndian64(std::string* dst, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    dst->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

uint64_t DecodeBigEndian64(const char* src) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value = (value << 8) | static_cast<uint8_t>(src[i]);
  }
  return value;
}

std::string SequenceKey(uint64_t sequence) {
  std::string key;
  PutBigEndian64(&key, sequence);
  return key;
}

std::string DedupKey(std::string_view write_key, std::string_view message_id) {
  std::string key;
  key.reserve(write_key.size() + 1 + message_id.size());
  key.append(write_key);
  key.push_back('\0');
  key.append(message_id);
  return key;
}

std::string AccountTraitPrefix(std::string_view account_id) {
  std::string prefix(account_id);
  prefix.push_back('\0');
  return prefix;
}

std::string AccountTraitKey(std::string_view account_id, std::string_view trait_key) {
  std::string key = AccountTraitPrefix(account_id);
  key.append(trait_key);
  return key;
}

bool UsableInStateKey(std::string_view id) {
  return !id.empty() && id.find('\0') == std::string_view::npos;
}

std::string_view AliasWritten(const Event& event) {
  std::string_view alias;
  if (event.type == EventType::kAlias) {
    alias = event.previous_id;
  } else if (event.type == EventType::kIdentify) {
    alias = event.anonymous_id;
  }
  if (!UsableInStateKey(alias) || !UsableInStateKey(event.user_id) || alias == event.user_id) {
    return {};
  }
  return alias;
}

bool WritesUserLink(const Event& event) {
  return event.type == EventType::kGroup && UsableInStateKey(event.group_id) &&
         !event.user_id.empty();
}

std::string UserLinkKey(std::string_view user_id) {
  std::string key("L\0", 2);
  key.append(user_id);
  return key;
}

std::string UserAliasKey(std::string_view alias) {
  std::string key("A\0", 2);
  key.append(alias);
  return key;
}

std::string UserTraitKey(std::string_view user_id, std::string_view trait_key) {
  std::string key("T\0", 2);
  key.append(user_id);
  key.push_back('\0');
  key.append(trait_key);
  return key;
}

std::string OutboxKey(std::string_view webhook, uint64_t seq) {
  std::string key(webhook);
  key.push_back('\0');
  PutBigEndian64(&key, seq);
  return key;
}

}  // namespace uptake
