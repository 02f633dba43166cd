#include "bench/load_source.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <limits>
#include <string_view>

#include "bench/event_file.h"
#include "bench/iso_time.h"
#include "bench/segment_batch.h"

namespace uptake {
namespace {

constexpr std::array<std::string_view, 8> kEventNames = {
    "Signed In",        "Report Viewed", "Report Created", "Message Sent",
    "Dashboard Viewed", "File Uploaded", "Invite Sent",    "Settings Changed"};

// Segment rejects requests over 500 KB, as uptake does by default. Replay
// batches end early at this many bytes of items, as in uptake-replay.
constexpr size_t kMaxBatchItemBytes = 450 * 1024;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsEventFile(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  return name.ends_with(".ndjson") || name.ends_with(".ndjson.gz");
}

}  // namespace

SyntheticSource::SyntheticSource(const BenchOptions& options, std::string run_id, uint64_t seed)
    : target_(options.single ? "/v1/track" : "/v1/batch"),
      single_(options.single),
      batch_(options.batch),
      event_bytes_(options.event_bytes),
      run_id_(std::move(run_id)),
      accounts_(options.accounts, options.zipf),
      users_(options.users, options.zipf),
      random_(seed) {}

void SyntheticSource::AppendEvent(const std::string& timestamp, std::string* out) {
  const size_t start = out->size();
  const std::string account = "acct-" + std::to_string(accounts_.Sample(random_));
  const std::string user = account + "-user-" + std::to_string(users_.Sample(random_));
  const int64_t number = next_message_++;

  out->append(R"({"type":"track","messageId":")");
  out->append(run_id_).append("-").append(std::to_string(number));
  out->append(R"(","userId":")").append(user);
  out->append(R"(","event":")")
      .append(kEventNames[static_cast<size_t>(number) % kEventNames.size()]);
  out->append(R"(","timestamp":")").append(timestamp);
  out->append(R"(","context":{"groupId":")").append(account);
  out->append(R"("},"properties":{"bench":true)");

  // The pad property brings the event close to --event-bytes. An event
  // already larger than that stays as it is.
  constexpr std::string_view kPadOpen = R"(,"pad":")";
  constexpr std::string_view kClose = R"("}})";
  const size_t written = out->size() - start + kPadOpen.size() + kClose.size();
  if (event_bytes_ > 0 && static_cast<size_t>(event_bytes_) > written) {
    out->append(kPadOpen);
    out->append(static_cast<size_t>(event_bytes_) - written, 'x');
    out->append(kClose);
  } else {
    out->append("}}");
  }
}

bool SyntheticSource::Next(RequestBody* body) {
  const std::string timestamp = FormatIsoTime(NowMs());
  body->json.clear();
  body->events = single_ ? 1 : batch_;
  if (single_) {
    AppendEvent(timestamp, &body->json);
    return true;
  }
  body->json.append(R"({"batch":[)");
  for (int64_t i = 0; i < batch_; ++i) {
    if (i > 0) body->json.push_back(',');
    AppendEvent(timestamp, &body->json);
  }
  body->json.append("]}");
  return true;
}

Result<ReplaySource> ReplaySource::Load(const BenchOptions& options, std::string run_id) {
  using Loaded = Result<ReplaySource>;
  std::error_code error;
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(options.replay_dir, error)) {
    if (entry.is_regular_file() && IsEventFile(entry.path())) paths.push_back(entry.path());
  }
  if (error) {
    return Loaded::Error("cannot read folder " + options.replay_dir + ": " + error.message());
  }
  if (paths.empty()) {
    return Loaded::Error("no *.ndjson or *.ndjson.gz file in " + options.replay_dir);
  }
  std::sort(paths.begin(), paths.end());

  ReplaySource source;
  GhEventParser parser;
  int64_t first_ms = std::numeric_limits<int64_t>::max();
  int64_t last_ms = std::numeric_limits<int64_t>::min();
  for (const auto& path : paths) {
    Result<EventFile> file = EventFile::Read(path.string());
    if (!file.ok()) return Loaded::Error(file.error());
    ++source.files_;
    while (std::optional<EventLine> line = file.value().NextLine()) {
      Result<GhEvent> event = parser.Parse(line->text, line->readable_bytes);
      if (!event.ok()) continue;  // uptake-replay reports such lines; the bench skips them
      first_ms = std::min(first_ms, event.value().time_ms);
      last_ms = std::max(last_ms, event.value().time_ms);
      source.events_.push_back(std::move(event.value()));
    }
  }
  if (source.events_.empty()) {
    return Loaded::Error("no valid GH Archive event in " + options.replay_dir);
  }

  constexpr int64_t kHourMs = 3600 * 1000;
  source.offset_ms_ = options.clone_offset_hours > 0 ? options.clone_offset_hours * kHourMs
                                                     : last_ms - first_ms + kHourMs;
  source.batch_ = options.batch;
  source.clones_ = options.clones;
  source.run_id_ = std::move(run_id);
  return Loaded::Ok(std::move(source));
}

bool ReplaySource::Next(RequestBody* body) {
  if (clone_ >= clones_) return false;

  SegmentBatch batch;
  std::string suffix;
  if (clone_ > 0) suffix.append("-").append(std::to_string(clone_));
  while (clone_ < clones_ && static_cast<int64_t>(batch.size()) < batch_ &&
         batch.item_bytes() < kMaxBatchItemBytes) {
    GhEvent event = events_[index_];
    event.id.append("-c").append(std::to_string(clone_)).append("-").append(run_id_);
    if (!suffix.empty()) {
      event.actor += suffix;
      if (!event.org.empty()) {
        event.org += suffix;
      } else {
        // The account is the repo owner, the part before the slash.
        const size_t slash = event.repo.find('/');
        event.repo.insert(slash == std::string::npos ? event.repo.size() : slash, suffix);
      }
    }
    batch.Add(event, event.time_ms + clone_ * offset_ms_);

    if (++index_ == events_.size()) {
      index_ = 0;
      ++clone_;
    }
  }
  body->json = batch.Body();
  body->events = static_cast<int64_t>(batch.size());
  return true;
}

}  // namespace uptake
