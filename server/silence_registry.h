// The silences in force: loaded from the store at startup, changed through
// the API, and checked for every notified alert change.

#ifndef UPTAKE_SERVER_SILENCE_REGISTRY_H_
#define UPTAKE_SERVER_SILENCE_REGISTRY_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "server/clock.h"
#include "server/silence.h"
#include "storage/store.h"

namespace uptake {

// The result of a change to the registry. On an ok status, `silence` is the
// stored silence, or nullopt when the id is unknown.
struct SilenceUpdate {
  StorageStatus status;
  std::optional<Silence> silence;
};

// Thread-safe. Keeps every silence in memory, expired ones too, because
// GET /v1/silences lists them all.
class SilenceRegistry {
 public:
  // "Now" is `clock`'s, so silences follow the event clock in replays.
  SilenceRegistry(Store& store, const ServerClock& clock) : store_(store), clock_(clock) {}

  // Reads the stored silences and continues ids after the newest. Call once
  // at startup. An unreadable record is logged and skipped.
  StorageStatus Load();

  // Assigns the next id and created_at (now) to `silence` and stores it.
  // Nothing changes when the write fails.
  SilenceUpdate Add(Silence silence);

  // Ends silence `id` now: ends_at becomes now, or starts_at for a silence
  // that has not started. An already ended silence keeps its ends_at.
  SilenceUpdate End(uint64_t id);

  // Returns every silence in id order.
  std::vector<Silence> List() const;

  // Returns the id of the oldest silence active now that matches the alert,
  // or 0 when none does.
  uint64_t Match(std::string_view rule, std::string_view account, std::string_view severity) const;

  int64_t Now() const { return clock_.Now(); }

 private:
  Store& store_;
  const ServerClock& clock_;

  // Writes happen under the lock, so the store and memory agree on ids.
  mutable std::mutex mu_;
  std::map<uint64_t, Silence> silences_;  // guarded by mu_
  uint64_t next_id_ = 1;                  // guarded by mu_
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_SILENCE_REGISTRY_H_
