// The descriptors the core hands to its embedder, four int32 each:
// [type, slot, a, b]. lib/native.ts mirrors these numbers.
#pragma once
#include <cstdint>

namespace nw {

enum EventType : int32_t {
  kEventAccept = 1,        // a = listener id
  kEventMessage = 2,       // a = slab offset, b = length
  kEventAsciiMessage = 3,  // as kEventMessage; the bytes are pure ASCII
  kEventLargeMessage = 4,  // a = index of a buffer the embedder stashed, b = length
  kEventClose = 5,         // a = CloseReason
  kEventDrain = 6,
  kEventError = 7,  // a = ErrorCode; a close event follows when the connection ends
};

constexpr int kEventWords = 4;

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
};

}  // namespace nw
