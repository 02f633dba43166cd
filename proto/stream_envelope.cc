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

}  // namespace

StreamEnvelope ReadStreamEnvelope(const std::string& message) {
  StreamEnvelope envelope;
  thread_local simdjson::ondemand::parser parser;
  simdjson::padded_string padded(message);
  simdjson::ondemand::document document;
  if (parser.iterate(padded).get(document) != simdjson::SUCCESS) return envelope;
  simdjson::ondemand::object object;
  if (document.get_object().get(object) != simdjson::SUCCESS) return envelope;

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
