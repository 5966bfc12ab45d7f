// A WebSocket server connection: the upgrade request, the user's accept or
// reject, and the server's timers (handshake, keep-alive ping, close answer).
#include <string>

#include "../protocol/http/status.h"
#include "../protocol/websocket/frame.h"
#include "../protocol/websocket/handshake.h"
#include "connection.h"
#include "listener.h"
#include "websocket_session.h"

namespace nw {

namespace http = protocol::http;
namespace ws = protocol::websocket;

size_t WebSocketServerSession::consumeHandshake(Connection& c, uint8_t* p, size_t n, bool inSlab) {
  http::Limits limits;
  if (c.listener_) limits.maxHeadSize = c.listener_->maxHeadSize;
  ws::UpgradeRequest request;
  if (!ws::parseUpgradeRequest(p, n, limits, inSlab ? 0 : c.tailScanned_, &request)) {
    c.tailScanned_ = n;
    return 0;
  }
  c.tailScanned_ = 0;
  if (request.status) {
    if (request.status == 431 || request.status == 414) c.core_.stats_.headTooLarge++;
    else c.core_.stats_.handshakeErrors++;
    rejectUpgrade(c, request.status, request.error);
    return n;
  }
  acceptKey = std::move(request.acceptKey);
  extensionOffer = std::move(request.extensions);
  phase = kAwaitAccept;
  c.core_.updateInterest(&c);  // hold further input until JS accepts
  c.emitPayload(kEventHandshake, p, request.headLength, inSlab);
  return request.headLength;
}

bool WebSocketServerSession::accept(Connection& c, const std::string& extraHeaders) {
  if (phase != kAwaitAccept) return false;
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
      acceptKey + "\r\n" + negotiateDeflate(c) + extraHeaders + "\r\n";
  acceptKey.clear();
  acceptKey.shrink_to_fit();
  phase = kOpen;
  messageActivityMs = c.core_.delegate_.nowMs();
  c.out_.append(response.data(), response.size(), c.core_.pool_);
  c.core_.scheduleFlush(&c);
  if (c.closed_) return false;
  c.core_.updateInterest(&c);
  // Frames that arrived with the request wait in the tail: take them next batch.
  if (!c.tail_.empty()) c.core_.wantInput(&c);
  return true;
}

std::string WebSocketServerSession::negotiateDeflate(Connection& c) {
  std::string offer;
  offer.swap(extensionOffer);
  if (!c.listener_ || !c.listener_->deflate.enabled || offer.empty()) return "";
  const ws::DeflateOptions& options = c.listener_->deflate;
  ws::DeflateParams params;
  std::string answer;
  if (!ws::acceptDeflateOffer(offer.data(), offer.size(), options, &params, &answer)) return "";
  deflate.reset(new WebSocketDeflate(params, false, options.memLevel, options.threshold));
  return "Sec-WebSocket-Extensions: " + answer + "\r\n";
}

void rejectUpgrade(Connection& c, int status, const std::string& body, const std::string& headerLines) {
  std::string response =
      protocol::http::closingResponse(status, body, status == 426 ? "Sec-WebSocket-Version: 13\r\n" + headerLines : headerLines);
  c.out_.append(response.data(), response.size(), c.core_.pool_);
  c.core_.closeAfterFlush(&c);
}

void WebSocketServerSession::sweep(Connection& c, uint64_t now) {
  Listener* l = c.listener_;
  if (phase == kAwaitHead && l && l->handshakeTimeoutMs && now - startedMs >= l->handshakeTimeoutMs) {
    c.core_.stats_.handshakeTimeouts++;
    c.core_.closeNow(&c, kClosedIdle, true);
    return;
  }
  if (sweepCloseAnswer(c, now)) return;
  if (phase != kOpen || !l || !l->pingIntervalMs) return;
  if (pingOutstanding) {
    if (now - pingSentAtMs >= l->pingIntervalMs) {
      c.core_.stats_.pingTimeouts++;
      c.core_.pushEvent(kEventWsCloseSent, c.slot_, 1001, 0);
      close(c, 1001, nullptr, 0);
      c.core_.closeAfterFlush(&c);
    }
  } else if (now - c.lastActivityMs >= l->pingIntervalMs) {
    pingOutstanding = true;
    pingSentAtMs = now;
    size_t before = c.out_.size();
    queueFrame(c, ws::kPing, nullptr, 0);
    c.core_.signalIfFilled(&c, before);
  }
}

}  // namespace nw
