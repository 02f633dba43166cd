#include "proto/detail/message_id.h"

#include <cstdint>
#include <random>

namespace uptake::detail {

std::string GenerateMessageId() {
  thread_local std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "uptake-";
  id.reserve(id.size() + 32);
  for (int word = 0; word < 2; ++word) {
    uint64_t bits = generator();
    for (int i = 0; i < 16; ++i, bits >>= 4) id.push_back(kHex[bits & 0x0f]);
  }
  return id;
}

}  // namespace uptake::detail
