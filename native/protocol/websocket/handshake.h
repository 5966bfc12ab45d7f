// The HTTP/1.1 Upgrade handshake (RFC 6455 4.1/4.2), server and client side.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace nw {
namespace protocol {
namespace websocket {

// Length of the head including its blank line, or 0 when it has not ended.
// `scanned` bytes at the front are known not to hold the end.
size_t findHeadEnd(const uint8_t* p, size_t n, size_t scanned);

struct UpgradeRequest {
  int status = 0;          // 0 when valid; else the HTTP status to answer
  const char* error = "";  // why, for the response body
  std::string acceptKey;   // Sec-WebSocket-Accept to send back
};

UpgradeRequest checkUpgradeRequest(const uint8_t* head, size_t n);

// The client side: a 101 whose Sec-WebSocket-Accept matches. Returns "" when
// valid, otherwise what is wrong.
std::string checkUpgradeResponse(const uint8_t* head, size_t n, const std::string& expectedAccept);

// Calls fn(name, nameLength, value, valueLength) for each header line; false
// when a line is malformed (no colon, whitespace before it, folding).
template <typename Fn>
bool forEachHeader(const uint8_t* head, size_t n, Fn fn);

}  // namespace websocket
}  // namespace protocol
}  // namespace nw

#include "handshake-inl.h"
