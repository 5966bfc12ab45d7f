// How a payload is framed on the way out, for every built-in protocol: the
// core picks the Framing from the connection's kind (and websocketType), the
// binding only copies the payload in. Pure functions over bytes.
#pragma once
#include <cstddef>
#include <cstdint>

#include "frame.h"
#include "websocket/frame.h"

namespace nw {
namespace protocol {

enum class Framing : uint8_t {
  None = 0,    // raw bytes (tcp, http, a user protocol's encode())
  Line = 1,    // text://: "\n" after
  Length = 2,  // frame://: 4-byte total length before
  WsText = 3,  // WebSocket frames, by opcode
  WsBinary = 4,
  WsPing = 5,
  WsPong = 6,
  WsClose = 7,
};

// What a WebSocket send() of a string or of bytes becomes (websocketType).
enum class WebSocketType : uint8_t { Text = 0, Binary = 1, Auto = 2 };

inline Framing websocketFraming(WebSocketType type, bool text) {
  return type == WebSocketType::Binary || (type == WebSocketType::Auto && !text) ? Framing::WsBinary : Framing::WsText;
}

inline bool isWebSocket(Framing f) { return f >= Framing::WsText; }

inline uint8_t opcodeOf(Framing f) {
  switch (f) {
    case Framing::WsText: return websocket::kText;
    case Framing::WsBinary: return websocket::kBinary;
    case Framing::WsPing: return websocket::kPing;
    case Framing::WsPong: return websocket::kPong;
    default: return websocket::kClose;
  }
}

// The room to leave before a payload whose length is known only to lie in
// [minLength, maxLength] (a string before it is encoded): the header of the
// longest, which frameInPlace() shrinks to the exact one.
inline size_t headerRoom(Framing f, size_t maxLength, bool masked) {
  if (f == Framing::Length) return frame::kHeaderSize;
  if (isWebSocket(f)) return websocket::headerSize(maxLength, masked);
  return 0;
}

inline size_t trailerSize(Framing f) { return f == Framing::Line ? 1 : 0; }

// Whether a payload this long can be framed at all (frame:// counts in 32 bits).
inline bool fits(Framing f, size_t length) {
  return f != Framing::Length || length <= UINT32_MAX - frame::kHeaderSize;
}

// The payload's `length` bytes sit at out + room (room from headerRoom(), the
// trailer's byte free after them): frames them in place and returns the
// framed size, from out. `mask` (4 bytes) only for a WebSocket client.
inline size_t frameInPlace(uint8_t* out, size_t room, Framing f, size_t length, const uint8_t* mask) {
  switch (f) {
    case Framing::None: return length;
    case Framing::Line: out[length] = '\n'; return length + 1;
    case Framing::Length: frame::writeHeader(out, uint32_t(length)); return frame::kHeaderSize + length;
    default: return websocket::frameInPlace(out, room, opcodeOf(f), length, mask);
  }
}

}  // namespace protocol
}  // namespace nw
