// UTF-8 well-formedness, shared by the writers that must not pass on
// ill-formed bytes.

#ifndef UPTAKE_PROTO_UTF8_H_
#define UPTAKE_PROTO_UTF8_H_

#include <cstddef>
#include <string_view>

namespace uptake {

// Returns the length of the well-formed UTF-8 sequence that starts `text`,
// whose first byte is 0x80 or above. Returns 0 for an ill-formed one: a
// stray continuation byte, a truncated or overlong sequence, a UTF-16
// surrogate, or a code point past U+10FFFF (RFC 3629, section 4).
size_t Utf8SequenceLength(std::string_view text);

}  // namespace uptake

#endif  // UPTAKE_PROTO_UTF8_H_
