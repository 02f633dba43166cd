// uptake-replay: posts GH Archive activity to an uptake server as Segment
// batches, treating each GitHub owner as a customer account.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bench/batch_sender.h"
#include "bench/command_line.h"
#include "bench/event_file.h"
#include "bench/gh_event.h"
#include "bench/http_client.h"
#include "bench/loopback_url.h"
#include "bench/replay_options.h"
#include "bench/segment_batch.h"

namespace uptake {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr size_t kMaxReasonsShown = 5;
constexpr int64_t kProgressEvery = 20000;
// Segment rejects requests over 500 KB. Flushing at 450 KB of items leaves
// room for the envelope and for the one event that crosses the mark.
constexpr size_t kMaxBatchItemBytes = 450 * 1024;

struct ReplayStats {
  int64_t files = 0;
  int64_t events_read = 0;
  int64_t lines_skipped = 0;
  int64_t sent = 0;
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t rejected = 0;
  int64_t requests = 0;
  int64_t retries = 0;
  std::vector<std::string> skip_reasons;    // the first kMaxReasonsShown
  std::vector<std::string> reject_reasons;  // the first kMaxReasonsShown
};

void KeepReason(std::string reason, std::vector<std::string>* reasons) {
  if (reasons->size() < kMaxReasonsShown) reasons->push_back(std::move(reason));
}

// Returns the earliest event time over all files, the base that
// --time-scale stretches from. Also checks that every file is readable
// before the first request, so a typo fails fast. Unparsable lines are
// skipped here and reported by the replay pass.
Result<int64_t> FindBaseTime(const std::vector<std::string>& paths) {
  int64_t base = std::numeric_limits<int64_t>::max();
  GhEventParser parser;
  for (const std::string& path : paths) {
    Result<EventFile> file = EventFile::Read(path);
    if (!file.ok()) return Result<int64_t>::Error(file.error());
    while (std::optional<EventLine> line = file.value().NextLine()) {
      Result<GhEvent> event = parser.Parse(line->text, line->readable_bytes);
      if (event.ok()) base = std::min(base, event.value().time_ms);
    }
  }
  if (base == std::numeric_limits<int64_t>::max()) {
    return Result<int64_t>::Error("no valid event in the input files");
  }
  return Result<int64_t>::Ok(base);
}

// Reads the files in order and sends their events batch by batch. Runs on
// one coroutine and is not thread-safe.
class Replayer {
 public:
  Replayer(const ReplayOptions& options, TimeScale time_scale, BatchSender* sender)
      : options_(options), time_scale_(time_scale), sender_(sender) {}

  // Returns false after the first failed request or unreadable file. The
  // reason is printed to stderr before.
  asio::awaitable<bool> Run() {
    for (const std::string& path : options_.files) {
      if (!co_await ReplayFile(path)) co_return false;
      if (LimitReached()) break;
    }
    co_return co_await Flush();
  }

  const ReplayStats& stats() const { return stats_; }

 private:
  bool LimitReached() const {
    return options_.limit >= 0 &&
           stats_.sent + static_cast<int64_t>(batch_.size()) >= options_.limit;
  }

  asio::awaitable<bool> ReplayFile(const std::string& path) {
    Result<EventFile> file = EventFile::Read(path);
    if (!file.ok()) {
      std::cerr << "uptake-replay: " << file.error() << "\n";
      co_return false;
    }
    ++stats_.files;

    while (!LimitReached()) {
      std::optional<EventLine> line = file.value().NextLine();
      if (!line) break;
      AddLine(path, *line);
      const bool full = static_cast<int64_t>(batch_.size()) >= options_.batch_size ||
                        batch_.item_bytes() >= kMaxBatchItemBytes;
      if (full && !co_await Flush()) co_return false;
    }
    co_return true;
  }

  void AddLine(const std::string& path, const EventLine& line) {
    Result<GhEvent> event = parser_.Parse(line.text, line.readable_bytes);
    if (!event.ok()) {
      ++stats_.lines_skipped;
      KeepReason(path + ":" + std::to_string(line.number) + ": " + event.error(),
                 &stats_.skip_reasons);
      return;
    }
    ++stats_.events_read;
    batch_.Add(event.value(), time_scale_.Apply(event.value().time_ms));
  }

  asio::awaitable<bool> Flush() {
    if (batch_.empty()) co_return true;
    Result<BatchResponse> response = co_await sender_->Send(batch_);
    stats_.requests = sender_->requests();
    stats_.retries = sender_->retries();
    if (!response.ok()) {
      std::cerr << "uptake-replay: batch of " << batch_.size() << " events starting with "
                << batch_.message_ids().front() << " failed: " << response.error() << "\n";
      co_return false;
    }

    RecordResponse(response.value());
    const int64_t before = stats_.sent;
    stats_.sent += static_cast<int64_t>(batch_.size());
    if (stats_.sent / kProgressEvery != before / kProgressEvery) {
      std::cerr << "uptake-replay: sent " << stats_.sent << " events\n";
    }
    batch_.Clear();
    co_return true;
  }

  void RecordResponse(const BatchResponse& response) {
    stats_.accepted += response.accepted;
    stats_.duplicates += response.duplicates;
    stats_.rejected += static_cast<int64_t>(response.rejected.size());
    for (const RejectedEvent& rejected : response.rejected) {
      const bool known =
          rejected.index >= 0 && rejected.index < static_cast<int64_t>(batch_.message_ids().size());
      const std::string id =
          known ? batch_.message_ids()[rejected.index] : "index " + std::to_string(rejected.index);
      KeepReason(id + ": " + rejected.error + ": " + rejected.message, &stats_.reject_reasons);
    }
  }

  const ReplayOptions& options_;
  const TimeScale time_scale_;
  BatchSender* const sender_;
  GhEventParser parser_;
  SegmentBatch batch_;
  ReplayStats stats_;
};

void PrintReasons(const char* title, const std::vector<std::string>& reasons) {
  if (reasons.empty()) return;
  std::printf("%s (first %zu):\n", title, reasons.size());
  for (const std::string& reason : reasons) std::printf("  %s\n", reason.c_str());
}

void PrintSummary(const ReplayStats& stats, double elapsed_seconds) {
  const double rate = elapsed_seconds > 0 ? static_cast<double>(stats.sent) / elapsed_seconds : 0;
  std::printf("files          %lld\n", static_cast<long long>(stats.files));
  std::printf("events read    %lld\n", static_cast<long long>(stats.events_read));
  std::printf("lines skipped  %lld\n", static_cast<long long>(stats.lines_skipped));
  std::printf("sent           %lld\n", static_cast<long long>(stats.sent));
  std::printf("accepted       %lld\n", static_cast<long long>(stats.accepted));
  std::printf("duplicates     %lld\n", static_cast<long long>(stats.duplicates));
  std::printf("rejected       %lld\n", static_cast<long long>(stats.rejected));
  std::printf("requests       %lld (%lld retries)\n", static_cast<long long>(stats.requests),
              static_cast<long long>(stats.retries));
  std::printf("elapsed        %.3f s\n", elapsed_seconds);
  std::printf("throughput     %.0f events/s\n", rate);
  PrintReasons("skipped lines", stats.skip_reasons);
  PrintReasons("rejected events", stats.reject_reasons);
}

int Main(int argc, char** argv) {
  Result<ReplayOptions> options = ParseReplayOptions(argc, argv);
  if (!options.ok()) {
    std::cerr << "uptake-replay: " << options.error() << "\n";
    return kExitUsage;
  }
  if (options.value().help) {
    std::fputs(ReplayUsage(), stdout);
    return 0;
  }
  const Clock::time_point deadline =
      Clock::now() + std::chrono::seconds(options.value().timeout_seconds);

  Result<LoopbackUrl> url = ParseLoopbackUrl(options.value().url, "http");
  asio::io_context io;
  Result<asio::ip::tcp::resolver::results_type> endpoints =
      url.ok() ? ResolveLoopback(io, url.value())
               : Result<asio::ip::tcp::resolver::results_type>::Error(url.error());
  if (!endpoints.ok()) {
    std::cerr << "uptake-replay: " << endpoints.error() << "\n";
    return kExitUsage;
  }

  Result<int64_t> base = FindBaseTime(options.value().files);
  if (!base.ok()) {
    std::cerr << "uptake-replay: " << base.error() << "\n";
    return kExitUsage;
  }

  HttpClient client(io, endpoints.value(), url.value().HostHeader());
  BatchSenderOptions sender_options;
  sender_options.authorization = BasicAuthorization(options.value().write_key);
  sender_options.request_timeout = std::chrono::seconds(options.value().request_timeout_seconds);
  sender_options.deadline = deadline;
  BatchSender sender(&client, sender_options);
  Replayer replayer(options.value(), TimeScale(base.value(), options.value().time_scale), &sender);

  bool succeeded = false;
  const Clock::time_point start = Clock::now();
  asio::co_spawn(io, replayer.Run(), [&](std::exception_ptr error, bool result) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::cerr << "uptake-replay: internal error: " << e.what() << "\n";
      }
    }
    succeeded = !error && result;
  });
  io.run();
  client.Close();

  const std::chrono::duration<double> elapsed = Clock::now() - start;
  PrintSummary(replayer.stats(), elapsed.count());
  return succeeded ? 0 : kExitFailure;
}

}  // namespace
}  // namespace uptake

int main(int argc, char** argv) { return uptake::FinishOutput(uptake::Main(argc, argv)); }
