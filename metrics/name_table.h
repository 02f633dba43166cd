// Interned event names, so each account stores a 32-bit id per name.

#ifndef UPTAKE_METRICS_NAME_TABLE_H_
#define UPTAKE_METRICS_NAME_TABLE_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace uptake {

// The name id of an event whose name is not in the shard's name table,
// because the table or the account had no room when the name came.
inline constexpr uint32_t kUncountedName = std::numeric_limits<uint32_t>::max();

// Bounds on the event names the aggregates count one by one. Event names
// are meant to be a product's fixed list of actions, but an SDK call that
// puts an id or a URL into the name would otherwise grow every account and
// every shard's table without end. Events past a bound still count in the
// account's totals, users, logins, features and days.
struct NameLimits {
  // Distinct names each account counts, besides the names rules count,
  // which are always counted.
  uint32_t per_account = 1000;
  // Distinct names in each shard's table, besides the rules' names.
  uint32_t per_shard = 10000;
};

// A lookup probe that carries its StringHash value, for a caller that has
// already hashed the text for another purpose and should not hash it again.
// `hash` must be std::hash<std::string_view> of `text`.
struct HashedKey {
  std::string_view text;
  size_t hash = 0;

  friend bool operator==(const HashedKey& key, std::string_view other) { return key.text == other; }
};

// Hashes std::string keys and string_view probes alike, so lookups by
// string_view do not allocate. A HashedKey probe brings its own hash.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  size_t operator()(const HashedKey& key) const { return key.hash; }
};

// Ids are dense and stable for the table's lifetime. Not thread-safe.
class NameTable {
 public:
  // Returns the id of `name`, adding it when new.
  uint32_t Intern(std::string_view name) {
    auto it = ids_.find(name);
    if (it != ids_.end()) {
      return it->second;
    }
    const auto id = static_cast<uint32_t>(names_.size());
    names_.emplace_back(name);
    ids_.emplace(names_.back(), id);
    return id;
  }

  // Returns the id of `name`, or kUncountedName when it was never added.
  uint32_t Find(std::string_view name) const {
    auto it = ids_.find(name);
    return it != ids_.end() ? it->second : kUncountedName;
  }

  const std::string& Name(uint32_t id) const { return names_[id]; }

  size_t size() const { return names_.size(); }

 private:
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> ids_;
  std::vector<std::string> names_;
};

}  // namespace uptake

#endif  // UPTAKE_METRICS_NAME_TABLE_H_
