#include "proto/detail/json_values.h"

#include "proto/body.h"
#include "proto/time.h"

namespace uptake::detail {

namespace ondemand = simdjson::ondemand;

IdRead ReadId(ondemand::value value, int max_depth) {
  IdRead read;
  ondemand::json_type type;
  if (value.type().get(type)) return {JsonFault::kMalformed, false, {}};

  if (type == ondemand::json_type::string) {
    const StringRead text = ReadString(value);
    read.fault = text.fault;
    read.text = text.text;
  } else if (type == ondemand::json_type::number) {
    read.text = TrimTrailingWhitespace(value.raw_json_token());
    if (!IsJsonNumber(read.text)) read.fault = JsonFault::kMalformed;
  } else if (type == ondemand::json_type::null) {
    read.fault = CheckScalar(value, type);
  } else {
    read.fault = WalkValue(value, 1, max_depth);
    read.wrong_type = true;
  }
  return read;
}

TimeRead ReadTime(ondemand::value value, int max_depth) {
  TimeRead read;
  ondemand::json_type type;
  if (value.type().get(type)) return {JsonFault::kMalformed, false, {}};

  if (type == ondemand::json_type::null) {
    read.fault = CheckScalar(value, type);
    return read;
  }
  if (type != ondemand::json_type::string) {
    read.fault = WalkValue(value, 1, max_depth);
    read.invalid = true;
    return read;
  }
  const StringRead text = ReadString(value);
  read.fault = text.fault;
  if (text.fault == JsonFault::kNone) {
    read.ms = ParseIso8601Ms(text.text);
    read.invalid = !read.ms;
  }
  return read;
}

// Values past 1e11 cannot be seconds (that is the year 5138), so they are
// milliseconds.
CreatedAtRead ReadCreatedAt(ondemand::value value, int max_depth) {
  ondemand::json_type type;
  if (value.type().get(type)) return {JsonFault::kMalformed, std::nullopt};

  if (type == ondemand::json_type::string) {
    const StringRead text = ReadString(value);
    if (text.fault != JsonFault::kNone) return {text.fault, std::nullopt};
    return {JsonFault::kNone, ParseIso8601Ms(text.text)};
  }
  if (type != ondemand::json_type::number) return {WalkValue(value, 2, max_depth), std::nullopt};

  const JsonFault fault = CheckScalar(value, type);
  double number = 0;
  if (fault != JsonFault::kNone || value.get_double().get(number)) return {fault, std::nullopt};
  // Beyond +-1e15 ms (about 31,000 years) the value is not a date.
  if (!(number > -1e15 && number < 1e15)) return {fault, std::nullopt};
  return {fault, static_cast<int64_t>(number > 1e11 ? number : number * 1000)};
}

std::string Quoted(std::string_view name) {
  std::string quoted;
  quoted.reserve(name.size() + 2);
  quoted.push_back('\'');
  quoted.append(name);
  quoted.push_back('\'');
  return quoted;
}

static_assert(kBodyPaddingBytes >= simdjson::SIMDJSON_PADDING,
              "bodies reserved with kBodyPaddingBytes must parse in place");

simdjson::padded_string_view PadJson(const std::string& body) {
  if (body.capacity() - body.size() >= simdjson::SIMDJSON_PADDING) {
    return simdjson::padded_string_view(body.data(), body.size(), body.capacity());
  }
  thread_local std::string padded;
  padded.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(body);
  return simdjson::padded_string_view(padded.data(), padded.size(), padded.capacity());
}

}  // namespace uptake::detail
