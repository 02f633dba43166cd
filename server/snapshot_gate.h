// The lock that lets an aggregate snapshot see exactly the events committed
// before it: ingest holds it shared from commit to aggregation, the
// snapshot takes it exclusively.

#ifndef UPTAKE_SERVER_SNAPSHOT_GATE_H_
#define UPTAKE_SERVER_SNAPSHOT_GATE_H_

#include <mutex>
#include <shared_mutex>

namespace uptake {

// A reader-writer lock in which a waiting writer stops new readers, so a
// steady stream of ingest requests cannot starve the snapshot (glibc's
// rwlock, behind std::shared_mutex, prefers readers). Readers pass through
// a plain mutex on the way in, which the writer holds while it waits.
class SnapshotGate {
 public:
  // Held by one ingest request across its commit and aggregation.
  class ReaderLock {
   public:
    explicit ReaderLock(SnapshotGate* gate) {
      if (gate == nullptr) return;
      { std::lock_guard turnstile(gate->turnstile_); }
      lock_ = std::shared_lock(gate->lock_);
    }

   private:
    std::shared_lock<std::shared_mutex> lock_;
  };

  // Held by the snapshot while it reads the log position and marks the
  // aggregator's shards as owed to it (Aggregator::BeginSnapshot).
  class WriterLock {
   public:
    explicit WriterLock(SnapshotGate& gate) : turnstile_(gate.turnstile_), lock_(gate.lock_) {}

   private:
    std::lock_guard<std::mutex> turnstile_;
    std::unique_lock<std::shared_mutex> lock_;
  };

 private:
  std::mutex turnstile_;
  std::shared_mutex lock_;
};

}  // namespace uptake

#endif  // UPTAKE_SERVER_SNAPSHOT_GATE_H_
