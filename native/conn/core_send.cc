// The send path: a payload framed by the connection's own kind
// (protocol/outgoing.h), written into its send queue, corked in a batch.
#include <cstring>

#include "../net/random.h"
#include "core.h"
#include "websocket_session.h"

namespace nw {

using protocol::Framing;
using protocol::Kind;

Framing Connection::framingFor(bool text) const {
  if (session_) return session_->framingFor(*this, text);
  switch (kind_) {
    case Kind::Text: return Framing::Line;
    case Kind::Frame: return Framing::Length;
    default: return Framing::None;
  }
}

int32_t Core::beginSend(Connection* c, Framing framing, size_t maxLength, Outgoing* out) {
  int32_t admitted = admit(c);
  if (admitted != kSent) return admitted;
  if (!protocol::fits(framing, maxLength)) return kTooLarge;
  size_t room = protocol::headerRoom(framing, maxLength, c->isWebSocketClient());
  out->start = reserve(c, room + maxLength + protocol::trailerSize(framing));
  if (!out->start) return kRefusedFull;
  out->room = room;
  out->framing = framing;
  return kSent;
}

// permessage-deflate: a message worth compressing is compressed where its
// payload was written (the compressed form is shorter, or it goes plain).
bool Core::compressInPlace(Connection* c, const Outgoing& out, size_t* length) {
  if (out.framing != Framing::WsText && out.framing != Framing::WsBinary) return false;
  WebSocketSession* s = c->websocket();
  if (!s || !s->deflate || !s->deflate->worthCompressing(*length)) return false;
  size_t compressed = 0;
  if (!s->deflate->compress(deflateStreams_, out.payload(), *length, deflateScratch_, &compressed)) return false;
  std::memcpy(out.payload(), deflateScratch_.data(), compressed);
  *length = compressed;
  if (deflateScratch_.size() > kCorkLimit) std::vector<uint8_t>().swap(deflateScratch_);  // keep no large message's room
  stats_.wsCompressed++;
  return true;
}

int32_t Core::finishSend(Connection* c, const Outgoing& out, size_t length) {
  uint8_t mask[4];
  bool masked = protocol::isWebSocket(out.framing) && c->isWebSocketClient();
  if (masked) net::randomBytes(mask, 4);
  bool compressed = compressInPlace(c, out, &length);
  size_t framed = protocol::frameInPlace(out.start, out.room, out.framing, length, masked ? mask : nullptr);
  if (compressed) out.start[0] |= protocol::websocket::kRsv1Bit;
  int32_t result = commit(c, framed);
  if (out.endsResponse && result != kPeerGone) httpResponded(c);
  return result;
}

int32_t Core::send(Connection* c, Framing framing, const uint8_t* data, size_t length, bool endsResponse) {
  Outgoing out;
  int32_t begun = beginSend(c, framing, length, &out);
  if (begun != kSent) return begun;
  if (length) std::memcpy(out.payload(), data, length);
  out.endsResponse = endsResponse;
  return finishSend(c, out, length);
}

}  // namespace nw
