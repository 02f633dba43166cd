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

int Catalog::FeatureOf(std::string_view event_name) const {
  auto it = feature_by_event_.find(std::string(event_name));
  return it == feature_by_event_.end() ? -1 : it->second;
}

bool Catalog::IsLogin(std::string_view event_name) const {
  return login_events_.contains(std::string(event_name));
}

}  // namespace uptake
