#include "metrics/aggregator.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iterator>
#include <mutex>
#include <thread>
#include <utility>

#include "metrics/account_shard.h"

namespace uptake {

namespace {

// Enough shards that a few ingest threads rarely meet on one lock, few
// enough that Tick's pass over all of them stays cheap.
constexpr size_t kShardCount = 64;
static_assert(kShardCount <= 256, "Apply keeps a shard index in a byte");

std::string_view AccountKey(const Event& event) {
  return event.account_id.empty() ? std::string_view(kUnattributedAccount)
                                  : std::string_view(event.account_id);
}

// The hash both the shard choice and the shard's account map use.
size_t AccountHash(std::string_view account_id) {
  return std::hash<std::string_view>{}(account_id);
}

// Minimum number of one shard's events in one Apply call for the prefetch
// passes. With fewer, the cache misses have too little to overlap.
constexpr size_t kPrefetchGroup = 4;

size_t ShardIndexOfHash(size_t account_hash) {
  // The shard's account map hashes the same key, so the top bits pick the
  // shard and the map's modulo still gets varied low bits.
  const uint64_t mixed = account_hash * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(mixed >> 58) % kShardCount;
}

size_t ShardIndex(std::string_view account_id) { return ShardIndexOfHash(AccountHash(account_id)); }

// How long FinishSnapshot leaves a shard unlocked between two parts. A
// mutex does not pass itself to a waiter, and without the gap the encoder
// took it back before a woken ingest thread ran. That thread then waited
// for every part, and a request touching several shards followed the
// encoder from shard to shard: 470 ms at a million accounts.
constexpr auto kSnapshotPartGap = std::chrono::microseconds(100);

constexpr std::string_view kSnapshotMagic = "uptkagg";
constexpr std::string_view kSnapshotEndMarker = "end!";

void Append(std::vector<Alert>& to, std::vector<Alert> from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

void SortById(std::vector<Alert>& alerts) {
  std::sort(alerts.begin(), alerts.end(),
            [](const Alert& a, const Alert& b) { return a.id < b.id; });
}

// Raises `next_id` above `issued` without lowering it.
void AdvancePast(std::atomic<uint64_t>& next_id, uint64_t issued) {
  uint64_t current = next_id.load();
  while (current <= issued && !next_id.compare_exchange_weak(current, issued + 1)) {
  }
}

}  // namespace

struct Aggregator::Shard : AccountShard {};

Aggregator::Aggregator(Catalog catalog, std::vector<Rule> rules, std::vector<RoutingTier> tiers,
                       NameLimits name_limits)
    : catalog_(std::move(catalog)),
      tiers_(std::move(tiers)),
      shards_(std::make_unique<Shard[]>(kShardCount)) {
  const RuleSet shared = std::make_shared<const std::vector<Rule>>(std::move(rules));
  for (size_t i = 0; i < kShardCount; ++i) {
    shards_[i].SetNameLimits(name_limits);
    shards_[i].Init(shared);
  }
}

Aggregator::~Aggregator() = default;

Aggregator::Shard& Aggregator::ShardFor(std::string_view account_id) const {
  return shards_[ShardIndex(account_id)];
}

std::vector<Alert> Aggregator::Apply(std::span<const Event> events, int64_t now_ms) {
  std::vector<const Event*> pointers;
  pointers.reserve(events.size());
  for (const Event& event : events) pointers.push_back(&event);
  return Apply(std::span<const Event* const>(pointers), now_ms);
}

std::vector<Alert> Aggregator::Apply(std::span<const Event* const> events, int64_t now_ms) {
  // Group the events by shard so each shard is locked once per call. Each
  // account key is hashed once, for its shard and its shard's map.
  std::vector<size_t> hashes(events.size());
  std::vector<uint8_t> shard_of(events.size());
  std::array<size_t, kShardCount + 1> starts{};
  for (size_t i = 0; i < events.size(); ++i) {
    hashes[i] = AccountHash(AccountKey(*events[i]));
    shard_of[i] = static_cast<uint8_t>(ShardIndexOfHash(hashes[i]));
    ++starts[kShardCount - shard_of[i]];
  }
  // Shards are visited from the last to the first, against FinishSnapshot's
  // order, so a call crosses the shard being encoded once and waits for at
  // most that shard's encoding. In the same order it could wait behind the
  // snapshot at every shard. Within a shard the events keep their order.
  // A counting sort: starts[kShardCount - s] counted shard s's events, and
  // the running sum turns it into the end of shard s's run in `order`.
  for (size_t k = 1; k <= kShardCount; ++k) starts[k] += starts[k - 1];
  std::vector<std::pair<size_t, size_t>> order(events.size());  // (shard, event index)
  for (size_t i = events.size(); i-- > 0;) {
    order[--starts[kShardCount - shard_of[i]]] = {shard_of[i], i};
  }

  const EvalScope scope{catalog_, tiers_, next_alert_id_, now_ms};
  std::vector<Alert> alerts;
  std::vector<AccountShard::Account*> touched;
  for (size_t begin = 0; begin < order.size();) {
    const size_t shard_index = order[begin].first;
    size_t end = begin;
    while (end < order.size() && order[end].first == shard_index) {
      ++end;
    }

    Shard& shard = shards_[shard_index];
    std::lock_guard lock(shard.mu);
    if (end - begin >= kPrefetchGroup) {
      for (size_t k = begin; k < end; ++k) shard.PrefetchSlot(hashes[order[k].second]);
      for (size_t k = begin; k < end; ++k) shard.PrefetchAccount(hashes[order[k].second]);
      for (size_t k = begin; k < end; ++k) {
        const size_t i = order[k].second;
        shard.PrefetchLists(AccountKey(*events[i]), hashes[i]);
      }
    }
    touched.clear();
    for (size_t k = begin; k < end; ++k) {
      const size_t i = order[k].second;
      touched.push_back(&shard.AddEvent(*events[i], catalog_, hashes[i]));
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (AccountShard::Account* account : touched) {
      Append(alerts, shard.Evaluate(*account, scope));
    }
    begin = end;
  }

  SortById(alerts);
  return alerts;
}

void Aggregator::Replay(const Event& event) {
  // Replay leaves the deadline heap alone because it has no clock time to
  // schedule against. EvaluateAll schedules every account afterwards.
  Shard& shard = ShardFor(AccountKey(event));
  std::lock_guard lock(shard.mu);
  shard.AddEvent(event, catalog_);
}

void Aggregator::RestoreAlert(const Alert& alert) {
  AdvancePast(next_alert_id_, alert.id);
  if (alert.state == AlertState::kResolved) {
    return;
  }

  Shard& shard = ShardFor(alert.account_id);
  std::lock_guard lock(shard.mu);
  const std::vector<Rule>& rules = shard.rules();
  auto rule =
      std::find_if(rules.begin(), rules.end(), [&](const Rule& r) { return r.name == alert.rule; });
  if (rule == rules.end()) {
    return;  // the rule was removed from the configuration
  }
  // An alert for an account with no events is dropped, because no rule can
  // be evaluated on it. Should events arrive later, a breach fires a new id.
  AccountShard::Account* account = shard.Find(alert.account_id);
  if (account != nullptr) {
    shard.RestoreOpenAlert(*account, static_cast<uint32_t>(rule - rules.begin()), *rule, tiers_,
                           alert);
  }
}

std::vector<Alert> Aggregator::EvaluateAll(int64_t now_ms) {
  const EvalScope scope{catalog_, tiers_, next_alert_id_, now_ms};
  std::vector<Alert> alerts;
  for (size_t i = 0; i < kShardCount; ++i) {
    std::lock_guard lock(shards_[i].mu);
    Append(alerts, shards_[i].EvaluateEvery(scope));
  }
  SortById(alerts);
  return alerts;
}

std::vector<Alert> Aggregator::ReplaceRules(std::vector<Rule> rules, int64_t now_ms,
                                            const ReloadStepSink& on_step) {
  // Without this lock a second reload could overtake the first between two
  // shards and leave the shards on different rules.
  std::lock_guard reload_lock(reload_mu_);
  const RuleSet shared = std::make_shared<const std::vector<Rule>>(std::move(rules));
  const EvalScope scope{catalog_, tiers_, next_alert_id_, now_ms};

  // Each shard's changes stay in their own vector until the end, so no shard
  // step waits while one growing result moves every change before it.
  std::vector<std::vector<Alert>> steps(kShardCount);
  size_t total = 0;
  for (size_t i = 0; i < kShardCount; ++i) {
    std::lock_guard lock(shards_[i].mu);
    std::vector<Alert>& changes = steps[i];
    changes = shards_[i].RemapRules(shared, now_ms);
    Append(changes, shards_[i].EvaluateEvery(scope));
    SortById(changes);
    // Under the lock, so no ingest on this shard computes a newer change of
    // these alerts before the caller has seen them.
    if (on_step) on_step(changes);
    total += changes.size();
  }

  std::vector<Alert> alerts;
  alerts.reserve(total);
  for (std::vector<Alert>& changes : steps) Append(alerts, std::move(changes));
  SortById(alerts);
  return alerts;
}

std::vector<Alert> Aggregator::Tick(int64_t now_ms) {
  const EvalScope scope{catalog_, tiers_, next_alert_id_, now_ms};
  std::vector<Alert> alerts;
  for (size_t i = 0; i < kShardCount; ++i) {
    std::lock_guard lock(shards_[i].mu);
    Append(alerts, shards_[i].EvaluateDue(scope));
  }
  SortById(alerts);
  return alerts;
}

std::optional<AccountView> Aggregator::View(std::string_view account_id, int64_t now_ms) const {
  Shard& shard = ShardFor(account_id);
  std::lock_guard lock(shard.mu);
  const AccountShard::Account* account = shard.Find(account_id);
  if (account == nullptr) {
    return std::nullopt;
  }
  return shard.View(*account, ViewInput{catalog_, now_ms});
}

AtRiskPage Aggregator::ListAtRisk(const std::optional<AtRiskCursor>& after, size_t limit) const {
  std::vector<AtRiskAccount> accounts;
  for (size_t i = 0; i < kShardCount; ++i) {
    std::lock_guard lock(shards_[i].mu);
    std::vector<AtRiskAccount> more = shards_[i].ListAtRisk(after);
    accounts.insert(accounts.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }

  const auto ranks_before = [](const AtRiskAccount& a, const AtRiskAccount& b) {
    return RanksBefore(a.priority, a.account_id, b.priority, b.account_id);
  };
  const size_t page_size = std::min(limit, accounts.size());
  std::partial_sort(accounts.begin(), accounts.begin() + page_size, accounts.end(), ranks_before);

  AtRiskPage page;
  if (page_size < accounts.size() && page_size > 0) {
    page.next = AtRiskCursor{accounts[page_size - 1].priority, accounts[page_size - 1].account_id};
  }
  accounts.resize(page_size);
  page.accounts = std::move(accounts);
  return page;
}

size_t Aggregator::account_count() const {
  size_t count = 0;
  for (size_t i = 0; i < kShardCount; ++i) {
    std::lock_guard lock(shards_[i].mu);
    count += shards_[i].size();
  }
  return count;
}

PendingSnapshot Aggregator::BeginSnapshot(uint64_t log_position) const {
  // Every lock at once, so each shard step of a concurrent ReplaceRules or
  // Apply falls wholly before or after the marks.
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(kShardCount);
  for (size_t i = 0; i < kShardCount; ++i) locks.emplace_back(shards_[i].mu);
  for (size_t i = 0; i < kShardCount; ++i) shards_[i].MarkSnapshotOwed();
  return PendingSnapshot{log_position};
}

SnapshotSummary Aggregator::FinishSnapshot(const PendingSnapshot& pending, const SnapshotSink& sink,
                                           size_t part_accounts) const {
  SnapshotWriter out(sink);
  out.PutBytes(kSnapshotMagic);
  out.PutByte(kSnapshotFormatVersion);
  out.PutFixed64(AggregateFingerprint(catalog_));
  out.PutVarint(pending.log_position);
  out.PutVarint(kShardCount);
  out.Flush();

  // Each part goes to the sink as soon as it is encoded, with no lock held,
  // so only one part is held here at a time.
  SnapshotSummary summary;
  for (size_t i = 0; i < kShardCount; ++i) {
    bool last = false;
    while (!last) {
      SnapshotSection part;
      {
        std::lock_guard lock(shards_[i].mu);
        last = shards_[i].TakeSnapshotPart(part_accounts, &part);
      }
      for (const std::string& chunk : part.chunks) sink(chunk);
      summary.accounts += part.accounts;
      summary.accounts_saved_early += part.saved_before_change;
      if (!last) std::this_thread::sleep_for(kSnapshotPartGap);
    }
  }

  out.PutVarint(summary.accounts);
  out.PutBytes(kSnapshotEndMarker);
  out.Flush();
  return summary;
}

size_t Aggregator::WriteSnapshot(uint64_t log_position, const SnapshotSink& sink) const {
  return FinishSnapshot(BeginSnapshot(log_position), sink).accounts;
}

bool Aggregator::LoadSnapshot(const SnapshotSource& source, SnapshotInfo* info,
                              std::string* error) {
  *info = SnapshotInfo{};
  if (account_count() != 0) {
    *error = "the aggregator already has accounts";
    return false;
  }

  SnapshotReader in(source);
  std::string magic;
  uint8_t version;
  if (!in.GetBytes(kSnapshotMagic.size(), &magic) || magic != kSnapshotMagic ||
      !in.GetByte(&version)) {
    *error = "not an aggregate snapshot";
    return false;
  }
  if (version != kSnapshotFormatVersion) {
    *error = "format version " + std::to_string(version) + " is not supported (expected " +
             std::to_string(kSnapshotFormatVersion) + ")";
    return false;
  }
  uint64_t fingerprint;
  uint64_t sections;
  if (!in.GetFixed64(&fingerprint) || !in.GetVarint(&info->log_position) ||
      !in.GetVarint(&sections)) {
    *error = "truncated header";
    return false;
  }
  if (fingerprint != AggregateFingerprint(catalog_)) {
    *error = "written under another feature catalog, login event list or build";
    return false;
  }
  // Any section count decodes, because accounts are placed by id; the bound
  // only rejects a corrupt count early.
  if (sections > (uint64_t{1} << 16)) {
    *error = "invalid section count " + std::to_string(sections);
    return false;
  }

  const auto shard_for = [this](std::string_view id) -> AccountShard& { return ShardFor(id); };
  for (uint64_t i = 0; i < sections; ++i) {
    if (!SnapshotCodec::DecodeSection(in, catalog_, shard_for, info, error)) {
      *error = "section " + std::to_string(i) + ": " + *error;
      return false;
    }
  }

  uint64_t total;
  std::string end;
  if (!in.GetVarint(&total) || !in.GetBytes(kSnapshotEndMarker.size(), &end) ||
      end != kSnapshotEndMarker || !in.AtEnd()) {
    *error = "truncated or malformed trailer";
    return false;
  }
  if (total != info->accounts) {
    *error = "trailer counts " + std::to_string(total) + " accounts, sections held " +
             std::to_string(info->accounts);
    return false;
  }
  return true;
}

EvaluationStats Aggregator::evaluation_stats() const {
  EvaluationStats stats;
  for (size_t i = 0; i < kShardCount; ++i) {
    std::lock_guard lock(shards_[i].mu);
    stats.evaluations += shards_[i].evaluations();
    stats.deadline_pops += shards_[i].deadline_pops();
  }
  return stats;
}

uint64_t Aggregator::uncounted_name_events() const {
  uint64_t total = 0;
  for (size_t i = 0; i < kShardCount; ++i) {
    std::lock_guard lock(shards_[i].mu);
    total += shards_[i].uncounted_name_events();
  }
  return total;
}

}  // namespace uptake
