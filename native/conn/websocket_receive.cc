// The receive side of a WebSocket connection: the upgrade head, then frames,
// unmasked in place, validated, and handed on as messages or control events.
#include "../protocol/websocket/frame.h"
#include "../protocol/websocket/handshake.h"
#include "../protocol/websocket/utf8.h"
#include "connection.h"
#include "core.h"

namespace nw {

namespace http = protocol::http;
namespace ws = protocol::websocket;
namespace utf8 = protocol::utf8;

size_t Connection::consumeWebSocket(uint8_t* p, size_t n, bool inSlab) {
  switch (ws_->phase) {
    case WebSocketSession::kAwaitHead:
      return consumeUpgradeRequest(p, n, inSlab);
    case WebSocketSession::kAwaitResponse:
      return consumeUpgradeResponse(p, n, inSlab);
    case WebSocketSession::kAwaitAccept:
      return 0;
    case WebSocketSession::kOpen:
      return consumeFrames(p, n, inSlab);
  }
  return 0;
}

size_t Connection::consumeUpgradeRequest(uint8_t* p, size_t n, bool inSlab) {
  http::Limits limits;
  if (listener_) limits.maxHeadSize = listener_->maxHeadSize;
  ws::UpgradeRequest request;
  if (!ws::parseUpgradeRequest(p, n, limits, inSlab ? 0 : tailScanned_, &request)) {
    tailScanned_ = n;
    return 0;
  }
  tailScanned_ = 0;
  if (request.status) {
    if (request.status == 431 || request.status == 414) core_.stats_.headTooLarge++;
    else core_.stats_.handshakeErrors++;
    core_.rejectHandshake(this, request.status, request.error);
    return n;
  }
  ws_->acceptKey = std::move(request.acceptKey);
  ws_->phase = WebSocketSession::kAwaitAccept;
  core_.updateInterest(this);  // hold further input until JS accepts
  emitPayload(kEventHandshake, p, request.headLength, inSlab);
  return request.headLength;
}

size_t Connection::consumeUpgradeResponse(uint8_t* p, size_t n, bool inSlab) {
  ws::UpgradeResponse response;
  if (!ws::parseUpgradeResponse(p, n, ws_->acceptKey, &response)) return 0;
  if (!response.problem.empty()) {
    core_.failConnect(this, response.problem.c_str());
    return n;
  }
  ws_->acceptKey.clear();
  ws_->acceptKey.shrink_to_fit();
  ws_->phase = WebSocketSession::kOpen;
  emitPayload(kEventUpgraded, p, response.headLength, inSlab);
  return response.headLength;
}

size_t Connection::consumeFrames(uint8_t* p, size_t n, bool inSlab) {
  WebSocketSession& s = *ws_;
  size_t pos = 0;
  while (pos < n && !closed_ && !s.closeReceived && !failed_) {
    ws::FrameHeader h;
    int headerLength = ws::parseHeader(p + pos, n - pos, &h);
    if (headerLength == 0) break;
    if (headerLength < 0 || h.rsv || !ws::isKnownOpcode(h.opcode) || h.masked == s.client) {
      core_.failWebSocket(this, 1002, kProtocolError);
      return n;
    }
    bool control = ws::isControl(h.opcode);
    if (control) {
      // Control frames must use the 7-bit length form (as ws and uWS require).
      bool shortForm = size_t(headerLength) == (h.masked ? 6u : 2u);
      if (!h.fin || h.length > ws::kMaxControlPayload || !shortForm) {
        core_.failWebSocket(this, 1002, kProtocolError);
        return n;
      }
    } else if ((h.opcode == ws::kContinuation) != (s.messageOpcode != 0)) {
      core_.failWebSocket(this, 1002, kProtocolError);
      return n;
    } else if (h.length + s.fragments.size() > maxPackageSize) {
      // Decided from the header, before any of the payload is buffered.
      core_.failWebSocket(this, 1009, kPackageTooLarge);
      return n;
    }
    if (h.length > n - pos - size_t(headerLength)) break;
    uint8_t* payload = p + pos + headerLength;
    size_t length = size_t(h.length);
    if (h.masked) ws::applyMask(payload, length, h.mask, 0);
    pos += size_t(headerLength) + length;
    s.pingOutstanding = false;
    if (s.closeSent && h.opcode != ws::kClose) continue;  // closing: only the peer's close matters
    bool ok = true;
    switch (h.opcode) {
      case ws::kPing:
        emitPayload(kEventPing, payload, length, inSlab);
        break;
      case ws::kPong:
        emitPayload(kEventPong, payload, length, inSlab);
        break;
      case ws::kClose:
        ok = handleCloseFrame(payload, length, inSlab);
        break;
      default:
        ok = handleDataFrame(h.opcode, h.fin, payload, length, inSlab);
    }
    if (!ok) return n;
  }
  return pos;
}

bool Connection::handleDataFrame(uint8_t opcode, bool fin, uint8_t* payload, size_t length, bool inSlab) {
  WebSocketSession& s = *ws_;
  uint8_t messageOpcode = opcode == ws::kContinuation ? s.messageOpcode : opcode;
  bool nonAscii = opcode == ws::kContinuation && s.nonAscii;
  if (messageOpcode == ws::kText) {
    s.utf8State = utf8::step(opcode == ws::kContinuation ? s.utf8State : utf8::kAccept, payload, length, &nonAscii);
    if (s.utf8State == utf8::kReject || (fin && s.utf8State != utf8::kAccept)) {
      core_.failWebSocket(this, 1007, kProtocolError);
      return false;
    }
  }
  if (fin && opcode != ws::kContinuation) {
    countRequest();
    int32_t type = opcode == ws::kBinary ? kEventBinaryMessage : nonAscii ? kEventMessage : kEventAsciiMessage;
    emitPayload(type, payload, length, inSlab);
    return true;
  }
  s.nonAscii = nonAscii;
  s.messageOpcode = messageOpcode;
  if (!s.fragments.append(payload, length, core_.pool_)) {
    core_.failWebSocket(this, 1009, kPackageTooLarge);
    return false;
  }
  if (!fin) return true;
  countRequest();
  int32_t type = messageOpcode == ws::kBinary ? kEventBinaryMessage : nonAscii ? kEventMessage : kEventAsciiMessage;
  emitPayload(type, s.fragments.data(), s.fragments.size(), false);
  s.fragments.release(core_.pool_);
  s.messageOpcode = 0;
  s.nonAscii = false;
  return true;
}

bool Connection::handleCloseFrame(uint8_t* payload, size_t length, bool inSlab) {
  WebSocketSession& s = *ws_;
  uint32_t code = 1005;  // "no status received"
  if (length == 1) {
    core_.failWebSocket(this, 1002, kProtocolError);
    return false;
  }
  if (length >= 2) {
    code = (uint32_t(payload[0]) << 8) | payload[1];
    if (!ws::validCloseCode(code)) {
      core_.failWebSocket(this, 1002, kProtocolError);
      return false;
    }
    if (!utf8::valid(payload + 2, length - 2)) {
      core_.failWebSocket(this, 1007, kProtocolError);
      return false;
    }
  }
  s.closeReceived = true;
  core_.updateInterest(this);
  emitPayload(int32_t(kEventWsClose | (code << 8)), payload + (length >= 2 ? 2 : 0), length >= 2 ? length - 2 : 0,
              inSlab);
  // Our close went first: the handshake is complete, the TCP side can go.
  if (s.closeSent) core_.closeAfterFlush(this);
  return true;
}

}  // namespace nw
