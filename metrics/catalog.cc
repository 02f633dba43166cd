#include "metrics/catalog.h"

#include <utility>

namespace uptake {

Catalog::Catalog(std::vector<FeatureDefinition> features, std::vector<std::string> login_events)
    : features_(std::move(features)),
      login_events_(std::make_move_iterator(login_events.begin()),
                    std::make_move_iterator(login_events.end())) {
  for (size_t i = 0; i < features_.size(); ++i) {
    for (const std::string& name : features_[i].event_names) {
      // emplace keeps an existing entry, so a name listed twice stays with the first feature.
      feature_by_event_.emplace(name, static_cast<int>(i));
    }
  }
}

namespace {

// Up to this many names, comparing the name with each costs less than
// hashing it, since most comparisons stop at the length. The default login
// list has three names, and many configurations no catalog.
constexpr size_t kMaxScannedNames = 8;

}  // namespace

int Catalog::FeatureOf(std::string_view event_name) const {
  if (feature_by_event_.size() <= kMaxScannedNames) {
    for (const auto& [name, feature] : feature_by_event_) {
      if (name == event_name) return feature;
    }
    return -1;
  }
  auto it = feature_by_event_.find(event_name);
  return it == feature_by_event_.end() ? -1 : it->second;
}

bool Catalog::IsLogin(std::string_view event_name) const {
  if (login_events_.size() <= kMaxScannedNames) {
    for (const std::string& name : login_events_) {
      if (name == event_name) return true;
    }
    return false;
  }
  return login_events_.contains(event_name);
}

}  // namespace uptake
