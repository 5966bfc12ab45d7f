// RFC 6455 frame headers and masking: pure functions over bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace nw {
namespace protocol {
namespace websocket {

enum Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

constexpr size_t kMaxHeaderSize = 14;
constexpr uint8_t kRsv1 = 0x4;  // FrameHeader::rsv's bit for RSV1 (permessage-deflate)
constexpr uint8_t kRsv1Bit = 0x40;  // the same in a frame's first byte
constexpr size_t kMaxControlPayload = 125;

struct FrameHeader {
  bool fin;
  uint8_t rsv;  // the three reserved bits, shifted down
  uint8_t opcode;
  bool masked;
  uint64_t length;
  size_t headerLength;
  uint8_t mask[4];
};

// 0: more bytes needed; > 0: the header length (h filled); < 0: a 64-bit
// length with its top bit set, which RFC 6455 forbids.
inline int parseHeader(const uint8_t* p, size_t n, FrameHeader* h) {
  if (n < 2) return 0;
  h->fin = (p[0] & 0x80) != 0;
  h->rsv = (p[0] >> 4) & 0x7;
  h->opcode = p[0] & 0x0F;
  h->masked = (p[1] & 0x80) != 0;
  uint64_t len = p[1] & 0x7F;
  size_t pos = 2;
  if (len == 126) {
    if (n < 4) return 0;
    len = (uint64_t(p[2]) << 8) | p[3];
    pos = 4;
  } else if (len == 127) {
    if (n < 10) return 0;
    len = 0;
    for (int i = 0; i < 8; i++) len = (len << 8) | p[2 + i];
    if (len >> 63) return -1;
    pos = 10;
  }
  if (h->masked) {
    if (n < pos + 4) return 0;
    std::memcpy(h->mask, p + pos, 4);
    pos += 4;
  }
  h->length = len;
  h->headerLength = pos;
  return int(pos);
}

inline bool isControl(uint8_t opcode) { return (opcode & 0x8) != 0; }
inline bool isKnownOpcode(uint8_t opcode) { return opcode <= kBinary || (opcode >= kClose && opcode <= kPong); }

inline size_t headerSize(uint64_t length, bool masked) {
  size_t size = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
  return masked ? size + 4 : size;
}

// Writes a header (with the mask key when given); returns its length.
inline size_t writeHeader(uint8_t* out, bool fin, uint8_t opcode, uint64_t length, const uint8_t* mask) {
  out[0] = uint8_t((fin ? 0x80 : 0) | opcode);
  uint8_t maskBit = mask ? 0x80 : 0;
  size_t pos;
  if (length < 126) {
    out[1] = uint8_t(maskBit | length);
    pos = 2;
  } else if (length <= 0xFFFF) {
    out[1] = uint8_t(maskBit | 126);
    out[2] = uint8_t(length >> 8);
    out[3] = uint8_t(length);
    pos = 4;
  } else {
    out[1] = uint8_t(maskBit | 127);
    for (int i = 0; i < 8; i++) out[2 + i] = uint8_t(length >> (56 - 8 * i));
    pos = 10;
  }
  if (mask) {
    std::memcpy(out + pos, mask, 4);
    pos += 4;
  }
  return pos;
}

// XORs p[0..n) with the mask, as if p started `offset` bytes into the payload.
inline void applyMask(uint8_t* p, size_t n, const uint8_t mask[4], size_t offset) {
  uint8_t m[4];
  for (int i = 0; i < 4; i++) m[i] = mask[(offset + i) & 3];
  uint32_t m32;
  std::memcpy(&m32, m, 4);
  uint64_t m64 = (uint64_t(m32) << 32) | m32;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    w ^= m64;
    std::memcpy(p + i, &w, 8);
  }
  for (; i < n; i++) p[i] ^= m[i & 3];
}

// The one frame writer (send, broadcast, publish, close, ping, the client's
// masking). A payload of `length` bytes sits at out + room, where room is at
// least headerSize(length, masked): writes the header just before it, moving
// the payload down when room was larger, masks it when a mask is given, and
// returns the frame's size, from out.
inline size_t frameInPlace(uint8_t* out, size_t room, uint8_t opcode, size_t length, const uint8_t* mask) {
  size_t header = headerSize(length, mask != nullptr);
  if (room != header && length) std::memmove(out + header, out + room, length);
  writeHeader(out, true, opcode, length, mask);
  if (mask) applyMask(out + header, length, mask, 0);
  return header + length;
}

// A whole frame of payload[0..length) into out (headerSize + length bytes).
inline size_t writeFrame(uint8_t* out, uint8_t opcode, const uint8_t* payload, size_t length, const uint8_t* mask) {
  uint8_t* at = out + headerSize(length, mask != nullptr);
  if (length) std::memcpy(at, payload, length);
  return frameInPlace(out, size_t(at - out), opcode, length, mask);
}

// Close codes a peer may send (RFC 6455 7.4, as ws and uWS check them).
inline bool validCloseCode(uint32_t code) {
  if (code >= 3000 && code <= 4999) return true;
  if (code < 1000 || code > 1014) return false;
  return code != 1004 && code != 1005 && code != 1006;
}

}  // namespace websocket
}  // namespace protocol
}  // namespace nw
