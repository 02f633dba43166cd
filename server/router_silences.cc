// The /v1/silences routes of Router.

#include <spdlog/spdlog.h>

#include <charconv>
#include <optional>

#include "proto/answers.h"
#include "proto/json_writer.h"
#include "server/router.h"

namespace uptake {
namespace http = boost::beast::http;

namespace {

constexpr std::string_view kSilencesPath = "/v1/silences";

HttpAnswer StorageUnavailable() {
  HttpAnswer answer =
      JsonAnswer(503, EncodeError("storage_unavailable", "Storage is unavailable; retry later."));
  answer.headers.emplace_back("Retry-After", "5");
  return answer;
}

HttpAnswer MethodNotAllowed(std::string_view allowed) {
  HttpAnswer answer = JsonAnswer(
      405, EncodeError("method_not_allowed", "Use " + std::string(allowed) + " on this path."));
  answer.headers.emplace_back("Allow", std::string(allowed));
  return answer;
}

}  // namespace

HttpAnswer Router::HandleSilences(HttpRequest& request, std::string_view path) {
  if (path == kSilencesPath) {
    if (request.method() == http::verb::post) return CreateSilence(request.body());
    if (IsGetOrHead(request.method())) return ListSilences();
    return MethodNotAllowed("GET, HEAD, POST");
  }
  if (request.method() != http::verb::delete_) return MethodNotAllowed("DELETE");
  return EndSilence(path.substr(kSilencesPath.size() + 1));
}

HttpAnswer Router::CreateSilence(const std::string& body) {
  SilenceRequest parsed = ParseSilenceRequest(body, silences_.Now());
  if (!parsed.silence) {
    spdlog::debug("[silences] rejected a new silence: {}", parsed.message);
    JsonWriter writer;
    writer.BeginObject();
    writer.Key("error");
    writer.String("invalid_body");
    writer.Key("field");
    writer.String(parsed.field);
    writer.Key("message");
    writer.String(parsed.message);
    writer.EndObject();
    return JsonAnswer(400, writer.Release());
  }

  SilenceUpdate added = silences_.Add(std::move(*parsed.silence));
  if (!added.status.ok()) return StorageUnavailable();
  return JsonAnswer(201, EncodeSilence(*added.silence, silences_.Now()));
}

HttpAnswer Router::ListSilences() {
  const int64_t now = silences_.Now();
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("silences");
  writer.BeginArray();
  for (const Silence& silence : silences_.List()) writer.Raw(EncodeSilence(silence, now));
  writer.EndArray();
  writer.EndObject();
  return JsonAnswer(200, writer.Release());
}

HttpAnswer Router::EndSilence(std::string_view id_text) {
  uint64_t id = 0;
  auto [end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (error != std::errc() || end != id_text.data() + id_text.size()) {
    return JsonAnswer(400, EncodeError("invalid_parameter", "The silence id must be a number."));
  }

  SilenceUpdate ended = silences_.End(id);
  if (!ended.status.ok()) return StorageUnavailable();
  if (!ended.silence) {
    return JsonAnswer(
        404, EncodeError("silence_not_found", "No silence " + std::to_string(id) + " exists."));
  }
  return JsonAnswer(200, EncodeSilence(*ended.silence, silences_.Now()));
}

}  // namespace uptake
