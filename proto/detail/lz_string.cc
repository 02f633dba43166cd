#include "proto/detail/lz_string.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace uptake::detail {

namespace {

constexpr uint32_t kLiteral8 = 0;
constexpr uint32_t kLiteral16 = 1;
constexpr uint32_t kEndOfStream = 2;

// Code widths grow with the dictionary. A stream needing more than 31 bits
// would name over two billion entries, more than any accepted body contains.
constexpr int kMaxCodeBits = 31;

// Returns the 6-bit value of an LZ-String base64 digit, or -1 outside the
// alphabet. '=' pads the last digit group and carries zero bits.
int DigitValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  if (c == '=') return 0;
  return -1;
}

class BitReader {
 public:
  explicit BitReader(std::string_view input) : input_(input) {}

  // Reads a `count`-bit code, least significant bit first. Returns nullopt
  // when the input ends or contains a digit outside the alphabet.
  std::optional<uint32_t> Read(int count) {
    uint32_t code = 0;
    for (int i = 0; i < count; ++i) {
      if (mask_ == 0 && !NextDigit()) return std::nullopt;
      if (digit_ & mask_) code |= uint32_t{1} << i;
      mask_ >>= 1;
    }
    return code;
  }

 private:
  bool NextDigit() {
    if (next_ == input_.size()) return false;
    const int value = DigitValue(input_[next_++]);
    if (value < 0) return false;
    digit_ = static_cast<uint32_t>(value);
    mask_ = 1u << 5;
    return true;
  }

  const std::string_view input_;
  size_t next_ = 0;
  uint32_t digit_ = 0;
  uint32_t mask_ = 0;  // the next bit of digit_ to read; 0 once it is used up
};

// A dictionary entry. Every entry is a run of the output already written,
// so it is stored as a position instead of a copy.
struct Span {
  uint32_t start = 0;
  uint32_t length = 0;
};

// Decompresses into UTF-16 code units, checking the limit as they grow.
class Decompressor {
 public:
  Decompressor(std::string_view input, size_t max_units) : reader_(input), max_units_(max_units) {}

  Lz64Status Run();
  const std::vector<char16_t>& units() const { return units_; }

 private:
  bool ReadLiteral(uint32_t code, Span& entry);
  bool CopyEntry(uint32_t code, Span previous, Span& entry);
  void CountEntry();

  BitReader reader_;
  const size_t max_units_;
  std::vector<char16_t> units_;
  // Codes 0 to 2 are reserved, so entries start at index 3.
  std::vector<Span> dictionary_ = std::vector<Span>(3);
  int code_bits_ = 2;
  // Entries still to add before the code width grows by one bit.
  uint32_t entries_until_wider_ = 1;
  bool too_large_ = false;
};

Lz64Status Decompressor::Run() {
  const std::optional<uint32_t> first = reader_.Read(code_bits_);
  if (!first || *first > kLiteral16) {
    return first == kEndOfStream ? Lz64Status::kOk : Lz64Status::kInvalid;
  }
  Span previous;
  if (!ReadLiteral(*first, previous)) return Lz64Status::kInvalid;

  for (;;) {
    if (code_bits_ > kMaxCodeBits) return Lz64Status::kInvalid;
    const std::optional<uint32_t> code = reader_.Read(code_bits_);
    if (!code) return Lz64Status::kInvalid;
    if (*code == kEndOfStream) return Lz64Status::kOk;

    Span entry;
    const bool ok =
        *code <= kLiteral16 ? ReadLiteral(*code, entry) : CopyEntry(*code, previous, entry);
    if (too_large_) return Lz64Status::kTooLarge;
    if (!ok) return Lz64Status::kInvalid;

    // The previous entry is followed in the output by the current one, so
    // the previous entry plus the current first unit is a contiguous run.
    dictionary_.push_back(Span{previous.start, previous.length + 1});
    CountEntry();
    previous = entry;
  }
}

// Appends a literal unit and adds it to the dictionary as its own entry.
bool Decompressor::ReadLiteral(uint32_t code, Span& entry) {
  const std::optional<uint32_t> unit = reader_.Read(code == kLiteral8 ? 8 : 16);
  if (!unit) return false;
  if (units_.size() + 1 > max_units_) {
    too_large_ = true;
    return false;
  }
  entry = Span{static_cast<uint32_t>(units_.size()), 1};
  units_.push_back(static_cast<char16_t>(*unit));
  dictionary_.push_back(entry);
  CountEntry();
  return true;
}

// Appends a copy of dictionary entry `code`. The one code not yet in the
// dictionary, its next index, stands for the previous entry plus its own
// first unit (the LZW case where an entry is used as soon as it is made).
bool Decompressor::CopyEntry(uint32_t code, Span previous, Span& entry) {
  Span source;
  if (code < dictionary_.size()) {
    source = dictionary_[code];
  } else if (code == dictionary_.size()) {
    source = Span{previous.start, previous.length + 1};
  } else {
    return false;
  }
  if (units_.size() + source.length > max_units_) {
    too_large_ = true;
    return false;
  }

  entry = Span{static_cast<uint32_t>(units_.size()), source.length};
  // Copied one unit at a time, because in the case above the source's last
  // unit is the first one this copy writes.
  for (uint32_t i = 0; i < source.length; ++i) {
    const char16_t unit = units_[source.start + i];
    units_.push_back(unit);
  }
  return true;
}

void Decompressor::CountEntry() {
  if (--entries_until_wider_ > 0) return;
  entries_until_wider_ = uint32_t{1} << code_bits_;
  ++code_bits_;
}

void AppendUtf8(uint32_t code_point, std::string& text) {
  if (code_point < 0x80) {
    text.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    text.push_back(static_cast<char>(0xc0 | (code_point >> 6)));
    text.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else if (code_point < 0x10000) {
    text.push_back(static_cast<char>(0xe0 | (code_point >> 12)));
    text.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    text.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else {
    text.push_back(static_cast<char>(0xf0 | (code_point >> 18)));
    text.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3f)));
    text.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    text.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  }
}

bool IsHighSurrogate(char16_t unit) { return unit >= 0xd800 && unit <= 0xdbff; }
bool IsLowSurrogate(char16_t unit) { return unit >= 0xdc00 && unit <= 0xdfff; }

Lz64Result ToUtf8(const std::vector<char16_t>& units, size_t max_output_bytes) {
  Lz64Result result;
  result.text.reserve(units.size());
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t code_point = units[i];
    if (IsHighSurrogate(units[i]) && i + 1 < units.size() && IsLowSurrogate(units[i + 1])) {
      code_point = 0x10000 + ((code_point - 0xd800) << 10) + (units[++i] - 0xdc00);
    } else if (IsHighSurrogate(units[i]) || IsLowSurrogate(units[i])) {
      return Lz64Result{Lz64Status::kInvalid, {}};
    }
    AppendUtf8(code_point, result.text);
    if (result.text.size() > max_output_bytes) return Lz64Result{Lz64Status::kTooLarge, {}};
  }
  return result;
}

}  // namespace

Lz64Result DecompressLz64(std::string_view input, size_t max_output_bytes) {
  // An empty input is not LZ-String output, which always contains at least the
  // end-of-stream code.
  if (input.empty()) return Lz64Result{Lz64Status::kInvalid, {}};

  // Each UTF-16 unit becomes at least one UTF-8 byte, so the unit count is
  // bounded by the byte limit.
  Decompressor decompressor(input, max_output_bytes);
  const Lz64Status status = decompressor.Run();
  if (status != Lz64Status::kOk) return Lz64Result{status, {}};
  return ToUtf8(decompressor.units(), max_output_bytes);
}

}  // namespace uptake::detail
