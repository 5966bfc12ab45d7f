#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace nw {
namespace protocol {

// True when every byte is below 0x80, so latin1 decoding equals UTF-8 decoding.
inline bool isAscii(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080ull) return false;
  }
  for (; i < n; i++)
    if (p[i] & 0x80) return false;
  return true;
}

}  // namespace protocol
}  // namespace nw
