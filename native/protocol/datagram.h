// One datagram is one message: how text:// and frame:// decode a whole
// datagram (udp:// keeps it as it is). Pure functions over bytes.
#pragma once
#include <cstring>

#include "frame.h"
#include "framing.h"

namespace nw {
namespace protocol {
namespace datagram {

// False when the datagram is not exactly one message of `kind`: text, one
// line ending in "\n" (the payload drops it and one "\r" before it); frame, a
// header whose total length is the datagram's.
inline bool decode(Kind kind, const uint8_t* data, size_t length, Payload* out) {
  switch (kind) {
    case Kind::Text: {
      if (length == 0 || data[length - 1] != '\n') return false;
      if (std::memchr(data, '\n', length - 1) != nullptr) return false;
      size_t n = length - 1;
      if (n > 0 && data[n - 1] == '\r') n--;
      *out = {0, n};
      return true;
    }
    case Kind::Frame: {
      Boundary b = frame::boundary(data, length);
      // 0: fewer than 4 bytes (an empty datagram too), never a frame.
      if (b.length <= 0 || b.length != int64_t(length)) return false;
      *out = frame::payload(data, length);
      return true;
    }
    case Kind::Raw:
      *out = {0, length};
      return true;
    default:
      return false;
  }
}

}  // namespace datagram
}  // namespace protocol
}  // namespace nw
