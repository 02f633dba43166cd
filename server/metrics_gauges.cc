#include "server/metrics_gauges.h"

#include <spdlog/spdlog.h>

namespace uptake {

void WriteGauges(const GaugeSources& sources, PrometheusWriter& writer) {
  StoreStats stats;
  sources.store.GetStats(&stats);
  writer.Family("uptake_rocksdb_write_stopped", "gauge",
                "1 while RocksDB stops writes (rocksdb.is-write-stopped), else 0.");
  writer.Sample("uptake_rocksdb_write_stopped", {}, uint64_t{stats.write_stopped ? 1u : 0u});
  writer.Family("uptake_rocksdb_delayed_write_rate_bytes", "gauge",
                "Write rate RocksDB currently allows while it slows writes down, in bytes per "
                "second (rocksdb.actual-delayed-write-rate); 0 when writes are not delayed.");
  writer.Sample("uptake_rocksdb_delayed_write_rate_bytes", {}, stats.delayed_write_rate);
  writer.Family("uptake_rocksdb_write_stalls_total", "counter",
                "Times RocksDB stopped or slowed down writes since the process started, summed "
                "over column families (rocksdb.cfstats io_stalls).");
  writer.Sample("uptake_rocksdb_write_stalls_total", {"kind", "stop"}, stats.write_stops);
  writer.Sample("uptake_rocksdb_write_stalls_total", {"kind", "slowdown"}, stats.write_slowdowns);
  writer.Family("uptake_rocksdb_live_data_bytes", "gauge",
                "Estimated size of the live data per column family, in bytes "
                "(rocksdb.estimate-live-data-size).");
  for (const ColumnFamilyStats& family : stats.families) {
    writer.Sample("uptake_rocksdb_live_data_bytes", {"column_family", family.name},
                  family.live_data_bytes);
  }
  writer.Family("uptake_rocksdb_sst_files_bytes", "gauge",
                "Size of all SST files per column family, in bytes "
                "(rocksdb.total-sst-files-size).");
  for (const ColumnFamilyStats& family : stats.families) {
    writer.Sample("uptake_rocksdb_sst_files_bytes", {"column_family", family.name},
                  family.sst_files_bytes);
  }

  const StoreWriteStats writes = sources.store.WriteStats();
  writer.Family("uptake_store_commits_total", "counter",
                "Store commits that wrote events. Requests that arrive together share one "
                "commit, so stored events divided by this is the events per log write.");
  writer.Sample("uptake_store_commits_total", {}, writes.commits);
  writer.Family("uptake_wal_syncs_total", "counter",
                "Syncs of the write-ahead log to disk (durability fsync only).");
  writer.Sample("uptake_wal_syncs_total", {}, writes.wal_syncs);

  writer.Family("uptake_accounts", "gauge", "Accounts held in memory.");
  writer.Sample("uptake_accounts", {}, uint64_t{sources.aggregator.account_count()});
  writer.Family("uptake_events_uncounted_by_name_total", "counter",
                "Events stored and counted in their account's totals, but not under their "
                "name, because accounts.max_event_names or max_event_names_per_account was "
                "reached. Counts from start-up, the events replayed then included.");
  writer.Sample("uptake_events_uncounted_by_name_total", {},
                sources.aggregator.uncounted_name_events());

  writer.Family("uptake_alerts", "gauge", "Open alerts by state.");
  writer.Sample("uptake_alerts", {"state", "pending"}, sources.recorder.pending_alerts());
  writer.Sample("uptake_alerts", {"state", "firing"}, sources.recorder.firing_alerts());

  AlertStreamStats streams = sources.hub.StreamStats();
  writer.Family("uptake_alert_stream_subscribers", "gauge",
                "Connected alert-stream subscribers, WebSocket and Server-Sent Events.");
  writer.Sample("uptake_alert_stream_subscribers", {}, uint64_t{streams.subscribers});
  writer.Family("uptake_alert_stream_queued_messages", "gauge",
                "Messages waiting to be written to alert-stream subscribers, summed over them.");
  writer.Sample("uptake_alert_stream_queued_messages", {}, uint64_t{streams.queued_total});
  writer.Family("uptake_alert_stream_queued_messages_max", "gauge",
                "Messages waiting for the alert-stream subscriber with the longest queue.");
  writer.Sample("uptake_alert_stream_queued_messages_max", {}, uint64_t{streams.queued_max});

  writer.Family("uptake_webhook_outbox_entries", "gauge",
                "Alert changes waiting in the outbox for delivery, per webhook.");
  for (const WebhookConfig& webhook : sources.webhooks) {
    uint64_t count = 0;
    StorageStatus status = sources.store.CountOutbox(webhook.name, &count);
    if (!status.ok()) {
      spdlog::warn("[metrics] [webhook {}] counting the outbox failed: {}", webhook.name,
                   status.message());
      continue;
    }
    writer.Sample("uptake_webhook_outbox_entries", {"webhook", webhook.name}, count);
  }
}

}  // namespace uptake
