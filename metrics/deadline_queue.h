// A min-heap of account due times with lazy invalidation.

#ifndef UPTAKE_METRICS_DEADLINE_QUEUE_H_
#define UPTAKE_METRICS_DEADLINE_QUEUE_H_

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace uptake {

// Entries are never removed when an account's due time changes. The owner
// pushes a new entry and, on pop, compares the entry's due time with the
// account's current one to skip stale entries.
template <typename Account>
class DeadlineQueue {
 public:
  struct Entry {
    int64_t due_ms;
    Account* account;  // owned by the shard's account table, never erased
  };

  void Push(int64_t due_ms, Account* account) { heap_.push({due_ms, account}); }

  bool HasDue(int64_t now_ms) const { return !heap_.empty() && heap_.top().due_ms <= now_ms; }

  // Removes and returns the earliest entry. Requires HasDue().
  Entry Pop() {
    Entry entry = heap_.top();
    heap_.pop();
    return entry;
  }

  size_t size() const { return heap_.size(); }

 private:
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const { return a.due_ms > b.due_ms; }
  };

  std::priority_queue<Entry, std::vector<Entry>, Later> heap_;
};

}  // namespace uptake

#endif  // UPTAKE_METRICS_DEADLINE_QUEUE_H_
