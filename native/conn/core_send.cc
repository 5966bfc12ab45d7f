// The send path: a payload framed by the connection's own kind
// (protocol/outgoing.h), written into its send queue, corked in a batch.
#include <cstring>

#include "../net/random.h"
#include "core.h"

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

int32_t Core::finishSend(Connection* c, const Outgoing& out, size_t length) {
  uint8_t mask[4];
  bool masked = protocol::isWebSocket(out.framing) && c->isWebSocketClient();
  if (masked) net::randomBytes(mask, 4);
  size_t framed = protocol::frameInPlace(out.start, out.room, out.framing, length, masked ? mask : nullptr);
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
