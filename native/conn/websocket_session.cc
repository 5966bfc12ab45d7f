// What a WebSocket server and client share: frames read (unmasked in place,
// validated, handed on as messages or control events), and the frames the core
// sends itself (close, pong, the failure's close).
#include "websocket_session.h"

#include <algorithm>
#include <cstring>

#include "../net/random.h"
#include "../protocol/websocket/frame.h"
#include "../protocol/websocket/utf8.h"
#include "connection.h"
#include "listener.h"

namespace nw {

namespace ws = protocol::websocket;
namespace utf8 = protocol::utf8;

size_t WebSocketSession::consume(Connection& c, uint8_t* p, size_t n, bool inSlab) {
  if (phase == kAwaitAccept) return 0;
  if (phase == kOpen) return consumeFrames(c, p, n, inSlab);
  return consumeHandshake(c, p, n, inSlab);
}

protocol::Framing WebSocketSession::framingFor(const Connection& c, bool text) const {
  protocol::WebSocketType type = protocol::WebSocketType::Auto;  // a client sets none: strings text, bytes binary
  if (ownSendType) type = sendType;
  else if (c.listener_) type = c.listener_->websocketType;
  return protocol::websocketFraming(type, text);
}

bool Connection::setWebSocketType(protocol::WebSocketType type) {
  WebSocketSession* ws = websocket();
  if (!ws) return false;
  ws->setSendType(type);
  return true;
}

size_t WebSocketSession::consumeFrames(Connection& c, uint8_t* p, size_t n, bool inSlab) {
  WebSocketSession& s = *this;
  size_t pos = 0;
  while (pos < n && !c.closed_ && !s.closeReceived && !c.failed_) {
    ws::FrameHeader h;
    int headerLength = ws::parseHeader(p + pos, n - pos, &h);
    if (headerLength == 0) break;
    bool control = ws::isControl(h.opcode);
    // idleTimeout without pingPongIsActivity: only messages (and the close) are activity.
    if (!control || h.opcode == ws::kClose) s.messageActivityMs = c.lastActivityMs;
    // RSV1 marks a compressed message's first frame, once permessage-deflate is agreed.
    uint8_t allowedRsv = s.deflate && h.opcode != ws::kContinuation && !control ? ws::kRsv1 : 0;
    if (headerLength < 0 || (h.rsv & ~allowedRsv) || !ws::isKnownOpcode(h.opcode) || h.masked == s.client) {
      fail(c, 1002, kProtocolError);
      return n;
    }
    if (control) {
      // Control frames must use the 7-bit length form (as ws and uWS require).
      bool shortForm = size_t(headerLength) == (h.masked ? 6u : 2u);
      if (!h.fin || h.length > ws::kMaxControlPayload || !shortForm) {
        fail(c, 1002, kProtocolError);
        return n;
      }
    } else if ((h.opcode == ws::kContinuation) != (s.messageOpcode != 0)) {
      fail(c, 1002, kProtocolError);
      return n;
    } else if (h.length + s.fragments.size() > c.maxPackageSize) {
      // Decided from the header, before any of the payload is buffered.
      fail(c, 1009, kPackageTooLarge);
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
        c.emitPayload(kEventPing, payload, length, inSlab);
        break;
      case ws::kPong:
        c.emitPayload(kEventPong, payload, length, inSlab);
        break;
      case ws::kClose:
        ok = handleCloseFrame(c, payload, length, inSlab);
        break;
      default:
        if ((h.rsv & ws::kRsv1) || (h.opcode == ws::kContinuation && s.compressedMessage))
          ok = handleCompressedFrame(c, h.opcode, h.fin, payload, length);
        else
          ok = handleDataFrame(c, h.opcode, h.fin, payload, length, inSlab);
    }
    if (!ok) return n;
  }
  return pos;
}

bool WebSocketSession::handleDataFrame(Connection& c, uint8_t opcode, bool fin, uint8_t* payload, size_t length,
                                       bool inSlab) {
  WebSocketSession& s = *this;
  uint8_t messageOpcode = opcode == ws::kContinuation ? s.messageOpcode : opcode;
  bool nonAscii = opcode == ws::kContinuation && s.nonAscii;
  if (messageOpcode == ws::kText) {
    s.utf8State = utf8::step(opcode == ws::kContinuation ? s.utf8State : utf8::kAccept, payload, length, &nonAscii);
    if (s.utf8State == utf8::kReject || (fin && s.utf8State != utf8::kAccept)) {
      fail(c, 1007, kProtocolError);
      return false;
    }
  }
  if (fin && opcode != ws::kContinuation) {
    c.countRequest();
    int32_t type = opcode == ws::kBinary ? kEventBinaryMessage : nonAscii ? kEventMessage : kEventAsciiMessage;
    c.emitPayload(type, payload, length, inSlab);
    return true;
  }
  s.nonAscii = nonAscii;
  s.messageOpcode = messageOpcode;
  if (!s.fragments.append(payload, length, c.core_.pool_)) {
    fail(c, 1009, kPackageTooLarge);
    return false;
  }
  if (!fin) return true;
  c.countRequest();
  int32_t type = messageOpcode == ws::kBinary ? kEventBinaryMessage : nonAscii ? kEventMessage : kEventAsciiMessage;
  c.emitPayload(type, s.fragments.data(), s.fragments.size(), false);
  s.fragments.release(c.core_.pool_);
  s.messageOpcode = 0;
  s.nonAscii = false;
  return true;
}

bool WebSocketSession::handleCompressedFrame(Connection& c, uint8_t opcode, bool fin, const uint8_t* payload,
                                             size_t length) {
  bool first = opcode != ws::kContinuation;
  if (first) {
    messageOpcode = opcode;
    compressedMessage = true;
  }
  // Inflated straight into the message buffer, never past maxPackageSize.
  switch (deflate->inflate(c.core_.deflateStreams_, payload, length, first, fin, fragments, c.maxPackageSize,
                           c.core_.pool_)) {
    case WebSocketDeflate::kInflated: break;
    case WebSocketDeflate::kTooLarge: fail(c, 1009, kPackageTooLarge); return false;
    case WebSocketDeflate::kCorrupt: fail(c, 1007, kProtocolError); return false;
    case WebSocketDeflate::kNoMemory: fail(c, 1011, kProtocolError); return false;
  }
  if (!fin) return true;
  bool nonAsciiText = false;
  if (messageOpcode == ws::kText &&
      utf8::step(utf8::kAccept, fragments.data(), fragments.size(), &nonAsciiText) != utf8::kAccept) {
    fail(c, 1007, kProtocolError);
    return false;
  }
  c.countRequest();
  int32_t type = messageOpcode == ws::kBinary ? kEventBinaryMessage : nonAsciiText ? kEventMessage : kEventAsciiMessage;
  c.emitPayload(type, fragments.data(), fragments.size(), false);
  fragments.release(c.core_.pool_);
  messageOpcode = 0;
  compressedMessage = false;
  return true;
}

bool WebSocketSession::handleCloseFrame(Connection& c, uint8_t* payload, size_t length, bool inSlab) {
  WebSocketSession& s = *this;
  uint32_t code = 1005;  // "no status received"
  if (length == 1) {
    fail(c, 1002, kProtocolError);
    return false;
  }
  if (length >= 2) {
    code = (uint32_t(payload[0]) << 8) | payload[1];
    if (!ws::validCloseCode(code)) {
      fail(c, 1002, kProtocolError);
      return false;
    }
    if (!utf8::valid(payload + 2, length - 2)) {
      fail(c, 1007, kProtocolError);
      return false;
    }
  }
  s.closeReceived = true;
  c.core_.updateInterest(&c);
  c.emitPayload(int32_t(kEventWsClose | (code << 8)), payload + (length >= 2 ? 2 : 0), length >= 2 ? length - 2 : 0,
              inSlab);
  // Our close went first: the handshake is complete, the TCP side can go.
  if (s.closeSent) c.core_.closeAfterFlush(&c);
  return true;
}
void WebSocketSession::fail(Connection& c, uint32_t closeCode, int32_t errorCode) {
  if (errorCode == kPackageTooLarge) c.core_.stats_.packageTooLarge++;
  else c.core_.stats_.protocolErrors++;
  c.core_.pushEvent(kEventError, c.slot_, errorCode, int32_t(closeCode));
  failCode = uint16_t(closeCode);
  c.failed_ = true;
  c.core_.updateInterest(&c);
  c.core_.markDirty(&c);
}

void WebSocketSession::finishFailure(Connection& c) {
  if (closeSent || !failCode) return;
  const uint8_t code[2] = {uint8_t(failCode >> 8), uint8_t(failCode)};
  uint8_t frame[ws::kMaxHeaderSize + 2];
  uint8_t mask[4];
  if (client) net::randomBytes(mask, 4);  // a client masks every frame, this one too
  size_t n = ws::writeFrame(frame, ws::kClose, code, 2, client ? mask : nullptr);
  closeSent = true;
  c.out_.append(frame, n, c.core_.pool_);
}

void WebSocketSession::queueFrame(Connection& c, uint8_t opcode, const uint8_t* payload, size_t length) {
  if (length > ws::kMaxControlPayload) return;  // control frames only; every caller clamps
  uint8_t* dst = c.out_.reserve(ws::headerSize(length, client) + length, c.core_.pool_);
  if (!dst) return;
  uint8_t mask[4];
  if (client) net::randomBytes(mask, 4);
  c.out_.commit(ws::writeFrame(dst, opcode, payload, length, client ? mask : nullptr));
  c.core_.scheduleFlush(&c);
}

bool WebSocketSession::pongFits(const Connection& c, size_t payloadLength) const {
  // The pong must not be what fills the queue: the user's next send would be
  // refused with no onBufferFull before it to pause on.
  size_t frame = ws::headerSize(payloadLength, client) + payloadLength;
  return c.out_.empty() || c.out_.size() + frame < c.maxSendBufferSize;
}

void WebSocketSession::answerPing(Connection& c, const uint8_t* payload, size_t length) {
  if (c.closed_ || phase != kOpen || closeSent) return;
  if (length > ws::kMaxControlPayload) length = ws::kMaxControlPayload;
  if (pongFits(c, length)) {
    pongOwed = false;  // an older ping still waiting is answered by this pong
    owedPong.clear();
    queueFrame(c, ws::kPong, payload, length);
    return;
  }
  pongOwed = true;
  owedPong.assign(reinterpret_cast<const char*>(payload), length);
}

bool WebSocketSession::appendOwed(Connection& c) {
  if (!pongOwed || !pongFits(c, owedPong.size())) return false;
  pongOwed = false;
  std::string payload;
  payload.swap(owedPong);
  if (closeSent || c.closed_) return false;
  uint8_t* dst = c.out_.reserve(ws::headerSize(payload.size(), client) + payload.size(), c.core_.pool_);
  if (!dst) return false;
  uint8_t mask[4];
  if (client) net::randomBytes(mask, 4);
  c.out_.commit(ws::writeFrame(dst, ws::kPong, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(),
                               client ? mask : nullptr));
  return true;
}

void WebSocketSession::close(Connection& c, uint32_t code, const uint8_t* reason, size_t reasonLength) {
  if (c.closed_ || closeSent) return;
  if (phase != kOpen) {
    c.core_.closeAfterFlush(&c);
    return;
  }
  uint8_t payload[ws::kMaxControlPayload];
  size_t length = 0;
  if (code != 1005) {  // 1005 = "no code": an empty close frame
    payload[0] = uint8_t(code >> 8);
    payload[1] = uint8_t(code);
    if (reasonLength > ws::kMaxControlPayload - 2) reasonLength = ws::kMaxControlPayload - 2;
    if (reasonLength) std::memcpy(payload + 2, reason, reasonLength);
    length = 2 + reasonLength;
  }
  closeSent = true;
  closeSentAtMs = c.core_.delegate_.nowMs();
  queueFrame(c, ws::kClose, payload, length);
  if (!c.closed_ && closeReceived) c.core_.closeAfterFlush(&c);
}

bool WebSocketSession::sweepCloseAnswer(Connection& c, uint64_t now) {
  if (!closeSent) return false;
  // Counted from our close frame or, for a slow reader still taking what was queued before
  // it, from the last bytes it took: the close frame reaches it only after those.
  uint64_t since = std::max(closeSentAtMs, c.lastWriteMs);
  if (now - since >= kCloseAnswerTimeoutMs) {
    c.core_.stats_.closeTimeouts++;
    c.core_.closeNow(&c, kClosedIdle, true);
  }
  return true;
}

uint64_t WebSocketSession::activeSince(const Connection& c) const {
  bool messagesOnly = phase == kOpen && c.listener_ && !c.listener_->pingPongIsActivity;
  return messagesOnly ? messageActivityMs : c.lastActivityMs;
}

bool WebSocketSession::closeIdle(Connection& c) {
  if (phase != kOpen) return false;  // no frames yet: the plain close
  if (closeSent) return true;        // closing already: the close answer's timeout ends it
  c.core_.stats_.idleTimeouts++;
  c.core_.pushEvent(kEventWsCloseSent, c.slot_, 1001, 0);
  static const char kReason[] = "idle timeout";
  close(c, 1001, reinterpret_cast<const uint8_t*>(kReason), sizeof kReason - 1);
  return true;
}

void WebSocketSession::closed(Connection& c) {
  if (!topics.empty()) c.core_.leaveTopics(&c);
}

}  // namespace nw
