#include "bench/batch_response.h"

#include <simdjson.h>

namespace uptake {
namespace {

namespace ondemand = simdjson::ondemand;

simdjson::error_code ReadRejectedEvent(ondemand::object item, RejectedEvent* event) {
  for (auto field : item) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return error;
    std::string_view text;
    if (key == "index") {
      if (auto error = field.value().get_int64().get(event->index)) return error;
    } else if (key == "error") {
      if (auto error = field.value().get_string().get(text)) return error;
      event->error = text;
    } else if (key == "message") {
      if (auto error = field.value().get_string().get(text)) return error;
      event->message = text;
    }
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ReadRejectedList(ondemand::array list, std::vector<RejectedEvent>* out) {
  for (auto element : list) {
    ondemand::object item;
    if (auto error = element.get_object().get(item)) return error;
    RejectedEvent event;
    if (auto error = ReadRejectedEvent(item, &event)) return error;
    out->push_back(std::move(event));
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ReadResponse(ondemand::object object, BatchResponse* response) {
  for (auto field : object) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return error;
    if (key == "accepted") {
      if (auto error = field.value().get_int64().get(response->accepted)) return error;
    } else if (key == "duplicates") {
      if (auto error = field.value().get_int64().get(response->duplicates)) return error;
    } else if (key == "rejected") {
      ondemand::array list;
      if (auto error = field.value().get_array().get(list)) return error;
      if (auto error = ReadRejectedList(list, &response->rejected)) return error;
    }
  }
  return simdjson::SUCCESS;
}

}  // namespace

Result<BatchResponse> ParseBatchResponse(std::string_view body) {
  const simdjson::padded_string padded(body);
  ondemand::parser parser;
  ondemand::document document;
  ondemand::object object;
  BatchResponse response;

  simdjson::error_code error = parser.iterate(padded).get(document);
  if (!error) error = document.get_object().get(object);
  if (!error) error = ReadResponse(object, &response);
  if (error) {
    return Result<BatchResponse>::Error(std::string("invalid batch response: ") +
                                        simdjson::error_message(error));
  }
  return Result<BatchResponse>::Ok(std::move(response));
}

}  // namespace uptake
