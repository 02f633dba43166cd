// The gauges of GET /metrics that are read from live state at scrape time.

#ifndef UPTAKE_SERVER_METRICS_GAUGES_H_
#define UPTAKE_SERVER_METRICS_GAUGES_H_

#include <vector>

#include "config/config.h"
#include "metrics/aggregator.h"
#include "server/alert_hub.h"
#include "server/alert_recorder.h"
#include "server/server_metrics.h"
#include "storage/store.h"

namespace uptake {

// The services the gauges read. Each must outlive the scrapes.
struct GaugeSources {
  Store& store;
  const Aggregator& aggregator;
  const AlertRecorder& recorder;
  AlertHub& hub;
  const std::vector<WebhookConfig>& webhooks;
};

// Appends the RocksDB, account, alert, stream subscriber and webhook outbox
// gauges to `writer`. Costs one RocksDB property read per column family,
// one lock per aggregator shard, and a key scan of each webhook's outbox.
void WriteGauges(const GaugeSources& sources, PrometheusWriter& writer);

}  // namespace uptake

#endif  // UPTAKE_SERVER_METRICS_GAUGES_H_
