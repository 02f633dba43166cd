// A small streaming JSON writer for API responses. Strings are escaped by length,
// so embedded NUL bytes are written as \u0000 and never end a string early.
// Each byte of a key or string that is not well-formed UTF-8 is written as
// \ufffd, so the output is valid JSON whatever bytes a request carried.

#ifndef UPTAKE_PROTO_JSON_WRITER_H_
#define UPTAKE_PROTO_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace uptake {

class JsonWriter {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();

  // Writes an object key; the next call writes its value.
  void Key(std::string_view key);

  void String(std::string_view value);
  void Int(int64_t value);
  // Writes `value` as a plain integer when it is whole and at most 1e15 in
  // magnitude, otherwise in the shortest form that reads back as the same
  // double. Writes null when `value` is not finite, so output stays valid
  // JSON.
  void Double(double value);
  void Bool(bool value);
  void Null();
  // Writes `json` as it is; the caller guarantees it is one valid value.
  void Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Release() { return std::move(out_); }

 private:
  void Separate();

  std::string out_;
  bool need_comma_ = false;
};

}  // namespace uptake

#endif  // UPTAKE_PROTO_JSON_WRITER_H_
