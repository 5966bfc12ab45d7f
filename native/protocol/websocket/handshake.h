// The HTTP/1.1 Upgrade handshake (RFC 6455 4.1/4.2), server and client side:
// a layer over the one HTTP head parser (http/head.h), so an upgrade request
// meets every rule an HTTP request does (request_head.h) before the
// WebSocket ones, and the client's 101 is read with the same field rules.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "../http/request_head.h"

namespace nw {
namespace protocol {
namespace websocket {

struct UpgradeRequest {
  int status = 0;          // 0 when valid; else the HTTP status to answer
  const char* error = "";  // why, for the response body
  size_t headLength = 0;   // bytes up to and including the blank line
  std::string acceptKey;   // Sec-WebSocket-Accept to send back
  std::string extensions;  // every Sec-WebSocket-Extensions line's value, joined with ", "
};

// The server side. Returns false while the head is unfinished (and nothing
// refuses it yet); `scanned` as for http::parseHead.
bool parseUpgradeRequest(const uint8_t* p, size_t n, const http::Limits& limits, size_t scanned, UpgradeRequest* out);

// An http:// listener that also takes upgrades: the request head as
// http::parseRequestHead reads it (same return value), and whether it asks for
// a WebSocket (Upgrade: websocket and Connection: upgrade). When it does and
// the head is valid HTTP, `upgrade` says whether the WebSocket rules accept it
// (status 0 and the accept key) or why not (400, 426).
bool parseRequestOrUpgrade(const uint8_t* p, size_t n, const http::Limits& limits, size_t scanned,
                           http::RequestHead* head, bool* asksUpgrade, UpgradeRequest* upgrade);

struct UpgradeResponse {
  size_t headLength = 0;
  std::string problem;  // "" for a 101 whose Sec-WebSocket-Accept matches; else what is wrong
  bool extensionsPresent = false;
  std::string extensions;  // as UpgradeRequest::extensions
};

// The client side, with the default limits. Returns false while the head is
// unfinished (and nothing refuses it yet).
bool parseUpgradeResponse(const uint8_t* p, size_t n, const std::string& expectedAccept, UpgradeResponse* out);

}  // namespace websocket
}  // namespace protocol
}  // namespace nw
