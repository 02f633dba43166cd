// Message ids for events that arrive without one.

#ifndef UPTAKE_PROTO_DETAIL_MESSAGE_ID_H_
#define UPTAKE_PROTO_DETAIL_MESSAGE_ID_H_

#include <string>

namespace uptake::detail {

// Returns "uptake-" followed by 32 random hex digits. Events without a
// client id still need a unique id to be stored, and a random id never
// matches a retry, so such events are not deduplicated. Thread-safe: each
// thread has its own generator.
std::string GenerateMessageId();

}  // namespace uptake::detail

#endif  // UPTAKE_PROTO_DETAIL_MESSAGE_ID_H_
