// Persists alert changes and publishes them to stream subscribers.

#ifndef UPTAKE_SERVER_ALERT_RECORDER_H_
#define UPTAKE_SERVER_ALERT_RECORDER_H_

#include <span>

#include "metrics/alert.h"
#include "server/alert_hub.h"
#include "storage/store.h"

namespace uptake {

// Thread-safe: called from every ingest request and from the ticker.
class AlertRecorder {
 public:
  AlertRecorder(Store& store, AlertHub& hub) : store_(store), hub_(hub) {}

  // Writes each alert under its id, then publishes it. An alert whose write
  // fails is logged and still published: the aggregates already hold the
  // new state, and the next restart re-derives it from the event log.
  void Record(std::span<const Alert> alerts);

 private:
  Store& store_;
  AlertHub& hub_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_ALERT_RECORDER_H_
