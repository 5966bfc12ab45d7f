// The descriptors the core hands to its embedder, four int32 each:
// [type, slot, a, b]. The binding exports these numbers (Constants() in
// binding/addon.cc); lib/native.ts takes them from there, by name.
#pragma once
#include <cstdint>

namespace nw {

// Payload events carry a = slab offset, b = length; when the payload did not
// fit the slab the type has kEventStashed set and a = the index of a buffer
// the embedder stashed. Bits above the low byte carry per-type extras.
enum EventType : int32_t {
  kEventAccept = 1,          // a = listener id
  kEventMessage = 2,         // text, UTF-8
  kEventAsciiMessage = 3,    // text, pure ASCII
  kEventClose = 5,           // a = CloseReason
  kEventDrain = 6,
  kEventError = 7,           // a = ErrorCode, b = detail (WebSocket close code, HTTP status, or 1 = buffer full)
  kEventBinaryMessage = 8,   // binary
  kEventBufferFull = 10,
  kEventHandshake = 11,      // the WebSocket upgrade request head
  kEventPing = 12,
  kEventPong = 13,
  kEventWsClose = 14,        // a peer's close frame: reason bytes; the code is type >> 8
  kEventWsCloseSent = 15,    // the core sent a close frame itself: a = code
  kEventConnect = 16,        // a client connection's stream is established
  kEventConnectFail = 17,    // a = errno, or 0 with the reason as payload
  kEventHttpRequest = 18,    // head + body; type >> 8: bit 0 keep-alive, bit 1 HEAD, bits 2.. head length
  kEventUpgraded = 19,       // a ws:// client's valid 101: the response head
  kEventDatagram = 20,       // slot = UDP socket id; a = offset of the sender (kDatagramHeader bytes) and then
                             // the payload, b = payload length; type >> 8: 0 bytes, 1 UTF-8 text, 2 ASCII text
  kEventDatagramError = 21,  // slot = UDP socket id, a = errno (a connected socket's ICMP error)
  kEventHttpUpgrade = 22,    // an http:// listener that takes upgrades: the slot's next kEventHttpRequest asks
                             // for a WebSocket; a = 0 when the upgrade is valid, else the status refusing it
  kEventServerName = 23,     // a TLS handshake waits for the certificate for this server name (payload)
};
constexpr int32_t kEventTypeMask = 0x7F;
constexpr int32_t kEventStashed = 0x80;

constexpr int kEventWords = 4;

// Before a datagram's payload in the slab: family (4 or 6), 0, port (big
// endian), then 16 address bytes (IPv4: the first 4).
constexpr int32_t kDatagramHeader = 20;

enum CloseReason : int32_t {
  kClosedByPeer = 0,
  kClosedLocally = 1,  // close() finished flushing
  kClosedOnError = 2,  // reset, write failure, bad input
  kClosedIdle = 3,
  kClosedShutdown = 4,  // the core is being torn down
};

// Workerman's numbers for the first two.
enum ErrorCode : int32_t {
  kConnectFail = 1,
  kSendFail = 2,
  kPackageTooLarge = 3,
  kProtocolError = 4,
};

// send() outcomes; kBecameFull may be or-ed onto kSent/kQueued.
enum SendResult : int32_t {
  kSent = 0,           // true
  kQueued = 1,         // null
  kRefusedClosed = 2,  // false: closing or closed
  kRefusedFull = 3,    // false: queue at or over maxSendBufferSize
  kPeerGone = 4,       // false: the write failed, the connection is now closed
  kBecameFull = 8,
  kTooLarge = 16,  // not for JS: the payload cannot be framed (frame:// over 4 GiB); the binding throws
};

}  // namespace nw
