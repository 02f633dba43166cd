// Reloading the rules of the config file while the server runs, on SIGHUP
// or POST /v1/admin/reload.

#ifndef UPTAKE_SERVER_RULE_RELOADER_H_
#define UPTAKE_SERVER_RULE_RELOADER_H_

#include <mutex>
#include <string>

#include "config/config.h"
#include "metrics/aggregator.h"
#include "server/alert_recorder.h"
#include "server/clock.h"

namespace uptake {

struct ReloadResult {
  bool ok = false;
  std::string message;  // the config error, or what was applied
  size_t rules = 0;
  size_t alert_changes = 0;
};

// Thread-safe; reloads are serialized.
class RuleReloader {
 public:
  RuleReloader(const Config& running, Aggregator& aggregator, ServerClock& clock,
               AlertRecorder& recorder);

  // Reads the config file the server started with and, when it is valid,
  // swaps in its rules; open alerts of rules that remain keep their ids. A
  // file with any error, or one that changes the feature catalog or login
  // events (which shape stored aggregates and need a restart), leaves the
  // running rules as they were. Other changed settings are ignored and
  // logged.
  ReloadResult Reload();

 private:
  std::mutex mu_;
  Config running_;  // guarded by mu_
  Aggregator& aggregator_;
  ServerClock& clock_;
  AlertRecorder& recorder_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_RULE_RELOADER_H_
