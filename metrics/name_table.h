// Interned event names, so each account stores a 32-bit id per name.

#ifndef UPTAKE_METRICS_NAME_TABLE_H_
#define UPTAKE_METRICS_NAME_TABLE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace uptake {

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

  const std::string& Name(uint32_t id) const { return names_[id]; }

  size_t size() const { return names_.size(); }

 private:
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> ids_;
  std::vector<std::string> names_;
};

}  // namespace uptake

#endif  // UPTAKE_METRICS_NAME_TABLE_H_
