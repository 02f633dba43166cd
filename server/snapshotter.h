// Aggregate snapshots for fast restarts: written by a background thread and
// at a graceful stop, loaded at startup before the tail of the event log
// is replayed.

#ifndef UPTAKE_SERVER_SNAPSHOTTER_H_
#define UPTAKE_SERVER_SNAPSHOTTER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "metrics/aggregator.h"
#include "server/snapshot_gate.h"
#include "storage/snapshot_files.h"
#include "storage/store.h"

namespace uptake {

// Loads the newest snapshot in `files` that reads back intact and matches
// the aggregator's catalog into `aggregator`, which must have no accounts.
// Older snapshots are tried when a newer one fails. Each failure is logged
// with its reason; a failed load leaves `aggregator` replaced by a new,
// empty one built by `make_aggregator`. Returns the loaded snapshot's
// info, or nullopt when none loaded.
std::optional<SnapshotInfo> LoadNewestSnapshot(
    const SnapshotFiles& files, std::unique_ptr<Aggregator>& aggregator,
    const std::function<std::unique_ptr<Aggregator>()>& make_aggregator);

// Writes snapshots of `aggregator` to `files`. TakeIfDue and the
// background thread may run at once; a mutex serializes the writes.
class Snapshotter {
 public:
  // `covered_position` is the log position the newest snapshot on disk
  // covers (0 without one), so the first periodic check counts the events
  // replayed at startup too.
  Snapshotter(Store& store, const Aggregator& aggregator, SnapshotGate& gate, SnapshotFiles& files,
              uint64_t covered_position);
  ~Snapshotter();

  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  // Starts a thread that calls TakeIfDue(min_events) every `interval`.
  void Start(std::chrono::seconds interval, uint64_t min_events);

  // Stops and joins the thread; a snapshot in progress finishes first.
  void Stop();

  // Writes a snapshot when at least `min_events` events were logged since
  // the last one. `reason` is logged. Returns false when the write failed
  // (logged); true otherwise, also when no snapshot was due.
  bool TakeIfDue(uint64_t min_events, const char* reason);

 private:
  void Run(std::chrono::seconds interval, uint64_t min_events);

  Store& store_;
  const Aggregator& aggregator_;
  SnapshotGate& gate_;
  SnapshotFiles& files_;

  std::mutex write_mu_;  // serializes TakeIfDue
  uint64_t covered_position_;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_SNAPSHOTTER_H_
