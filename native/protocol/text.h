// text:// — a message is a line ending in "\n"; the payload drops the "\n"
// and one "\r" before it.
#pragma once
#include <cstring>

#include "framing.h"

namespace nw {
namespace protocol {
namespace text {

// `scanned` bytes at the front are known to hold no newline.
inline Boundary boundary(const uint8_t* data, size_t len, size_t scanned) {
  if (scanned >= len) return {0};
  const void* nl = std::memchr(data + scanned, '\n', len - scanned);
  if (!nl) return {0};
  return {static_cast<const uint8_t*>(nl) - data + 1};
}

inline Payload payload(const uint8_t* message, size_t length) {
  size_t n = length - 1;
  if (n > 0 && message[n - 1] == '\r') n--;
  return {0, n};
}

}  // namespace text
}  // namespace protocol
}  // namespace nw
