// JSON encoders for API responses and alerts, and the alert decoder used when
// alerts are read back from storage.

#ifndef UPTAKE_PROTO_ANSWERS_H_
#define UPTAKE_PROTO_ANSWERS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "metrics/account_view.h"
#include "metrics/alert.h"
#include "metrics/at_risk.h"
#include "proto/json_writer.h"
#include "proto/parse_result.h"

namespace uptake {

// {"accepted":N,"duplicates":D,"rejected":[{"index":i,"error":"code","message":"..."}]}
// `accepted` counts every valid event, duplicates included.
std::string EncodeIngestAnswer(size_t accepted, size_t duplicates,
                               std::span<const EventRejection> rejected);

// Writes `rejected` as the array value of EncodeIngestAnswer's "rejected".
void WriteRejections(JsonWriter& writer, std::span<const EventRejection> rejected);

// {"error":"code","message":"..."}
std::string EncodeError(std::string_view code, std::string_view message);

// One alert as a JSON object: id, rule, kind, account_id, severity, state
// ("pending", "firing" or "resolved"), observed, threshold, summary,
// evidence, labels and annotations (objects of strings), priority, owner,
// active_since, fired_at, resolved_at and updated_at. priority is 1 to 9,
// and owner is null when the account has no owner trait. Times are ISO 8601 UTC. fired_at is
// null while pending and for a pending alert that resolved, and
// resolved_at is null until the alert resolves. acknowledged_by,
// acknowledgement_comment and acknowledged_at are null until someone
// acknowledges the alert. tier is null and route empty without a routing
// policy; each route step is {"step", "at", "owner", "webhooks"}, and
// escalated_at is null until the alert escalates.
std::string EncodeAlert(const Alert& alert);

// Reads back the output of EncodeAlert. Records written before labels,
// annotations, active_since, priority, owner and routing existed decode
// with those empty or 0.
// Returns nullopt for anything else.
std::optional<Alert> DecodeAlert(std::string_view json);

// An account's aggregates, with first_seen and last_seen in ISO 8601 UTC,
// and plan, arr and owner (null when unknown).
std::string EncodeAccountView(const AccountView& view);

// {"accounts":[{"account_id","priority","owner","plan","arr","open_alerts":
// [{"id","rule","severity","fired_at"}]}],"next_after":CURSOR or null}.
// owner, plan and arr are null when unknown.
std::string EncodeAtRiskPage(const AtRiskPage& page);

// Returns the cursor as URL-safe text: the priority, a dot, then the
// account id in lowercase hex, so any account id survives a query string.
std::string EncodeAtRiskCursor(const AtRiskCursor& cursor);

// Reads the output of EncodeAtRiskCursor. Returns nullopt for anything
// else.
std::optional<AtRiskCursor> DecodeAtRiskCursor(std::string_view text);

}  // namespace uptake

#endif  // UPTAKE_PROTO_ANSWERS_H_
