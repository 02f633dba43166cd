// A silence: a time window in which alert changes matching its matchers are
// recorded and streamed but not sent to webhooks.

#ifndef UPTAKE_SERVER_SILENCE_H_
#define UPTAKE_SERVER_SILENCE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uptake {

struct Silence {
  uint64_t id = 0;  // assigned by SilenceRegistry, increasing

  // Exact-match matchers. An empty matcher matches any value, and at least
  // one is set.
  std::string rule;
  std::string account;
  std::string severity;  // "info", "warning" or "critical"

  // Milliseconds since the Unix epoch. Active from starts_at_ms (included)
  // to ends_at_ms (excluded).
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  int64_t created_at_ms = 0;

  std::string author;
  std::string comment;  // empty when none was given

  bool ActiveAt(int64_t now_ms) const { return starts_at_ms <= now_ms && now_ms < ends_at_ms; }

  bool Matches(std::string_view alert_rule, std::string_view alert_account,
               std::string_view alert_severity) const;
};

// Longest name of who acts (a silence's author, an acknowledgement's by)
// and longest comment, in bytes. Each is stored on the alert or silence and
// sent with every change of it on the stream and to webhooks, so a client
// must not grow them without bound.
inline constexpr size_t kMaxActorBytes = 256;
inline constexpr size_t kMaxCommentBytes = 4096;

// A POST /v1/silences body checked by ParseSilenceRequest: the silence on
// success, else the offending field and a message for the client.
struct SilenceRequest {
  std::optional<Silence> silence;
  std::string field;
  std::string message;
};

// Reads {"matchers":{"rule","account","severity"},"starts_at","ends_at",
// "author","comment"}. starts_at defaults to `now_ms`; ends_at must follow
// it. Unknown keys are rejected, because a misspelt matcher would otherwise
// widen the silence. The id and created_at are left for the registry.
SilenceRequest ParseSilenceRequest(const std::string& body, int64_t now_ms);

// Encodes `silence` as {"id","matchers","starts_at","ends_at","author",
// "comment","created_at"} with ISO 8601 UTC times and comment null when
// empty. Adds "active" when `now_ms` is given, which the stored form omits
// because it changes with time.
std::string EncodeSilence(const Silence& silence, std::optional<int64_t> now_ms);

// Reads back the output of EncodeSilence. Returns nullopt for anything else.
std::optional<Silence> DecodeSilence(std::string_view json);

}  // namespace uptake

#endif  // UPTAKE_SERVER_SILENCE_H_
