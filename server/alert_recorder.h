// Persists alert changes, numbers them, and publishes them to stream
// subscribers.

#ifndef UPTAKE_SERVER_ALERT_RECORDER_H_
#define UPTAKE_SERVER_ALERT_RECORDER_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "metrics/alert.h"
#include "server/alert_hub.h"
#include "server/silence_registry.h"
#include "storage/store.h"

namespace uptake {

// Thread-safe: called from every ingest request and from the ticker.
class AlertRecorder {
 public:
  // Keeps the newest `retained_changes` entries of the change log, and
  // queues each change for the `webhooks` that want it unless one of
  // `silences` (none when null; must outlive the recorder) matches it.
  AlertRecorder(Store& store, AlertHub& hub, uint64_t retained_changes,
                std::vector<WebhookConfig> webhooks = {},
                const SilenceRegistry* silences = nullptr);

  // Continues numbering after the newest change in the store. Call once at
  // startup before Record.
  StorageStatus Recover();

  // Counts `alerts`, the open alerts restored at startup, in the state
  // gauges. Call once at startup before Record.
  void RestoreOpenAlerts(std::span<const std::pair<uint64_t, AlertState>> alerts);

  // Open alerts by state, kept up to date by Record, for the metrics
  // endpoint. Reading takes no lock.
  uint64_t pending_alerts() const { return pending_count_.load(std::memory_order_relaxed); }
  uint64_t firing_alerts() const { return firing_count_.load(std::memory_order_relaxed); }

  // Writes each alert and, for notified states (firing, resolved after
  // firing, acknowledged), a change with the next seq in the same batch,
  // then publishes the change. Pending alerts, and pending ones dropped
  // before firing, are stored but neither numbered nor published. A failed
  // write is logged and still published: the aggregates already hold the
  // new state, and the next restart re-derives it from the event log.
  void Record(std::span<const Alert> alerts);

  // A change that an active silence matches is stored, numbered and
  // published with "silenced_by": ID, but queued for no webhook, except a
  // "resolved" change, so a silenced alert still resolves where it is
  // watched.
  //
  // Records a change of kind `change` (for example "acknowledged") of
  // `alert`, whose EncodeAlert form is `alert_json`. Returns false when the
  // write fails.
  bool RecordEncoded(const Alert& alert, const std::string& alert_json, std::string_view change);

 private:
  Alert WithAcknowledgement(const Alert& alert);
  bool RecordLocked(const Alert& alert, const std::string& alert_json, std::string_view change);
  // Moves alert `id` to `state` in the open-alert counts. Needs mu_.
  void TrackStateLocked(uint64_t id, AlertState state);

  Store& store_;
  AlertHub& hub_;
  const uint64_t retained_changes_;
  const std::vector<WebhookConfig> webhooks_;
  const SilenceRegistry* const silences_;

  // Numbering, writing and publishing happen under one lock, so subscribers
  // see changes in seq order. Only alert changes take it, never events.
  std::mutex mu_;
  uint64_t next_seq_ = 1;                                 // guarded by mu_
  std::unordered_map<uint64_t, AlertState> open_states_;  // guarded by mu_; pending and firing only
  std::atomic<uint64_t> pending_count_{0};
  std::atomic<uint64_t> firing_count_{0};
};

// The change kind of an alert as Record numbers it: "fired", "escalated",
// "resolved", or "" for states that are not notified.
std::string_view ChangeKind(const Alert& alert);

}  // namespace uptake

#endif  // UPTAKE_SERVER_ALERT_RECORDER_H_
