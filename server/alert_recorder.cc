#include "server/alert_recorder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <string>

#include "proto/answers.h"
#include "server/webhook_outbox.h"

namespace uptake {
namespace {

// The change log is trimmed once per this many changes (or per retained
// count, when that is smaller), not on every one.
constexpr uint64_t kTrimInterval = 1024;

std::string ChangeJson(uint64_t seq, std::string_view change, uint64_t silenced_by,
                       const std::string& alert_json) {
  // The alert object with "seq", "change" and, when silenced, "silenced_by"
  // in front, so a stream reader finds every alert field at the top level.
  std::string json = "{\"seq\":" + std::to_string(seq) + ",\"change\":\"";
  json.append(change);
  json.append("\",");
  if (silenced_by != 0) json.append("\"silenced_by\":" + std::to_string(silenced_by) + ",");
  json.append(alert_json, 1, std::string::npos);
  return json;
}

}  // namespace

std::string_view ChangeKind(const Alert& alert) {
  switch (alert.state) {
    case AlertState::kFiring:
      // The aggregator returns a firing alert again only when it escalates,
      // and never at the time it fired.
      if (alert.escalated_at_ms != 0 && alert.escalated_at_ms == alert.updated_at_ms &&
          alert.escalated_at_ms != alert.fired_at_ms) {
        return "escalated";
      }
      return "fired";
    case AlertState::kResolved:
      // A pending alert dropped before it fired was never notified.
      return alert.fired_at_ms != 0 ? "resolved" : "";
    case AlertState::kPending:
      return "";
  }
  return "";
}

Alert AlertRecorder::WithAcknowledgement(const Alert& alert) {
  // The aggregator does not track acknowledgements, so the one stored on
  // the alert is carried into its later changes (resolved, mostly).
  if (alert.state == AlertState::kPending) return alert;
  std::optional<std::string> stored;
  if (!store_.GetAlert(alert.id, &stored).ok() || !stored) return alert;
  std::optional<Alert> previous = DecodeAlert(*stored);
  if (!previous || previous->acknowledged_by.empty()) return alert;

  Alert merged = alert;
  merged.acknowledged_by = previous->acknowledged_by;
  merged.acknowledgement_comment = previous->acknowledgement_comment;
  merged.acknowledged_at_ms = previous->acknowledged_at_ms;
  return merged;
}

AlertRecorder::AlertRecorder(Store& store, AlertHub& hub, uint64_t retained_changes,
                             std::vector<WebhookConfig> webhooks, const SilenceRegistry* silences)
    : store_(store),
      hub_(hub),
      retained_changes_(retained_changes),
      webhooks_(std::move(webhooks)),
      silences_(silences) {}

StorageStatus AlertRecorder::Recover() {
  uint64_t oldest = 0;
  uint64_t newest = 0;
  StorageStatus status = store_.AlertChangeBounds(&oldest, &newest);
  if (!status.ok()) return status;
  std::lock_guard<std::mutex> lock(mu_);
  next_seq_ = newest + 1;
  return status;
}

void AlertRecorder::RestoreOpenAlerts(std::span<const std::pair<uint64_t, AlertState>> alerts) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, state] : alerts) TrackStateLocked(id, state);
}

void AlertRecorder::TrackStateLocked(uint64_t id, AlertState state) {
  auto counter_of = [this](AlertState of) -> std::atomic<uint64_t>* {
    if (of == AlertState::kPending) return &pending_count_;
    if (of == AlertState::kFiring) return &firing_count_;
    return nullptr;
  };
  auto it = open_states_.find(id);
  if (it != open_states_.end()) {
    if (it->second == state) return;
    counter_of(it->second)->fetch_sub(1, std::memory_order_relaxed);
    open_states_.erase(it);
  }
  if (std::atomic<uint64_t>* counter = counter_of(state)) {
    counter->fetch_add(1, std::memory_order_relaxed);
    open_states_.emplace(id, state);
  }
}

void AlertRecorder::Record(std::span<const Alert> alerts) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Alert& computed : alerts) {
    TrackStateLocked(computed.id, computed.state);
    const Alert alert = WithAcknowledgement(computed);
    std::string json = EncodeAlert(alert);
    std::string_view change = ChangeKind(alert);
    if (change.empty()) {
      StorageStatus status = store_.PutAlert(alert.id, json);
      if (!status.ok()) {
        spdlog::error("[alert {}] [account {}] failed to store alert: {}", alert.id,
                      alert.account_id, status.message());
      }
      continue;
    }
    spdlog::info("[alert {}] [account {}] {} {}: {}", alert.id, alert.account_id, change,
                 alert.rule, alert.summary);
    RecordLocked(alert, json, change);
  }
}

bool AlertRecorder::RecordEncoded(const Alert& alert, const std::string& alert_json,
                                  std::string_view change) {
  std::lock_guard<std::mutex> lock(mu_);
  return RecordLocked(alert, alert_json, change);
}

bool AlertRecorder::RecordLocked(const Alert& alert, const std::string& alert_json,
                                 std::string_view change) {
  const uint64_t alert_id = alert.id;
  const std::string& account_id = alert.account_id;
  const uint64_t silenced_by =
      silences_ ? silences_->Match(alert.rule, account_id, SeverityName(alert.severity)) : 0;
  const uint64_t seq = next_seq_++;
  auto entry = std::make_shared<AlertChange>(
      MakeAlertChange(seq, ChangeJson(seq, change, silenced_by, alert_json), alert));
  entry->route_webhooks = RouteTargets(alert, change);

  // A silenced alert still resolves for the webhooks whose notify list
  // includes resolved, so no receiver keeps an alert open that has ended.
  std::vector<OutboxEntry> outbox;
  if (silenced_by == 0 || change == "resolved") {
    outbox = OutboxEntriesFor(webhooks_, *entry, change);
  } else {
    spdlog::info("[alert {}] [account {}] change {} silenced by silence {}; no webhook is sent",
                 alert_id, account_id, entry->seq, silenced_by);
  }
  StorageStatus status =
      store_.RecordAlertChange(entry->seq, alert_id, alert_json, entry->json, outbox);
  const bool stored = status.ok();
  if (!stored) {
    spdlog::error("[alert {}] [account {}] failed to store change {}: {}", alert_id, account_id,
                  entry->seq, status.message());
  }
  const uint64_t trim_every = std::min(kTrimInterval, retained_changes_);
  if (entry->seq % trim_every == 0 && entry->seq > retained_changes_) {
    status = store_.TrimAlertChanges(entry->seq - retained_changes_ + 1);
    if (!status.ok()) spdlog::warn("[alerts] trimming the change log failed: {}", status.message());
  }
  hub_.Publish(std::move(entry));
  return stored;
}

}  // namespace uptake
