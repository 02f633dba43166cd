// Request bodies for uptake-bench: synthetic track events with Zipf-skewed
// accounts and users, or real GH Archive events replayed in clones.

#ifndef UPTAKE_BENCH_LOAD_SOURCE_H_
#define UPTAKE_BENCH_LOAD_SOURCE_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_options.h"
#include "bench/gh_event.h"
#include "bench/result.h"
#include "bench/zipf_sampler.h"

namespace uptake {

struct RequestBody {
  std::string json;
  int64_t events = 0;
};

// Produces the body of each request in turn. Used from one thread.
class LoadSource {
 public:
  virtual ~LoadSource() = default;

  // Fills `body` with the next request. Returns false when the source has
  // no more events; synthetic sources never run out.
  virtual bool Next(RequestBody* body) = 0;

  // The request target, "/v1/batch" or "/v1/track".
  virtual const std::string& target() const = 0;
};

// Synthetic track events. Each messageId is "<run id>-<n>" with a counter
// n, so no event of this run or of another run is a duplicate. The account
// is "acct-<rank>" and the user "acct-<rank>-user-<rank>", both drawn from
// Zipf samplers, and the event name cycles over eight product actions.
class SyntheticSource : public LoadSource {
 public:
  SyntheticSource(const BenchOptions& options, std::string run_id, uint64_t seed);

  bool Next(RequestBody* body) override;
  const std::string& target() const override { return target_; }

  // Appends one track event, stamped `timestamp` (ISO 8601). Public for tests.
  void AppendEvent(const std::string& timestamp, std::string* out);

 private:
  const std::string target_;
  const bool single_;
  const int64_t batch_;
  const int64_t event_bytes_;
  const std::string run_id_;
  ZipfSampler accounts_;
  ZipfSampler users_;
  std::mt19937_64 random_;
  int64_t next_message_ = 0;
};

// Real GH Archive events from every *.ndjson and *.ndjson.gz file of a
// folder, mapped to track calls as uptake-replay maps them, sent `clones`
// times. Copy 0 keeps the real ids. Copy k >= 1 appends "-k" to the account
// and the user and shifts every time by k * offset. Every messageId ends
// with the copy and the run id, so nothing is deduplicated.
class ReplaySource : public LoadSource {
 public:
  // Reads and parses all files. Returns an error naming the folder or file
  // when it cannot be read or holds no valid event.
  static Result<ReplaySource> Load(const BenchOptions& options, std::string run_id);

  bool Next(RequestBody* body) override;
  const std::string& target() const override { return target_; }

  int64_t total_events() const { return static_cast<int64_t>(events_.size()) * clones_; }
  int64_t files() const { return files_; }
  int64_t offset_ms() const { return offset_ms_; }

 private:
  ReplaySource() = default;

  std::string target_ = "/v1/batch";
  std::vector<GhEvent> events_;
  int64_t files_ = 0;
  int64_t batch_ = 0;
  int64_t clones_ = 1;
  int64_t offset_ms_ = 0;
  std::string run_id_;
  int64_t clone_ = 0;
  size_t index_ = 0;
};

}  // namespace uptake

#endif  // UPTAKE_BENCH_LOAD_SOURCE_H_
