#include "server/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "metrics/aggregator.h"
#include "proto/account_traits.h"
#include "proto/answers.h"
#include "server/access_control.h"
#include "server/alert_hub.h"
#include "server/alert_recorder.h"
#include "server/clock.h"
#include "server/http_server.h"
#include "server/ingest_families.h"
#include "server/ingest_service.h"
#include "server/log_rate_limiter.h"
#include "server/metrics_gauges.h"
#include "server/router.h"
#include "server/rule_reloader.h"
#include "server/server_metrics.h"
#include "server/silence_registry.h"
#include "server/snapshot_gate.h"
#include "server/snapshotter.h"
#include "server/webhook_dispatcher.h"
#include "storage/snapshot_files.h"
#include "storage/store.h"

namespace uptake {
namespace asio = boost::asio;

namespace {

// How often time-driven rules are checked under the wall clock.
constexpr std::chrono::seconds kTickInterval{1};

// How long a shutdown waits for in-flight requests and closing streams
// before it stops the remaining connections.
constexpr std::chrono::seconds kShutdownGrace{10};
// How often a shutdown checks whether every connection has closed.
constexpr std::chrono::milliseconds kShutdownPoll{20};

// Client-error log lines allowed per peer, route and status each minute,
// and the number of such keys tracked before they share one.
constexpr uint64_t kClientErrorLinesPerMinute = 5;
constexpr size_t kClientErrorKeys = 1024;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Adds the events from log position `first_sequence` on to `aggregator`.
// Returns false when storage cannot be read.
bool ReplayEvents(Store& store, uint64_t first_sequence, Aggregator& aggregator, ServerClock& clock,
                  size_t* events) {
  const Catalog& catalog = aggregator.catalog();
  *events = 0;
  StorageStatus status = store.ForEachEventFrom(first_sequence, [&](const Event& stored) {
    Event event = stored;
    event.feature = catalog.FeatureOf(event.name);
    if (event.type == EventType::kGroup) {
      event.account_traits = ExtractAccountTraits(event.properties, event.timestamp_ms);
    }
    clock.Observe(event.timestamp_ms);
    aggregator.Replay(event);
    ++*events;
  });
  if (!status.ok()) {
    spdlog::error("[startup] reading the event log failed: {}", status.message());
    return false;
  }
  return true;
}

// Reinstates the open alerts stored in the alerts column family, and adds
// their ids and states to `open_alerts`.
bool RestoreAlerts(Store& store, Aggregator& aggregator,
                   std::vector<std::pair<uint64_t, AlertState>>* open_alerts) {
  size_t alerts = 0;
  size_t firing = 0;
  size_t unreadable = 0;
  StorageStatus status = store.ForEachAlert([&](uint64_t id, std::string_view json) {
    std::optional<Alert> alert = DecodeAlert(json);
    if (!alert) {
      ++unreadable;
      spdlog::warn("[startup] [alert {}] stored alert is unreadable; skipped", id);
      return;
    }
    ++alerts;
    if (alert->state == AlertState::kFiring) ++firing;
    if (alert->state != AlertState::kResolved) open_alerts->emplace_back(id, alert->state);
    aggregator.RestoreAlert(*alert);
  });
  if (!status.ok()) {
    spdlog::error("[startup] reading alerts failed: {}", status.message());
    return false;
  }
  spdlog::info("[startup] restored {} alerts ({} firing)", alerts, firing);
  return true;
}

int64_t MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// Builds the aggregates from the newest usable snapshot plus the events
// logged after it, or else from the whole event log, then restores the
// open alerts, listing them in `open_alerts`. Sets `covered_position` to
// the loaded snapshot's log position, or 0 without one. Returns false when storage cannot be read.
bool LoadAggregates(Store& store, const SnapshotFiles& snapshots,
                    const std::function<std::unique_ptr<Aggregator>()>& make_aggregator,
                    std::unique_ptr<Aggregator>& aggregator, ServerClock& clock,
                    uint64_t* covered_position,
                    std::vector<std::pair<uint64_t, AlertState>>* open_alerts) {
  const auto started = std::chrono::steady_clock::now();
  std::optional<SnapshotInfo> snapshot = LoadNewestSnapshot(snapshots, aggregator, make_aggregator);
  const uint64_t first_sequence = snapshot ? snapshot->log_position : 0;
  *covered_position = first_sequence;
  if (snapshot) {
    // The events the snapshot covers are not replayed, so their newest time
    // reaches the event clock here.
    clock.Observe(snapshot->newest_event_ms);
    store.AdvanceEventSequence(snapshot->log_position);
  }

  const auto replay_started = std::chrono::steady_clock::now();
  size_t events = 0;
  if (!ReplayEvents(store, first_sequence, *aggregator, clock, &events)) return false;
  if (snapshot) {
    spdlog::info("[startup] replayed {} events logged after the snapshot in {} ms", events,
                 MillisecondsSince(replay_started));
  } else {
    spdlog::info("[startup] replayed the whole event log, {} events, in {} ms", events,
                 MillisecondsSince(replay_started));
  }

  if (!RestoreAlerts(store, *aggregator, open_alerts)) return false;
  spdlog::info("[startup] rebuilt {} accounts in {} ms ({})", aggregator->account_count(),
               MillisecondsSince(started), snapshot ? "snapshot plus tail" : "full replay");
  return true;
}

// Logs why storage rejects writes. The line names the disk reserve setting,
// because low free space is the usual cause.
void WarnNotReady(const StorageStatus& health, int64_t min_free_disk_mb) {
  spdlog::warn(
      "[storage] not ready: {}. Ingest and /readyz answer 503 until this clears; the disk "
      "reserve is storage.min_free_disk_mb ({} MiB, 0 turns the check off)",
      health.message(), min_free_disk_mb);
}

// While writes fail, or free disk space is below the reserve, retries
// writes every kStorageRecoverySeconds, so the server takes writes again,
// and /readyz turns ready, once space returns or the I/O error clears.
// Logs each change between ready and not ready; `ready` is the state last
// logged.
void ScheduleStorageRecovery(asio::steady_timer& timer, Store& store, int64_t min_free_disk_mb,
                             bool ready) {
  timer.expires_after(std::chrono::seconds(kStorageRecoverySeconds));
  timer.async_wait([&timer, &store, min_free_disk_mb, ready](boost::system::error_code ec) {
    if (ec) return;
    StorageStatus health = store.WriteHealth();
    if (!health.ok()) {
      if (StorageStatus recovered = store.RecoverWrites(); !recovered.ok()) {
        spdlog::debug("[storage] {}", recovered.message());
      }
      health = store.WriteHealth();
    }

    if (health.ok() && !ready) {
      spdlog::info("[storage] writes succeed again; ready");
    } else if (!health.ok() && ready) {
      WarnNotReady(health, min_free_disk_mb);
    }
    ScheduleStorageRecovery(timer, store, min_free_disk_mb, health.ok());
  });
}

void ScheduleTick(asio::steady_timer& timer, Aggregator& aggregator, ServerClock& clock,
                  AlertRecorder& recorder, LogRateLimiter& client_errors) {
  timer.expires_after(kTickInterval);
  timer.async_wait(
      [&timer, &aggregator, &clock, &recorder, &client_errors](boost::system::error_code ec) {
        if (ec) return;
        std::vector<Alert> alerts = aggregator.Tick(clock.Now());
        if (!alerts.empty()) recorder.Record(alerts);
        client_errors.ReportSuppressed(SteadyMs(), /*all=*/false);
        ScheduleTick(timer, aggregator, clock, recorder, client_errors);
      });
}

// Stops the io_context once every connection has closed or the grace
// period has passed, checking every kShutdownPoll.
void AwaitDrained(asio::steady_timer& timer, HttpServer& http, asio::io_context& io,
                  std::chrono::steady_clock::time_point deadline) {
  size_t open = http.open_connections();
  if (open == 0) {
    spdlog::info("[shutdown] every connection is closed");
    io.stop();
    return;
  }
  if (std::chrono::steady_clock::now() >= deadline) {
    spdlog::warn("[shutdown] {} connections still open after {} s; closing them", open,
                 kShutdownGrace.count());
    io.stop();
    return;
  }
  timer.expires_after(kShutdownPoll);
  timer.async_wait([&timer, &http, &io, deadline](boost::system::error_code ec) {
    if (ec) return;
    AwaitDrained(timer, http, io, deadline);
  });
}

// Warns about the routes that a non-loopback listener refuses for want of
// a credential, and about credentials sent without TLS.
void WarnAboutOpenRoutes(const Config& config, bool loopback) {
  if (loopback) return;
  if (config.auth.read_tokens.empty()) {
    spdlog::warn(
        "[startup] no read token is configured and the listener is not loopback, so the read "
        "routes (alerts, the alert stream, accounts) accept only the admin token; set "
        "auth.read_tokens");
  }
  if (config.auth.admin_token.empty()) {
    spdlog::warn(
        "[startup] no admin token is configured and the listener is not loopback, so "
        "/v1/admin/reload and /v1/silences refuse every request; set auth.admin_token");
  }
  if (config.tls.cert_file.empty()) {
    spdlog::warn(
        "[startup] the listener is not loopback and TLS is off, so write keys and tokens cross "
        "the network in clear text; set tls.cert_file and tls.key_file");
  }
}

// Loads the certificate chain and key into `context`. The config loader
// checked them already; this fails only when the files changed since.
bool LoadTlsContext(const TlsConfig& files, asio::ssl::context* context) {
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  context->use_certificate_chain_file(files.cert_file, ec);
  if (ec) {
    spdlog::error("[startup] loading the TLS certificate {} failed: {}", files.cert_file,
                  ec.message());
    return false;
  }
  context->use_private_key_file(files.key_file, asio::ssl::context::pem, ec);
  if (ec) {
    spdlog::error("[startup] loading the TLS key {} failed: {}", files.key_file, ec.message());
    return false;
  }
  return true;
}

}  // namespace

int RunServer(const Config& config) {
  if (config.write_keys.size() == 1 && config.write_keys.front() == "dev") {
    spdlog::warn(
        "[startup] accepting only the built-in development write key 'dev'; set write_keys in "
        "a config file for real use");
  }

  std::unique_ptr<Store> store;
  StoreOptions store_options;
  store_options.dedup_retention_ms = int64_t{config.dedup_retention_days} * 24 * 3600 * 1000;
  store_options.sync_writes = config.durability == DurabilityMode::kFsync;
  store_options.event_log_compression = config.log_compression == LogCompression::kLz4
                                            ? EventLogCompression::kLz4
                                            : EventLogCompression::kZstdAtBottom;
  store_options.event_retention_ms = int64_t{config.retention_days} * 24 * 3600 * 1000;
  // Under the event clock, "now" is the newest event time, for retention too.
  store_options.retention_clock =
      config.clock == ClockMode::kEvent ? RetentionClock::kNewestEvent : RetentionClock::kWall;
  store_options.min_free_bytes = static_cast<uint64_t>(config.min_free_disk_mb) << 20;
  StorageStatus status = Store::Open(config.data_dir, store_options, &store);
  if (!status.ok()) {
    spdlog::error("[startup] cannot open the database in '{}': {}", config.data_dir,
                  status.message());
    return 1;
  }

  const auto make_aggregator = [&config] {
    return std::make_unique<Aggregator>(Catalog(config.features, config.login_events), config.rules,
                                        config.routing, config.event_names);
  };
  std::unique_ptr<Aggregator> loaded_aggregator = make_aggregator();
  ServerClock clock(config.clock);
  SnapshotFiles snapshots(config.data_dir + "/snapshots");
  uint64_t covered_position = 0;
  std::vector<std::pair<uint64_t, AlertState>> open_alerts;
  if (!LoadAggregates(*store, snapshots, make_aggregator, loaded_aggregator, clock,
                      &covered_position, &open_alerts)) {
    return 1;
  }
  Aggregator& aggregator = *loaded_aggregator;

  // Loaded before the recorder catches up below, so changes found at
  // startup are silenced too.
  SilenceRegistry silences(*store, clock);
  if (StorageStatus loaded = silences.Load(); !loaded.ok()) {
    spdlog::error("[startup] reading silences failed: {}", loaded.message());
    return 1;
  }

  AlertHub hub;
  AlertRecorder recorder(*store, hub, config.retained_alert_changes, config.webhooks, &silences);
  if (StorageStatus recovered = recorder.Recover(); !recovered.ok()) {
    spdlog::error("[startup] reading the alert change log failed: {}", recovered.message());
    return 1;
  }
  recorder.RestoreOpenAlerts(open_alerts);
  std::vector<Alert> caught_up = aggregator.EvaluateAll(clock.Now());
  if (!caught_up.empty()) {
    spdlog::info("[startup] {} alert changes found by evaluating every account", caught_up.size());
    recorder.Record(caught_up);
  }

  const bool loopback = IsLoopbackHost(config.listen_host);
  AccessPolicy access(config.auth, config.write_keys, loopback);
  WarnAboutOpenRoutes(config, loopback);
  std::optional<asio::ssl::context> tls;
  if (!config.tls.cert_file.empty()) {
    tls.emplace(asio::ssl::context::tls_server);
    if (!LoadTlsContext(config.tls, &*tls)) return 1;
  }

  ServerMetrics metrics;
  metrics.SetGaugeWriter([&](PrometheusWriter& writer) {
    WriteGauges(GaugeSources{*store, aggregator, recorder, hub, config.webhooks}, writer);
  });
  LogRateLimiter client_errors(kClientErrorLinesPerMinute, 60 * 1000, kClientErrorKeys);

  // Declared before the ingest queue and anything else that may keep a
  // connection's handler, so that those are destroyed first at exit.
  int threads =
      config.threads > 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context io(threads);

  SnapshotGate snapshot_gate;
  IngestService ingest(config, *store, aggregator, clock, recorder, &snapshot_gate, &metrics);
  // Requests read in one turn of the event loop are committed together.
  ingest.CoalesceCommits([&io](std::function<void()> flush) { asio::post(io, std::move(flush)); });
  Snapshotter snapshotter(*store, aggregator, snapshot_gate, snapshots, covered_position);
  if (config.snapshot_interval_seconds > 0) {
    snapshotter.Start(std::chrono::seconds(config.snapshot_interval_seconds),
                      static_cast<uint64_t>(config.snapshot_min_events));
  }
  RuleReloader reloader(config, aggregator, clock, recorder);
  Router router(RouterServices{ingest, *store, aggregator, clock, recorder, reloader, silences,
                               access, metrics},
                CorsPolicy(config.cors_allowed_origins, config.cors_max_age_seconds));

  // The raw body limit leaves room for PostHog's larger batches; each family
  // then enforces its own decoded-size limit while inflating.
  size_t max_body_bytes =
      std::max(config.limits.max_request_bytes, config.limits.max_posthog_request_bytes) +
      kCompressionAllowanceBytes;
  HttpServices services{router,
                        access,
                        hub,
                        ingest,
                        *store,
                        static_cast<size_t>(config.max_unacknowledged_messages),
                        std::chrono::milliseconds(config.alert_subscriber_write_timeout_ms),
                        metrics,
                        client_errors};
  const TransportLimits& transport = config.transport;
  HttpLimits http_limits{
      .max_body_bytes = max_body_bytes,
      .max_header_bytes = transport.max_header_bytes,
      .max_header_fields = transport.max_header_fields,
      .idle_timeout = std::chrono::seconds(transport.idle_timeout_seconds),
      .header_read_timeout = std::chrono::seconds(transport.header_read_timeout_seconds),
      .body_read_timeout = std::chrono::seconds(transport.body_read_timeout_seconds),
      .max_connections = static_cast<size_t>(transport.max_connections),
  };
  HttpServer http(io, services, http_limits, tls ? &*tls : nullptr);
  std::string error;
  if (!http.Listen(config.listen_host, config.listen_port, &error)) {
    spdlog::error("[startup] {}", error);
    return 1;
  }
  http.Start();
  auto endpoint = http.local_endpoint();
  spdlog::info("listening on {}:{} ({}, clock {}, durability {}, data in {})",
               endpoint.address().to_string(), endpoint.port(), tls ? "https" : "http",
               config.clock == ClockMode::kWall ? "wall" : "event",
               config.durability == DurabilityMode::kFsync ? "fsync" : "wal", config.data_dir);
  if (config.retention_days > 0) {
    spdlog::info("[startup] events older than {} days are dropped at compaction",
                 config.retention_days);
  }

  asio::steady_timer ticker(io);
  ScheduleTick(ticker, aggregator, clock, recorder, client_errors);
  const StorageStatus health = store->WriteHealth();
  if (!health.ok()) WarnNotReady(health, config.min_free_disk_mb);
  asio::steady_timer storage_recovery(io);
  ScheduleStorageRecovery(storage_recovery, *store, config.min_free_disk_mb, health.ok());

  auto webhooks = std::make_shared<WebhookDispatcher>(io, *store, config.webhooks);
  hub.Subscribe(webhooks);
  webhooks->Start();

  asio::signal_set reload_signal(io, SIGHUP);
  std::function<void()> await_reload = [&] {
    reload_signal.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      if (config.source_path.empty()) {
        spdlog::warn(
            "[reload] SIGHUP received, but the server runs on built-in defaults (no --config), "
            "so there is no file to reload");
      } else {
        spdlog::info("[reload] SIGHUP received; reloading rules from {}", config.source_path);
        reloader.Reload();
      }
      await_reload();
    });
  };
  await_reload();

  // Graceful shutdown: stop accepting, stop webhook deliveries (their
  // entries stay in the outbox), let each connection finish its request or
  // close its stream with 1001, then stop once all are closed or after
  // kShutdownGrace. A second signal stops at once.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer drain_timer(io);
  signals.async_wait([&](boost::system::error_code ec, int signal_number) {
    if (ec) return;
    spdlog::info("[shutdown] signal {} received; finishing in-flight requests for up to {} s",
                 signal_number, kShutdownGrace.count());
    http.BeginShutdown();
    webhooks->Stop();
    ticker.cancel();
    storage_recovery.cancel();
    reload_signal.cancel();
    signals.async_wait([&io](boost::system::error_code second_ec, int second_signal) {
      if (second_ec) return;
      spdlog::warn("[shutdown] signal {} received again; stopping now", second_signal);
      io.stop();
    });
    AwaitDrained(drain_timer, http, io, std::chrono::steady_clock::now() + kShutdownGrace);
  });

  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& worker : workers) worker.join();

  // Every ingest thread has stopped, so this snapshot covers every accepted
  // event and the next start replays none.
  snapshotter.Stop();
  snapshotter.TakeIfDue(1, "shutdown");

  client_errors.ReportSuppressed(SteadyMs(), /*all=*/true);
  if (StorageStatus synced = store->SyncWal(); !synced.ok()) {
    spdlog::error("[shutdown] syncing the write-ahead log failed: {}", synced.message());
  }
  spdlog::info("[shutdown] stopped");
  return 0;
}

}  // namespace uptake
