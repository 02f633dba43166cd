#include "proto/stream_envelope.h"

#include <simdjson.h>

#include "proto/answers.h"
#include "proto/json_writer.h"

namespace uptake {
namespace {

SegmentCall CallForType(std::string_view type) {
  if (type == "identify") return SegmentCall::kIdentify;
  if (type == "group") return SegmentCall::kGroup;
  if (type == "page") return SegmentCall::kPage;
  if (type == "screen") return SegmentCall::kScreen;
  if (type == "alias") return SegmentCall::kAlias;
  return SegmentCall::kTrack;
}

// Finds "requestId":"..." in text that is not valid JSON, so the error
// response for a malformed message can still name its request. Returns "" when
// the id is absent or has escapes.
std::string ScanRequestId(std::string_view message) {
  constexpr std::string_view kKey = "\"requestId\"";
  size_t at = message.find(kKey);
  if (at == std::string_view::npos) return "";
  size_t i = at + kKey.size();
  auto skip_space = [&] {
    while (i < message.size() &&
           (message[i] == ' ' || message[i] == '\t' || message[i] == '\n' || message[i] == '\r')) {
      ++i;
    }
  };
  skip_space();
  if (i >= message.size() || message[i] != ':') return "";
  ++i;
  skip_space();
  if (i >= message.size() || message[i] != '"') return "";
  size_t end = message.find('"', i + 1);
  if (end == std::string_view::npos) return "";
  std::string_view id = message.substr(i + 1, end - i - 1);
  if (id.find('\\') != std::string_view::npos) return "";
  return std::string(id);
}

}  // namespace

StreamEnvelope ReadStreamEnvelope(const std::string& message) {
  StreamEnvelope envelope;
  thread_local simdjson::ondemand::parser parser;
  simdjson::padded_string padded(message);
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(document) != simdjson::SUCCESS ||
      document.get_object().get(object) != simdjson::SUCCESS) {
    envelope.request_id = ScanRequestId(message);
    return envelope;
  }

  // Errors past this point leave the fields read so far; the full parse
  // reports what is wrong with the message.
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) break;
    std::string_view text;
    if (key == "requestId") {
      if (field.value().get_string().get(text) == simdjson::SUCCESS) {
        envelope.request_id = std::string(text);
      }
    } else if (key == "batch") {
      envelope.call = SegmentCall::kBatch;
    } else if (key == "type" && envelope.call != SegmentCall::kBatch) {
      if (field.value().get_string().get(text) == simdjson::SUCCESS) {
        envelope.call = CallForType(text);
      }
    }
  }
  // On-Demand stops at the first structural error, which may come before
  // the id of a malformed message.
  if (envelope.request_id.empty()) envelope.request_id = ScanRequestId(message);
  return envelope;
}

std::string EncodeStreamAccepted(std::string_view request_id, size_t accepted, size_t duplicates,
                                 std::span<const EventRejection> rejected) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("requestId");
  writer.String(request_id);
  writer.Key("status");
  writer.Int(200);
  writer.Key("accepted");
  writer.Int(static_cast<int64_t>(accepted));
  writer.Key("duplicates");
  writer.Int(static_cast<int64_t>(duplicates));
  writer.Key("rejected");
  WriteRejections(writer, rejected);
  writer.EndObject();
  return writer.Release();
}

std::string EncodeStreamError(std::string_view request_id, const RequestError& error) {
  JsonWriter writer;
  writer.BeginObject();
  writer.Key("requestId");
  writer.String(request_id);
  writer.Key("status");
  writer.Int(error.http_status);
  writer.Key("error");
  writer.String(error.code);
  writer.Key("message");
  writer.String(error.message);
  writer.EndObject();
  return writer.Release();
}

}  // namespace uptake
