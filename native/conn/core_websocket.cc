// The core's WebSocket side: handshake answers, frames sent by the core,
// close handshake, timers, and broadcast/publish that encode a frame once.
#include <algorithm>
#include <cstring>

#include "../net/random.h"
#include "../protocol/http/status.h"
#include "../protocol/websocket/frame.h"
#include "core.h"

namespace nw {

namespace ws = protocol::websocket;

namespace {

constexpr uint64_t kCloseAnswerTimeoutMs = 5000;

}  // namespace

void Core::scheduleFlush(Connection* c) {
  if (inBatch_) markDirty(c);
  else flush(c, true);
}

void Core::closeAfterFlush(Connection* c) {
  if (c->closed_) return;
  c->closing_ = true;
  updateInterest(c);
  if (inBatch_) {
    markDirty(c);  // the batch end flushes, then finishIfDone closes
  } else if (flush(c, true)) {
    finishIfDone(c);
  }
}

void Core::rejectHandshake(Connection* c, int status, const std::string& body) {
  std::string response =
      protocol::http::closingResponse(status, body, status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "");
  c->out_.append(response.data(), response.size(), pool_);
  closeAfterFlush(c);
}

bool Core::acceptWebSocket(Connection* c, const std::string& extraHeaders) {
  if (!c->ws_ || c->ws_->phase != WebSocketSession::kAwaitAccept) return false;
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
      c->ws_->acceptKey + "\r\n" + extraHeaders + "\r\n";
  c->ws_->acceptKey.clear();
  c->ws_->acceptKey.shrink_to_fit();
  c->ws_->phase = WebSocketSession::kOpen;
  c->out_.append(response.data(), response.size(), pool_);
  scheduleFlush(c);
  if (c->closed_) return false;
  updateInterest(c);
  // Frames that arrived with the request wait in the tail: take them next batch.
  if (!c->tail_.empty()) {
    pendingInput_.push_back(c);
    if (!inBatch_ && !wakeRequested_) {
      wakeRequested_ = true;
      delegate_.wake();
    }
  }
  return true;
}

void Core::processPendingInput() {
  while (!pendingInput_.empty()) {
    std::vector<Connection*> batch;
    batch.swap(pendingInput_);
    for (Connection* c : batch)
      if (!c->closed_) c->processTail();
  }
}

void Core::queueFrame(Connection* c, uint8_t opcode, const uint8_t* payload, size_t length) {
  bool masked = c->isWebSocketClient();
  uint8_t* dst = c->out_.reserve(ws::headerSize(length, masked) + length, pool_);
  if (!dst) return;
  uint8_t mask[4];
  if (masked) net::randomBytes(mask, 4);
  c->out_.commit(ws::writeFrame(dst, opcode, payload, length, masked ? mask : nullptr));
  scheduleFlush(c);
}

void Core::answerPing(Connection* c, const uint8_t* payload, size_t length) {
  if (c->closed_ || !c->ws_ || c->ws_->phase != WebSocketSession::kOpen || c->ws_->closeSent) return;
  WebSocketSession& s = *c->ws_;
  if (length > ws::kMaxControlPayload) length = ws::kMaxControlPayload;
  if (pongFits(c, length)) {
    s.pongOwed = false;  // an older ping still waiting is answered by this pong
    s.owedPong.clear();
    queueFrame(c, ws::kPong, payload, length);
    return;
  }
  s.pongOwed = true;
  s.owedPong.assign(reinterpret_cast<const char*>(payload), length);
}

bool Core::pongFits(const Connection* c, size_t payloadLength) const {
  // The pong must not be what fills the queue: the user's next send would be
  // refused with no onBufferFull before it to pause on.
  size_t frame = ws::headerSize(payloadLength, c->isWebSocketClient()) + payloadLength;
  return c->out_.empty() || c->out_.size() + frame < c->maxSendBufferSize;
}

void Core::appendOwedPong(Connection* c) {
  WebSocketSession& s = *c->ws_;
  s.pongOwed = false;
  std::string payload;
  payload.swap(s.owedPong);
  if (s.closeSent || c->closed_) return;
  bool masked = c->isWebSocketClient();
  uint8_t* dst = c->out_.reserve(ws::headerSize(payload.size(), masked) + payload.size(), pool_);
  if (!dst) return;
  uint8_t mask[4];
  if (masked) net::randomBytes(mask, 4);
  c->out_.commit(ws::writeFrame(dst, ws::kPong, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(),
                                masked ? mask : nullptr));
}

void Core::closeWebSocket(Connection* c, uint32_t code, const uint8_t* reason, size_t reasonLength) {
  if (c->closed_ || !c->ws_ || c->ws_->closeSent) return;
  if (c->ws_->phase != WebSocketSession::kOpen) {
    closeAfterFlush(c);
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
  c->ws_->closeSent = true;
  c->ws_->closeSentAtMs = delegate_.nowMs();
  queueFrame(c, ws::kClose, payload, length);
  if (!c->closed_ && c->ws_->closeReceived) closeAfterFlush(c);
}

void Core::failWebSocket(Connection* c, uint32_t closeCode, int32_t errorCode) {
  if (errorCode == kPackageTooLarge) stats_.packageTooLarge++;
  else stats_.protocolErrors++;
  pushEvent(kEventError, c->slot_, errorCode, int32_t(closeCode));
  c->ws_->failCode = uint16_t(closeCode);
  c->failed_ = true;
  updateInterest(c);
  markDirty(c);
}

void Core::finishFailure(Connection* c) {
  if (c->http_) {
    finishHttpFailure(c);
    return;
  }
  if (!c->ws_) return;
  WebSocketSession& s = *c->ws_;
  if (!s.closeSent && s.failCode) {
    const uint8_t code[2] = {uint8_t(s.failCode >> 8), uint8_t(s.failCode)};
    uint8_t frame[ws::kMaxHeaderSize + 2];
    uint8_t mask[4];
    if (s.client) net::randomBytes(mask, 4);  // a client masks every frame, this one too
    size_t n = ws::writeFrame(frame, ws::kClose, code, 2, s.client ? mask : nullptr);
    s.closeSent = true;
    c->out_.append(frame, n, pool_);
  }
}

void Core::failConnect(Connection* c, const char* reason) {
  size_t length = std::strlen(reason);
  c->emitPayload(kEventConnectFail, reinterpret_cast<const uint8_t*>(reason), length, false);
  closeNow(c, kClosedOnError, true);
}

void Core::sweepWebSocket(Connection* c, uint64_t now) {
  WebSocketSession& s = *c->ws_;
  Listener* l = c->listener_;
  if (s.phase == WebSocketSession::kAwaitHead && l && l->handshakeTimeoutMs &&
      now - s.startedMs >= l->handshakeTimeoutMs) {
    stats_.handshakeTimeouts++;
    closeNow(c, kClosedIdle, true);
    return;
  }
  if (s.closeSent) {
    if (now - s.closeSentAtMs >= kCloseAnswerTimeoutMs) {
      stats_.closeTimeouts++;
      closeNow(c, kClosedIdle, true);
    }
    return;
  }
  if (s.phase != WebSocketSession::kOpen || !l || !l->pingIntervalMs) return;
  if (s.pingOutstanding) {
    if (now - s.pingSentAtMs >= l->pingIntervalMs) {
      stats_.pingTimeouts++;
      pushEvent(kEventWsCloseSent, c->slot_, 1001, 0);
      closeWebSocket(c, 1001, nullptr, 0);
      closeAfterFlush(c);
    }
  } else if (now - c->lastActivityMs >= l->pingIntervalMs) {
    s.pingOutstanding = true;
    s.pingSentAtMs = now;
    size_t before = c->out_.size();
    queueFrame(c, ws::kPing, nullptr, 0);
    signalIfFilled(c, before);
  }
}

// ---- broadcast and topics ----------------------------------------------------

namespace {

std::vector<uint8_t> encodeServerFrame(uint8_t opcode, const uint8_t* payload, size_t length) {
  std::vector<uint8_t> frame(ws::headerSize(length, false) + length);
  ws::writeFrame(frame.data(), opcode, payload, length, nullptr);
  return frame;
}

}  // namespace

void Core::queueShared(Connection* c, const std::vector<uint8_t>& frame, int32_t& written) {
  if (c->closed_ || !c->ws_ || c->ws_->client) return;
  int32_t admitted = admit(c);
  if (admitted == kRefusedClosed) return;
  if (admitted == kRefusedFull) {
    pushEvent(kEventError, c->slot_, kSendFail, 1);
    return;
  }
  uint8_t* dst = reserve(c, frame.size());
  if (!dst) return;
  std::memcpy(dst, frame.data(), frame.size());
  int32_t result = commit(c, frame.size());
  if (result == kPeerGone) {
    pushEvent(kEventError, c->slot_, kSendFail, 0);
    pushEvent(kEventClose, c->slot_, kClosedOnError, 0);
    return;
  }
  if (result & kBecameFull) pushEvent(kEventBufferFull, c->slot_, 0, 0);
  written++;
}

int32_t Core::broadcast(Listener* l, uint8_t opcode, const uint8_t* payload, size_t length, const int32_t* except,
                        size_t exceptCount) {
  std::vector<uint8_t> frame = encodeServerFrame(opcode, payload, length);
  int32_t written = 0;
  for (size_t i = 0; i < slots_.size(); i++) {
    Connection* c = slots_[i];
    if (!c || c->closed_ || (l && c->listener_ != l)) continue;
    if (except && std::find(except, except + exceptCount, int32_t(i)) != except + exceptCount) continue;
    queueShared(c, frame, written);
  }
  return written;
}

int32_t Core::publish(Listener* l, const std::string& topic, uint8_t opcode, const uint8_t* payload, size_t length) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return 0;
  std::vector<uint8_t> frame = encodeServerFrame(opcode, payload, length);
  int32_t written = 0;
  // A write failure closes a member, which edits the list: walk a copy.
  std::vector<Connection*> members = it->second;
  for (Connection* c : members)
    if (!l || c->listener_ == l) queueShared(c, frame, written);
  return written;
}

bool Core::subscribe(Connection* c, const std::string& topic) {
  if (!c->ws_) return false;
  auto& topics = c->ws_->topics;
  if (std::find(topics.begin(), topics.end(), topic) != topics.end()) return false;
  topics.push_back(topic);
  topics_[topic].push_back(c);
  return true;
}

bool Core::unsubscribe(Connection* c, const std::string& topic) {
  if (!c->ws_) return false;
  auto& topics = c->ws_->topics;
  auto own = std::find(topics.begin(), topics.end(), topic);
  if (own == topics.end()) return false;
  topics.erase(own);
  auto it = topics_.find(topic);
  if (it != topics_.end()) {
    auto& members = it->second;
    members.erase(std::remove(members.begin(), members.end(), c), members.end());
    if (members.empty()) topics_.erase(it);
  }
  return true;
}

void Core::leaveTopics(Connection* c) {
  std::vector<std::string> topics;
  topics.swap(c->ws_->topics);
  for (const std::string& topic : topics) {
    auto it = topics_.find(topic);
    if (it == topics_.end()) continue;
    auto& members = it->second;
    members.erase(std::remove(members.begin(), members.end(), c), members.end());
    if (members.empty()) topics_.erase(it);
  }
}

}  // namespace nw
