#include "server/ingest_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <unordered_map>
#include <utility>

#include "proto/answers.h"
#include "proto/body.h"

namespace uptake {
namespace {

// How long a client should wait before retrying after a storage failure.
constexpr char kStorageRetryAfterSeconds[] = "5";

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

HttpAnswer Unauthorized(std::string_view message) {
  HttpAnswer answer = JsonAnswer(401, EncodeError("invalid_write_key", message));
  answer.headers.emplace_back("WWW-Authenticate", "Basic realm=\"uptake\"");
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

IngestService::IngestService(const Config& config, Store& store, Aggregator& aggregator,
                             ServerClock& clock, AlertRecorder& recorder)
    : limits_(config.limits),
      write_keys_(config.write_keys.begin(), config.write_keys.end()),
      store_(store),
      aggregator_(aggregator),
      clock_(clock),
      recorder_(recorder) {}

bool IngestService::IsWriteKey(std::string_view key) const {
  return !key.empty() && write_keys_.contains(std::string(key));
}

HttpAnswer IngestService::HandleSegment(SegmentRequest request) {
  if (!IsJsonMediaType(request.content_type)) {
    return ErrorAnswer({415, "unsupported_media_type",
                        "Content-Type '" + std::string(request.content_type) +
                            "' is not supported; send application/json or text/plain."});
  }

  // Basic credentials are checked before the body is decoded, so a client
  // with a wrong key costs no parsing. Bearer callers put the key in the
  // body, so theirs is checked after parsing.
  HeaderCredentials header = CredentialsFromAuthorization(request.authorization);
  if (!header.key.empty() && !header.bearer && !IsWriteKey(header.key)) {
    return Unauthorized("The write key in the Authorization header is not configured.");
  }

  if (auto error = DecodeBody(request.content_encoding, request.body, limits_.max_request_bytes)) {
    return ErrorAnswer(*error);
  }
  ParsedRequest parsed = ParseSegment(request.call, request.body, request.received_ms, limits_);
  if (parsed.error) return ErrorAnswer(*parsed.error);

  std::string write_key;
  if (!header.key.empty() && !header.bearer) {
    write_key = std::move(header.key);
  } else if (!parsed.body_write_key.empty()) {
    write_key = std::move(parsed.body_write_key);
  } else {
    write_key = std::move(header.key);
  }
  if (write_key.empty()) {
    return Unauthorized("No write key: send Basic credentials or a writeKey field in the body.");
  }
  if (!IsWriteKey(write_key)) return Unauthorized("The write key is not configured.");

  if (StorageStatus status = Attribute(parsed.events); !status.ok()) {
    spdlog::error("[ingest] account lookup failed: {}", status.message());
    HttpAnswer answer =
        JsonAnswer(503, EncodeError("storage_unavailable", "Storage is unavailable; retry later."));
    answer.headers.emplace_back("Retry-After", kStorageRetryAfterSeconds);
    return answer;
  }

  std::vector<CommitOutcome> outcomes;
  if (StorageStatus status = store_.Commit(write_key, parsed.events, &outcomes); !status.ok()) {
    spdlog::error("[ingest] commit of {} events failed: {}", parsed.events.size(),
                  status.message());
    HttpAnswer answer =
        JsonAnswer(503, EncodeError("storage_unavailable", "Storage is unavailable; retry later."));
    answer.headers.emplace_back("Retry-After", kStorageRetryAfterSeconds);
    return answer;
  }

  size_t duplicates = std::count(outcomes.begin(), outcomes.end(), CommitOutcome::kDuplicate);
  size_t accepted = parsed.events.size();
  Aggregate(parsed.events, outcomes);
  return JsonAnswer(200, EncodeIngestAnswer(accepted, duplicates, parsed.rejected));
}

StorageStatus IngestService::Attribute(std::vector<Event>& events) {
  const Catalog& catalog = aggregator_.catalog();

  // Group calls earlier in the same request link their user before the
  // store holds the link, so later events of the request see it.
  std::unordered_map<std::string_view, std::string_view> request_links;

  for (Event& event : events) {
    event.feature = catalog.FeatureOf(event.name);
    if (!event.group_id.empty()) {
      event.account_id = event.group_id;
      if (event.type == EventType::kGroup) request_links[event.user_id] = event.group_id;
      continue;
    }
    if (auto it = request_links.find(event.user_id); it != request_links.end()) {
      event.account_id = std::string(it->second);
      continue;
    }
    std::optional<std::string> linked;
    if (StorageStatus status = store_.LookupUserAccount(event.user_id, &linked); !status.ok()) {
      return status;
    }
    event.account_id = linked ? std::move(*linked) : std::string(kUnattributedAccount);
  }
  return StorageStatus::Ok();
}

void IngestService::Aggregate(std::vector<Event>& events,
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
  if (events.empty()) return;

  for (const Event& event : events) clock_.Observe(event.timestamp_ms);
  int64_t now = clock_.Now();
  std::vector<Alert> alerts = aggregator_.Apply(events, now);

  // Under the event clock, time moves only with events, so the accounts
  // whose deadlines this batch passed are evaluated here rather than by the
  // wall-clock ticker.
  if (clock_.mode() == ClockMode::kEvent) {
    std::vector<Alert> due = aggregator_.Tick(now);
    alerts.insert(alerts.end(), due.begin(), due.end());
  }
  if (!alerts.empty()) recorder_.Record(alerts);
}

}  // namespace uptake
