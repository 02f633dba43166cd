#include "server/silence_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "proto/time.h"

namespace uptake {

StorageStatus SilenceRegistry::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  StorageStatus status = store_.ForEachSilence([this](uint64_t id, std::string_view json) {
    // Ids continue after an unreadable record too, so none is reused.
    next_id_ = std::max(next_id_, id + 1);
    std::optional<Silence> silence = DecodeSilence(json);
    if (!silence || silence->id != id) {
      spdlog::warn("[startup] [silence {}] stored silence is unreadable; skipped", id);
      return;
    }
    silences_[id] = std::move(*silence);
  });
  if (status.ok()) spdlog::info("[startup] loaded {} silences", silences_.size());
  return status;
}

SilenceUpdate SilenceRegistry::Add(Silence silence) {
  std::lock_guard<std::mutex> lock(mu_);
  silence.id = next_id_;
  silence.created_at_ms = clock_.Now();
  StorageStatus status = store_.PutSilence(silence.id, EncodeSilence(silence, std::nullopt));
  if (!status.ok()) {
    spdlog::error("[silence {}] failed to store new silence: {}", silence.id, status.message());
    return SilenceUpdate{std::move(status), std::nullopt};
  }

  ++next_id_;
  silences_[silence.id] = silence;
  spdlog::info("[silence {}] created by {} until {}: rule '{}' account '{}' severity '{}'",
               silence.id, silence.author, FormatIso8601Ms(silence.ends_at_ms), silence.rule,
               silence.account, silence.severity);
  return SilenceUpdate{std::move(status), std::move(silence)};
}

SilenceUpdate SilenceRegistry::End(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return SilenceUpdate{StorageStatus::Ok(), std::nullopt};

  // A silence that has not started ends at its start, so ends_at never
  // precedes starts_at.
  Silence ended = it->second;
  const int64_t now = clock_.Now();
  ended.ends_at_ms = std::min(ended.ends_at_ms, std::max(now, ended.starts_at_ms));
  StorageStatus status = store_.PutSilence(id, EncodeSilence(ended, std::nullopt));
  if (!status.ok()) {
    spdlog::error("[silence {}] failed to store its end: {}", id, status.message());
    return SilenceUpdate{std::move(status), std::nullopt};
  }

  it->second = ended;
  spdlog::info("[silence {}] ended", id);
  return SilenceUpdate{std::move(status), std::move(ended)};
}

std::vector<Silence> SilenceRegistry::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Silence> silences;
  silences.reserve(silences_.size());
  for (const auto& [id, silence] : silences_) silences.push_back(silence);
  return silences;
}

uint64_t SilenceRegistry::Match(std::string_view rule, std::string_view account,
                                std::string_view severity) const {
  const int64_t now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  // NOTE: a linear scan over every silence ever created, because expired
  // ones are never dropped, so each change costs more as silences pile up.
  for (const auto& [id, silence] : silences_) {
    if (silence.ActiveAt(now) && silence.Matches(rule, account, severity)) return id;
  }
  return 0;
}

}  // namespace uptake
