// The core's WebSocket and HTTP calls, handed to the connection's session,
// and broadcast/publish, which encode a frame once for many connections.
#include <algorithm>
#include <cstring>

#include "../protocol/websocket/frame.h"
#include "core.h"
#include "http_session.h"
#include "websocket_session.h"

namespace nw {

namespace ws = protocol::websocket;

bool Core::acceptWebSocket(Connection* c, const std::string& extraHeaders) {
  WebSocketSession* s = c->websocket();
  return s && s->accept(*c, extraHeaders);
}

bool Core::upgradeHttp(Connection* c) {
  HttpSession* http = c->http();
  if (!http || !http->upgradePending()) return false;
  if (http->upgradeStatus()) {
    stats_.handshakeErrors++;
    rejectUpgrade(*c, http->upgradeStatus(), http->upgradeError());
    return false;
  }
  auto upgraded = std::make_unique<WebSocketServerSession>(delegate_.nowMs(), http->takeUpgradeKey());
  upgraded->extensionOffer = http->takeUpgradeExtensions();  // negotiated at the accept, as on websocket://
  std::unique_ptr<Session> websocket = std::move(upgraded);
  c->session_->releaseBuffers(pool_);
  // Deleted at the batch end: nothing of the HTTP session's may still be on the stack.
  retiredSessions_.push_back(std::move(c->session_));
  if (!inBatch()) retiredSessions_.clear();
  c->session_ = std::move(websocket);
  c->kind_ = protocol::Kind::WebSocket;
  c->tailScanned_ = 0;
  updateInterest(c);
  return true;
}

void Core::declineUpgrade(Connection* c) {
  if (HttpSession* http = c->http()) http->declineUpgrade(*c);
}

void Core::rejectHandshake(Connection* c, int status, const std::string& body, const std::string& headerLines) {
  rejectUpgrade(*c, status, body, headerLines);
}

bool Core::setClientDeflate(Connection* c, const protocol::websocket::DeflateOptions& offered) {
  WebSocketSession* s = c->websocket();
  if (!s || !s->client || s->phase != WebSocketSession::kAwaitResponse) return false;
  s->deflateOffered = offered;
  return true;
}

void Core::answerPing(Connection* c, const uint8_t* payload, size_t length) {
  if (WebSocketSession* s = c->websocket()) s->answerPing(*c, payload, length);
}

void Core::closeWebSocket(Connection* c, uint32_t code, const uint8_t* reason, size_t reasonLength) {
  if (WebSocketSession* s = c->websocket()) s->close(*c, code, reason, reasonLength);
}

void Core::httpResponded(Connection* c) {
  if (HttpSession* s = c->http()) s->responded(*c);
}

// ---- broadcast and topics ----------------------------------------------------

namespace {

std::vector<uint8_t> encodeServerFrame(uint8_t opcode, const uint8_t* payload, size_t length, bool compressed) {
  std::vector<uint8_t> frame(ws::headerSize(length, false) + length);
  ws::writeFrame(frame.data(), opcode, payload, length, nullptr);
  if (compressed) frame[0] |= ws::kRsv1Bit;
  return frame;
}

}  // namespace

// One message's frames for many recipients: the plain one, and for
// permessage-deflate recipients one compressed frame per window size, each
// made once, when the first recipient that needs it comes.
class Core::SharedFrames {
 public:
  SharedFrames(Core& core, uint8_t opcode, const uint8_t* payload, size_t length)
      : core_(core), opcode_(opcode), payload_(payload), length_(length) {}

  const std::vector<uint8_t>& frameFor(Connection* c) {
    WebSocketSession* s = c->websocket();
    if (s && s->deflate && s->deflate->worthCompressing(length_)) {
      uint8_t bits = s->deflate->sendWindowBits();
      if (state_[bits] == kUnknown) compressFor(bits, s->deflate->memLevel());
      if (state_[bits] == kMade) {
        // The peer's window takes in bytes the connection's compressor never saw.
        s->deflate->forgetSendContext();
        return compressed_[bits];
      }
    }
    if (plain_.empty()) plain_ = encodeServerFrame(opcode_, payload_, length_, false);
    return plain_;
  }

 private:
  enum State : uint8_t { kUnknown, kMade, kPlain };

  void compressFor(uint8_t bits, uint8_t memLevel) {
    size_t n = 0;
    std::vector<uint8_t>& scratch = core_.deflateScratch_;
    if (core_.deflateStreams_.compressFresh(bits, memLevel, payload_, length_, scratch, &n)) {
      compressed_[bits] = encodeServerFrame(opcode_, scratch.data(), n, true);
      core_.stats_.wsCompressed++;
      state_[bits] = kMade;
    } else {
      state_[bits] = kPlain;
    }
    if (scratch.size() > kCorkLimit) std::vector<uint8_t>().swap(scratch);
  }

  Core& core_;
  uint8_t opcode_;
  const uint8_t* payload_;
  size_t length_;
  std::vector<uint8_t> plain_;
  std::vector<uint8_t> compressed_[16];
  State state_[16] = {};
};

void Core::queueShared(Connection* c, SharedFrames& frames, int32_t& written) {
  if (c->closed_ || !c->websocket() || c->websocket()->client) return;
  int32_t admitted = admit(c);
  if (admitted == kRefusedClosed) return;
  if (admitted == kRefusedFull) {
    pushEvent(kEventError, c->slot_, kSendFail, 1);
    return;
  }
  const std::vector<uint8_t>& frame = frames.frameFor(c);
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
  SharedFrames frames(*this, opcode, payload, length);
  int32_t written = 0;
  for (size_t i = 0; i < slots_.size(); i++) {
    Connection* c = slots_[i];
    if (!c || c->closed_ || (l && c->listener_ != l)) continue;
    if (except && std::find(except, except + exceptCount, int32_t(i)) != except + exceptCount) continue;
    queueShared(c, frames, written);
  }
  return written;
}

int32_t Core::publish(Listener* l, const std::string& topic, uint8_t opcode, const uint8_t* payload, size_t length) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return 0;
  SharedFrames frames(*this, opcode, payload, length);
  int32_t written = 0;
  // A write failure closes a member, which edits the list: walk a copy.
  std::vector<Connection*> members = it->second;
  for (Connection* c : members)
    if (!l || c->listener_ == l) queueShared(c, frames, written);
  return written;
}

bool Core::subscribe(Connection* c, const std::string& topic) {
  WebSocketSession* s = c->websocket();
  if (!s) return false;
  auto& topics = s->topics;
  if (std::find(topics.begin(), topics.end(), topic) != topics.end()) return false;
  topics.push_back(topic);
  topics_[topic].push_back(c);
  return true;
}

bool Core::unsubscribe(Connection* c, const std::string& topic) {
  WebSocketSession* s = c->websocket();
  if (!s) return false;
  auto& topics = s->topics;
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

void CoreState::leaveTopics(Connection* c) {
  std::vector<std::string> topics;
  topics.swap(c->websocket()->topics);
  for (const std::string& topic : topics) {
    auto it = topics_.find(topic);
    if (it == topics_.end()) continue;
    auto& members = it->second;
    members.erase(std::remove(members.begin(), members.end(), c), members.end());
    if (members.empty()) topics_.erase(it);
  }
}

}  // namespace nw
