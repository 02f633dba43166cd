#include "server/rule_reloader.h"

#include <spdlog/spdlog.h>

#include <span>
#include <utility>
#include <vector>

namespace uptake {
namespace {

bool SameCatalog(const Config& a, const Config& b) {
  if (a.login_events != b.login_events || a.features.size() != b.features.size()) return false;
  for (size_t i = 0; i < a.features.size(); ++i) {
    if (a.features[i].id != b.features[i].id ||
        a.features[i].event_names != b.features[i].event_names) {
      return false;
    }
  }
  return true;
}

}  // namespace

RuleReloader::RuleReloader(const Config& running, Aggregator& aggregator, ServerClock& clock,
                           AlertRecorder& recorder)
    : running_(running), aggregator_(aggregator), clock_(clock), recorder_(recorder) {}

ReloadResult RuleReloader::Reload() {
  std::lock_guard<std::mutex> lock(mu_);
  ReloadResult result;
  if (running_.source_path.empty()) {
    result.message =
        "The server runs on built-in defaults (no --config), so there is no file "
        "to reload.";
    return result;
  }

  Config loaded;
  if (auto error = LoadConfigFile(running_.source_path, &loaded)) {
    result.message = error->ToString();
    spdlog::error("[reload] kept the running rules: {}", result.message);
    return result;
  }
  if (!SameCatalog(running_, loaded)) {
    result.message = "features or login_events changed in " + running_.source_path +
                     "; they shape stored aggregates, so restart the server to apply them.";
    spdlog::error("[reload] kept the running rules: {}", result.message);
    return result;
  }

  // Each shard's changes are recorded before the shard takes ingest again,
  // so a change that ingest computes later on the same alert is recorded
  // after them. Neither the recorder nor the stream sessions and webhook
  // dispatcher it publishes to call the aggregator, so holding a shard lock
  // here cannot deadlock. NOTE: nothing enforces that; a change that makes
  // one of them call the aggregator must move this recording out of the lock.
  // NOTE: ingest on the shard also waits for these store writes, one per
  // change, which for a reload that changes many alerts can exceed the
  // shard's evaluation time.
  const std::vector<Alert> changes =
      aggregator_.ReplaceRules(loaded.rules, clock_.Now(), [this](std::span<const Alert> step) {
        if (!step.empty()) recorder_.Record(step);
      });
  running_.rules = loaded.rules;

  result.ok = true;
  result.rules = loaded.rules.size();
  result.alert_changes = changes.size();
  result.message = "Reloaded " + std::to_string(result.rules) + " rules from " +
                   running_.source_path + "; settings other than rules apply on restart.";
  spdlog::info("[reload] {} rules from {}; {} alert changes", result.rules, running_.source_path,
               result.alert_changes);
  return result;
}

}  // namespace uptake
