// The product's feature catalog and the event names that count as a login.

#ifndef UPTAKE_METRICS_CATALOG_H_
#define UPTAKE_METRICS_CATALOG_H_

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "metrics/name_table.h"

namespace uptake {

struct FeatureDefinition {
  std::string id;                        // for example "Reports"
  std::vector<std::string> event_names;  // events that count as using it
};

// Maps event names to catalog features. Immutable after construction, so any
// thread may read it.
class Catalog {
 public:
  // At most this many features, so a feature set fits one 64-bit mask.
  static constexpr size_t kMaxFeatures = 64;

  Catalog() = default;

  // Features keep the order given; an event name listed under two features
  // maps to the first. Callers validate the size against kMaxFeatures.
  Catalog(std::vector<FeatureDefinition> features, std::vector<std::string> login_events);

  // Returns the index of the feature that `event_name` counts toward, or -1.
  int FeatureOf(std::string_view event_name) const;

  bool IsLogin(std::string_view event_name) const;

  // Returns the login event names, in no order.
  std::vector<std::string> LoginEvents() const {
    return std::vector<std::string>(login_events_.begin(), login_events_.end());
  }

  size_t size() const { return features_.size(); }
  const std::string& FeatureId(int index) const { return features_[index].id; }
  const std::vector<FeatureDefinition>& features() const { return features_; }

 private:
  std::vector<FeatureDefinition> features_;
  // Both are looked up by string_view for every event, so they take
  // transparent lookups that build no std::string.
  std::unordered_map<std::string, int, StringHash, std::equal_to<>> feature_by_event_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> login_events_;
};

}  // namespace uptake

#endif  // UPTAKE_METRICS_CATALOG_H_
