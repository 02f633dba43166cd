// One queued webhook delivery in the outbox column family.

#ifndef UPTAKE_STORAGE_OUTBOX_ENTRY_H_
#define UPTAKE_STORAGE_OUTBOX_ENTRY_H_

#include <cstdint>
#include <string>

namespace uptake {

// Keyed by (webhook, seq). `seq` is the alert change's seq, so a webhook's
// entries iterate in change order.
struct OutboxEntry {
  std::string webhook;  // WebhookConfig::name; contains no NUL
  uint64_t seq = 0;
  std::string body;  // the rendered POST body, sent byte for byte on every attempt

  uint32_t attempts = 0;        // POSTs that failed so far
  int64_t next_attempt_ms = 0;  // wall-clock ms since the Unix epoch; 0 means now
};

}  // namespace uptake

#endif  // UPTAKE_STORAGE_OUTBOX_ENTRY_H_
