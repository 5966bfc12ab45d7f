// frame:// — a 4-byte big-endian total length (header included), then the payload.
#pragma once
#include "framing.h"

namespace nw {
namespace protocol {
namespace frame {

constexpr size_t kHeaderSize = 4;

inline Boundary boundary(const uint8_t* data, size_t len) {
  if (len < kHeaderSize) return {0};
  uint32_t total = (uint32_t(data[0]) << 24) | (uint32_t(data[1]) << 16) | (uint32_t(data[2]) << 8) | data[3];
  if (total < kHeaderSize) return {-1};
  return {int64_t(total)};
}

inline Payload payload(const uint8_t*, size_t length) { return {kHeaderSize, length - kHeaderSize}; }

inline void writeHeader(uint8_t* out, uint32_t payloadLength) {
  uint32_t total = payloadLength + kHeaderSize;
  out[0] = uint8_t(total >> 24);
  out[1] = uint8_t(total >> 16);
  out[2] = uint8_t(total >> 8);
  out[3] = uint8_t(total);
}

}  // namespace frame
}  // namespace protocol
}  // namespace nw
