// One GitHub activity record, read from either GH Archive line shape.

#ifndef UPTAKE_BENCH_GH_EVENT_H_
#define UPTAKE_BENCH_GH_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "bench/result.h"

namespace uptake {

struct GhEvent {
  std::string id;     // GH Archive event id
  std::string type;   // full type name, for example "PushEvent"
  std::string actor;  // actor login
  std::string repo;   // "owner/name"
  std::string org;    // org login, empty when the record has none
  int64_t time_ms = 0;
  std::optional<int64_t> commits;  // pushes: "commits", or payload.size in full records
  std::string action;              // for example "opened", empty when absent

  // The tenant the event belongs to: the org when present, else the repo owner.
  std::string_view Account() const;
};

// Parses GH Archive NDJSON lines in two shapes: the minimized one
// ({"id","dt","repo","type","actor",...} with short type codes such as
// "push") and the full one (id, type, actor.login, repo.name, org.login,
// created_at). Reuses one simdjson parser, so an instance serves one thread.
class GhEventParser {
 public:
  // `line` must have at least simdjson::SIMDJSON_PADDING readable bytes past
  // its end. Returns an error naming the missing or invalid field.
  Result<GhEvent> Parse(std::string_view line, size_t readable_bytes);

 private:
  simdjson::ondemand::parser parser_;
};

// Maps a minimized type code ("pr", "golem", ...) to the full type name.
// Returns an empty view for an unknown code.
std::string_view ExpandTypeCode(std::string_view code);

}  // namespace uptake

#endif  // UPTAKE_BENCH_GH_EVENT_H_
