#include "server/ingest_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <unordered_map>
#include <utility>

#include "proto/account_traits.h"
#include "proto/answers.h"
#include "proto/body.h"
#include "server/ingest_families.h"

namespace uptake {
namespace {

// How long a client should wait before retrying after a storage failure.
constexpr char kStorageRetryAfterSeconds[] = "5";

// Maximum number of events in one coalesced store commit. A single request
// with more is still committed whole.
constexpr size_t kMaxCoalescedEvents = 8192;

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Decodes standard base64 with optional padding. Returns nullopt on any
// character outside the alphabet.
std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int bit_count = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      value = c - '0' + 52;
    } else if (c == '+' || c == '-') {
      value = 62;
    } else if (c == '/' || c == '_') {
      value = 63;
    } else if (c == '=') {
      break;
    } else {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xff));
    }
  }
  return out;
}

// "12" or "0.5": the rate as configured, without trailing zeros.
std::string FormatRate(double rate) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", rate);
  return text;
}

RequestError UnknownKey(std::string message) {
  return RequestError{401, "invalid_write_key", std::move(message)};
}

RequestError StorageUnavailable() {
  return RequestError{503, "storage_unavailable",
                      "Storage is unavailable; nothing was stored. Retry later."};
}

HttpAnswer StorageUnavailableAnswer(IngestFamily family) {
  HttpAnswer answer = FamilyErrorAnswer(family, StorageUnavailable());
  answer.headers.emplace_back("Retry-After", kStorageRetryAfterSeconds);
  return answer;
}

}  // namespace

HeaderCredentials CredentialsFromAuthorization(std::string_view authorization) {
  authorization = Trim(authorization);
  if (StartsWithNoCase(authorization, "basic ")) {
    std::optional<std::string> decoded = DecodeBase64(Trim(authorization.substr(6)));
    if (!decoded) return {};
    std::string key = decoded->substr(0, decoded->find(':'));
    return {std::move(key), /*bearer=*/false};
  }
  if (StartsWithNoCase(authorization, "bearer ")) {
    return {std::string(Trim(authorization.substr(7))), /*bearer=*/true};
  }
  return {};
}

std::optional<RequestError> SingleEventError(const ParsedRequest& parsed) {
  if (!parsed.single_event || !parsed.events.empty() || parsed.rejected.size() != 1) {
    return std::nullopt;
  }
  const EventRejection& rejection = parsed.rejected.front();
  return RequestError{400, rejection.code, rejection.message};
}

EventFamily EventFamilyOf(IngestFamily family) {
  switch (family) {
    case IngestFamily::kSegment:
      return EventFamily::kSegment;
    case IngestFamily::kAmplitude:
      return EventFamily::kAmplitude;
    case IngestFamily::kMixpanel:
      return EventFamily::kMixpanel;
    case IngestFamily::kPostHog:
    case IngestFamily::kPostHogOrAmplitude:
      return EventFamily::kPostHog;
  }
  return EventFamily::kSegment;
}

IngestService::IngestService(const Config& config, Store& store, Aggregator& aggregator,
                             ServerClock& clock, AlertRecorder& recorder,
                             SnapshotGate* snapshot_gate, ServerMetrics* metrics)
    : limits_(config.limits),
      write_keys_(config.write_keys),
      rate_limiter_(config),
      group_type_(config.group_type),
      mixpanel_account_property_(config.mixpanel_account_property),
      store_(store),
      aggregator_(aggregator),
      clock_(clock),
      recorder_(recorder),
      snapshot_gate_(snapshot_gate),
      metrics_(metrics) {}

bool IngestService::IsWriteKey(std::string_view key) const {
  return write_keys_.Find(key).has_value();
}

std::optional<RequestError> IngestService::CheckRateLimit(const std::string& write_key,
                                                          const ParsedRequest& parsed,
                                                          int64_t* retry_after_seconds) {
  const size_t events = parsed.events.size() + parsed.rejected.size();
  const int64_t wait = rate_limiter_.Acquire(write_key, events);
  if (wait == 0) return std::nullopt;
  *retry_after_seconds = wait;
  const RateLimit limit = rate_limiter_.LimitOf(write_key);
  // The message names the limit, never the key.
  return RequestError{429, "rate_limited",
                      "The write key's rate limit of " + FormatRate(limit.rate_per_second) +
                          " events per second (burst " + std::to_string(limit.burst) +
                          ") is spent; nothing was stored. Retry after " + std::to_string(wait) +
                          " s."};
}

std::optional<HttpAnswer> IngestService::Prepare(IngestRequest& request, PreparedCommit* prepared) {
  // Basic credentials are checked before the body is decoded, so a client
  // with a wrong key costs no parsing. Bearer callers and the PostHog,
  // Amplitude and Mixpanel SDKs put the key in the body, so theirs is
  // checked after parsing.
  HeaderCredentials header = CredentialsFromAuthorization(request.authorization);
  const bool basic_key = !header.key.empty() && !header.bearer;
  if (basic_key && !IsWriteKey(header.key)) {
    return FamilyErrorAnswer(request.family, UnknownKey("The write key in the Authorization "
                                                        "header is not configured."));
  }

  FamilyParse decoded =
      DecodeAndParse(request, limits_, FamilyOptions{group_type_, mixpanel_account_property_});
  if (decoded.parsed.error) return FamilyErrorAnswer(decoded.family, *decoded.parsed.error);

  std::string write_key;
  if (basic_key) {
    write_key = std::move(header.key);
  } else if (!decoded.parsed.body_write_key.empty()) {
    write_key = std::move(decoded.parsed.body_write_key);
  } else {
    write_key = std::move(header.key);
  }
  if (write_key.empty()) {
    return FamilyErrorAnswer(decoded.family,
                             UnknownKey("No write key: send Basic credentials or the key "
                                        "field of your SDK's body."));
  }
  // A Basic key was checked above, and checking it again costs a SHA-256.
  if (!basic_key && !IsWriteKey(write_key)) {
    return FamilyErrorAnswer(decoded.family, UnknownKey("The write key is not configured."));
  }
  if (auto error = SingleEventError(decoded.parsed)) {
    if (metrics_ != nullptr) metrics_->RecordEvents(EventFamilyOf(decoded.family), 0, 0, 1);
    return FamilyErrorAnswer(decoded.family, *error);
  }

  int64_t retry_after = 0;
  if (auto limited = CheckRateLimit(write_key, decoded.parsed, &retry_after)) {
    HttpAnswer answer = FamilyErrorAnswer(decoded.family, *limited);
    answer.headers.emplace_back("Retry-After", std::to_string(retry_after));
    return answer;
  }

  if (StorageStatus status = Attribute(decoded.parsed.events); !status.ok()) {
    spdlog::error("[ingest] account lookup failed: {}", status.message());
    return StorageUnavailableAnswer(decoded.family);
  }

  prepared->write_key = std::move(write_key);
  prepared->family = decoded.family;
  prepared->parsed = std::move(decoded.parsed);
  prepared->query = std::string(request.query);
  prepared->decoded_bytes = decoded.decoded_bytes;
  prepared->received_ms = request.received_ms;
  return std::nullopt;
}

HttpAnswer IngestService::Answer(const PreparedCommit& prepared, const CommitItem& item) const {
  if (!item.ok) return StorageUnavailableAnswer(prepared.family);
  return FamilySuccessAnswer(prepared.family, prepared.query, item.outcome, prepared.decoded_bytes,
                             prepared.received_ms);
}

HttpAnswer IngestService::Handle(IngestRequest request) {
  PreparedCommit prepared;
  if (std::optional<HttpAnswer> answer = Prepare(request, &prepared)) return std::move(*answer);
  CommitItem item(prepared.write_key, prepared.parsed, prepared.family);
  CommitAttributed(std::span<CommitItem>(&item, 1));
  return Answer(prepared, item);
}

void IngestService::HandleAsync(IngestRequest request, AnswerCallback done) {
  if (!post_) return done(Handle(std::move(request)));

  QueuedCommit queued;
  if (std::optional<HttpAnswer> answer = Prepare(request, &queued.prepared)) {
    return done(std::move(*answer));
  }
  queued.complete = [this, done = std::move(done)](const PreparedCommit& prepared,
                                                   CommitItem& item) {
    done(Answer(prepared, item));
  };
  Enqueue(std::move(queued));
}

void IngestService::CommitParsedAsync(std::string write_key, ParsedRequest parsed,
                                      PendingLinks& links, uint64_t message, CommitCallback done,
                                      IngestFamily family) {
  if (StorageStatus status = Attribute(parsed.events, links, message); !status.ok()) {
    spdlog::error("[ingest] account lookup failed: {}", status.message());
    return done(CommitResult{StorageUnavailable(), {}});
  }
  auto result_of = [](CommitItem& item) {
    if (!item.ok) return CommitResult{StorageUnavailable(), {}};
    return CommitResult{std::nullopt, std::move(item.outcome)};
  };

  if (!post_) {
    CommitItem item(write_key, parsed, family);
    CommitAttributed(std::span<CommitItem>(&item, 1));
    return done(result_of(item));
  }

  QueuedCommit queued;
  queued.prepared.write_key = std::move(write_key);
  queued.prepared.family = family;
  queued.prepared.parsed = std::move(parsed);
  queued.complete = [result_of, done = std::move(done)](const PreparedCommit&, CommitItem& item) {
    done(result_of(item));
  };
  Enqueue(std::move(queued));
}

void IngestService::Enqueue(QueuedCommit queued) {
  bool first = false;
  {
    std::lock_guard lock(queue_mutex_);
    first = queue_.empty();
    queue_.push_back(std::move(queued));
  }
  // Only the request that finds the queue empty posts a flush, and that
  // flush takes every request queued by the time it runs.
  if (first) post_([this] { Flush(); });
}

void IngestService::Flush() {
  std::vector<QueuedCommit> queued;
  {
    std::lock_guard lock(queue_mutex_);
    queued.swap(queue_);
  }

  std::vector<CommitItem> items;
  items.reserve(queued.size());
  for (QueuedCommit& request : queued) {
    PreparedCommit& prepared = request.prepared;
    items.emplace_back(prepared.write_key, prepared.parsed, prepared.family);
  }

  CommitAttributed(items);
  for (size_t i = 0; i < queued.size(); ++i) queued[i].complete(queued[i].prepared, items[i]);
}

void IngestService::CommitAttributed(std::span<CommitItem> items) {
  std::vector<Alert> alerts;
  {
    const SnapshotGate::ReaderLock gate(snapshot_gate_);

    // Items of one write key go into one store commit, up to a bound on
    // its events, so that one flush never builds an unbounded batch.
    std::vector<bool> grouped(items.size(), false);
    std::vector<CommitItem*> members;
    for (size_t first = 0; first < items.size(); ++first) {
      if (grouped[first]) continue;
      members.clear();
      size_t events = 0;
      for (size_t i = first; i < items.size(); ++i) {
        if (grouped[i] || *items[i].write_key != *items[first].write_key) continue;
        const size_t more = items[i].parsed->events.size();
        if (!members.empty() && events + more > kMaxCoalescedEvents) break;
        grouped[i] = true;
        events += more;
        members.push_back(&items[i]);
      }
      CommitGroup(members);
    }

    if (clock_.mode() == ClockMode::kWall) {
      // One Apply for the whole flush, so the events of different requests
      // that fall in one shard share its lock and its prefetch passes.
      std::vector<const Event*> stored;
      for (const CommitItem& item : items) {
        if (!item.ok) continue;
        for (size_t i = 0; i < item.outcomes.size(); ++i) {
          if (item.outcomes[i] == CommitOutcome::kStored) {
            stored.push_back(&item.parsed->events[i]);
          }
        }
      }
      if (!stored.empty()) {
        alerts = aggregator_.Apply(std::span<const Event* const>(stored), clock_.Now());
      }
    } else {
      for (CommitItem& item : items) {
        if (!item.ok) continue;
        std::vector<Alert> more = Aggregate(item.parsed->events, item.outcomes);
        alerts.insert(alerts.end(), std::make_move_iterator(more.begin()),
                      std::make_move_iterator(more.end()));
      }
    }
  }
  if (!alerts.empty()) recorder_.Record(alerts);
}

void IngestService::CommitGroup(std::span<CommitItem* const> members) {
  const std::string& write_key = *members.front()->write_key;
  std::vector<CommitOutcome> outcomes;
  StorageStatus status = StorageStatus::Ok();
  size_t total = 0;
  if (members.size() == 1) {
    status = store_.Commit(write_key, members.front()->parsed->events, &outcomes);
    total = members.front()->parsed->events.size();
  } else {
    // The events move into one list for the commit and back afterwards.
    for (const CommitItem* member : members) total += member->parsed->events.size();
    std::vector<Event> combined;
    combined.reserve(total);
    for (CommitItem* member : members) {
      std::vector<Event>& events = member->parsed->events;
      combined.insert(combined.end(), std::make_move_iterator(events.begin()),
                      std::make_move_iterator(events.end()));
    }
    status = store_.Commit(write_key, combined, &outcomes);
    size_t offset = 0;
    for (CommitItem* member : members) {
      std::vector<Event>& events = member->parsed->events;
      std::move(combined.begin() + offset, combined.begin() + offset + events.size(),
                events.begin());
      offset += events.size();
    }
  }
  if (!status.ok()) {
    spdlog::error("[ingest] commit of {} events failed: {}", total, status.message());
    return;
  }

  size_t offset = 0;
  for (CommitItem* member : members) {
    const size_t count = member->parsed->events.size();
    member->outcomes.assign(outcomes.begin() + offset, outcomes.begin() + offset + count);
    offset += count;
    IngestOutcome& outcome = member->outcome;
    outcome.accepted = count;
    outcome.duplicates =
        std::count(member->outcomes.begin(), member->outcomes.end(), CommitOutcome::kDuplicate);
    outcome.rejected = std::move(member->parsed->rejected);
    if (metrics_ != nullptr) {
      metrics_->RecordEvents(EventFamilyOf(member->family), outcome.accepted - outcome.duplicates,
                             outcome.duplicates, outcome.rejected.size());
      uint64_t clamped = 0;
      for (size_t i = 0; i < count; ++i) {
        clamped += member->parsed->events[i].timestamp_clamped &&
                   member->outcomes[i] != CommitOutcome::kDuplicate;
      }
      if (clamped != 0) metrics_->RecordClampedTimestamps(clamped);
    }
    member->ok = true;
  }
}

StorageStatus IngestService::Attribute(std::vector<Event>& events) {
  // Group calls earlier in the same request link their user before the
  // store contains the link, so later events of the request see it.
  PendingLinks request_links;
  return Attribute(events, request_links, /*message=*/0);
}

StorageStatus IngestService::Attribute(std::vector<Event>& events, PendingLinks& links,
                                       uint64_t message) {
  const Catalog& catalog = aggregator_.catalog();
  for (Event& event : events) {
    event.feature = catalog.FeatureOf(event.name);
    if (event.type == EventType::kGroup) {
      event.account_traits = ExtractAccountTraits(event.properties, event.timestamp_ms);
    }
    if (!event.group_id.empty()) {
      event.account_id = event.group_id;
    } else {
      std::optional<std::string> linked;
      if (StorageStatus status = store_.LookupUserAccount(event.user_id, links, &linked);
          !status.ok()) {
        return status;
      }
      event.account_id = linked ? std::move(*linked) : std::string(kUnattributedAccount);
    }
    links.Note(event, message);
  }
  return StorageStatus::Ok();
}

std::vector<Alert> IngestService::Aggregate(std::vector<Event>& events,
                                            const std::vector<CommitOutcome>& outcomes) {
  // Duplicates were counted when first stored; only new events reach the
  // aggregates. The common case, all new, needs no copy.
  if (std::find(outcomes.begin(), outcomes.end(), CommitOutcome::kDuplicate) != outcomes.end()) {
    size_t kept = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      if (outcomes[i] != CommitOutcome::kStored) continue;
      if (kept != i) events[kept] = std::move(events[i]);
      ++kept;
    }
    events.resize(kept);
  }
  if (events.empty()) return {};

  if (clock_.mode() == ClockMode::kWall) return aggregator_.Apply(events, clock_.Now());
  return AggregateUnderEventClock(events);
}

std::vector<Alert> IngestService::AggregateUnderEventClock(std::span<const Event> events) {
  // Time moves only with events here, so it advances event by event: the
  // deadlines an event's time passes (inactivity limits, day boundaries) are
  // evaluated before that event is applied. The alerts are then the same
  // however a client splits the history into requests.
  std::vector<Alert> alerts;
  auto append = [&alerts](std::vector<Alert> more) {
    alerts.insert(alerts.end(), std::make_move_iterator(more.begin()),
                  std::make_move_iterator(more.end()));
  };

  size_t run_start = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].timestamp_ms <= clock_.Now()) continue;
    if (i > run_start)
      append(aggregator_.Apply(events.subspan(run_start, i - run_start), clock_.Now()));
    run_start = i;
    clock_.Observe(events[i].timestamp_ms);
    append(aggregator_.Tick(clock_.Now()));
  }
  append(aggregator_.Apply(events.subspan(run_start), clock_.Now()));
  return alerts;
}

}  // namespace uptake
