#include "connection.h"

#include <cerrno>

#include "../protocol/ascii.h"
#include "../protocol/frame.h"
#include "../protocol/text.h"
#include "core.h"

namespace nw {

using protocol::Kind;

Connection::Connection(CoreState& core, Listener* listener, int fd, int32_t slot, Kind kind)
    : ConnectionState(core, listener, slot, kind) {
  fd_ = fd;
}

Connection::~Connection() {
  if (session_) session_->releaseBuffers(core_.pool_);
  tail_.release(core_.pool_);
  out_.release(core_.pool_);
  core_.releaseSlot(slot_);
}

void Connection::onReady(uint32_t readiness) {
  if (connecting_) {
    if (readiness & (kWriteReady | kHangup | kError)) core_.onConnected(this);
    return;
  }
  if (readiness & (kHangup | kError)) {
    // Let a final read collect data and the FIN before deciding.
    if (!closing() && !paused_) readAvailable();
    if (!closed_ && (readiness & kError)) {
      core_.closeNow(this, kClosedOnError, true);
      return;
    }
  }
  if (closed_) return;
  if (session_ && session_->watchesHangup() && (readiness & (kPeerHangupReady | kHangup | kError))) {
    core_.closeNow(this, kClosedByPeer, true);  // left while input is held (onWebSocketConnect decides)
    return;
  }
  if ((readiness & kWriteReady) && backlogged_) core_.flush(this, true);
  if (closed_) return;
  // The FIN was read earlier and the connection is still here: only now drop the
  // read interest, so that level triggering does not report it for ever. (Most
  // connections close at the end of the batch that read the FIN and never pay for it.)
  if (peerClosed_ && (readiness & (kReadReady | kHangup))) core_.updateInterest(this);
  if ((readiness & kReadReady) && !closing() && !paused_) readAvailable();
  if (!closed_ && (readiness & kHangup) && !(interest() & kReadable) && !backlogged_)
    core_.closeNow(this, kClosedByPeer, true);
}

void Connection::readAvailable() {
  // A bounded number of reads per readiness keeps one busy peer from starving
  // the others; level triggering brings us back for the rest.
  for (int round = 0; round < 4; round++) {
    uint8_t* dst = core_.batch_.space(CoreState::kMinReadSpace);
    if (closed_ || closing() || paused_) return;
    size_t room = core_.batch_.room();
    if (room > CoreState::kMaxRead) room = CoreState::kMaxRead;
    ssize_t n = transport->read(fd_, reinterpret_cast<char*>(dst), room);
    if (secureConnectPending_ && (!transport->handshaking() || n == 0 || (n < 0 && n != -EAGAIN)) &&
        !core_.finishSecureConnect(this))
      return;
    // TLS: records of its own to send, or a handshake just done with sends waiting for it.
    if (transport->hasPendingOutput() || (!out_.empty() && !backlogged_ && !transport->handshaking()))
      core_.markDirty(this);
    if (n > 0) {
      bytesRead += size_t(n);
      core_.stats_.bytesRead += size_t(n);
      lastActivityMs = core_.delegate_.nowMs();
      core_.batch_.advance(size_t(n));
      consume(dst, size_t(n));
      if (size_t(n) < room) return;
      continue;
    }
    if (n == 0) {
      onPeerFin();
    } else if (n != -EAGAIN && n != -EWOULDBLOCK) {
      core_.closeNow(this, kClosedOnError, true);
    } else if (listener_) {
      std::string name;
      if (transport->takeServerNameQuery(&name))
        emitPayload(kEventServerName, reinterpret_cast<const uint8_t*>(name.data()), name.size(), false);
    }
    return;
  }
}

void Connection::onPeerFin() {
  peerClosed_ = true;
  // Messages of this batch are still to be answered: decide at the batch end.
  core_.markDirty(this);
}

void Connection::consume(uint8_t* data, size_t n) {
  if (kind_ == Kind::Raw) {
    emitPayload(kEventBinaryMessage, data, n, true);
    countRequest();
    return;
  }
  if (session_) {
    if (!tail_.empty()) {
      if (!tail_.append(data, n, core_.pool_)) return core_.failProtocol(this, kPackageTooLarge);
      processTail();
      return;
    }
    // Messages named in place in this read wait for their delivery; one assembled
    // elsewhere (WebSocket fragments, a chunked HTTP body) is copied into the slab
    // behind the read, or stashed, never over it (EventBatch::space).
    core_.batch_.beginParse();
    size_t used = session_->consume(*this, data, n, true);
    core_.batch_.endParse();
    if (!closed_ && !failed_ && used < n && !tail_.append(data + used, n - used, core_.pool_))
      core_.failProtocol(this, kPackageTooLarge);
    return;
  }
  consumeFramed(data, n);
}

void Connection::processTail() {
  if (tail_.empty() || closed_) return;
  if (!session_) {
    deliverFromTail();
    return;
  }
  // This may deliver the batch; the tail stays ours meanwhile.
  size_t used = session_->consume(*this, tail_.data(), tail_.size(), false);
  if (failed_) tail_.release(core_.pool_);
  else if (!closed_) tail_.consume(used, core_.pool_);
}

protocol::Boundary Connection::boundary(const uint8_t* data, size_t len, size_t scanned) const {
  return kind_ == Kind::Text ? protocol::text::boundary(data, len, scanned) : protocol::frame::boundary(data, len);
}

// False (after failing the connection) when the message can never be accepted.
bool Connection::checkLength(int64_t length, size_t buffered) {
  if (length < 0) {
    core_.failProtocol(this, kProtocolError);
    return false;
  }
  if (uint64_t(length) > maxPackageSize || (length == 0 && buffered >= maxPackageSize)) {
    core_.failProtocol(this, kPackageTooLarge);
    return false;
  }
  return true;
}

void Connection::consumeFramed(uint8_t* data, size_t n) {
  if (!tail_.empty()) {
    if (!tail_.append(data, n, core_.pool_)) {
      core_.failProtocol(this, kPackageTooLarge);
      return;
    }
    deliverFromTail();
    return;
  }
  // Whole messages are delivered in place in the slab; only an unfinished
  // one is copied into the connection's tail.
  size_t pos = 0;
  while (pos < n && !closed_ && !failed_) {
    protocol::Boundary b = boundary(data + pos, n - pos, 0);
    if (!checkLength(b.length, n - pos)) return;
    if (b.length == 0 || size_t(b.length) > n - pos) break;
    emitMessage(data + pos, size_t(b.length), true);
    pos += size_t(b.length);
  }
  if (pos < n && !closed_ && !failed_) {
    if (!tail_.append(data + pos, n - pos, core_.pool_)) {
      core_.failProtocol(this, kPackageTooLarge);
      return;
    }
    tailScanned_ = kind_ == Kind::Text ? n - pos : 0;
  }
}

bool Connection::deliverFromTail() {
  size_t pos = 0;
  size_t scanned = tailScanned_;
  while (!closed_ && !failed_) {
    size_t left = tail_.size() - pos;
    if (left == 0) break;
    protocol::Boundary b = boundary(tail_.data() + pos, left, scanned);
    if (!checkLength(b.length, left)) return false;
    if (b.length == 0 || size_t(b.length) > left) {
      scanned = kind_ == Kind::Text ? left : 0;
      break;
    }
    // emitMessage may hand the batch to JS; the tail stays ours meanwhile.
    emitMessage(tail_.data() + pos, size_t(b.length), false);
    pos += size_t(b.length);
    scanned = 0;
  }
  if (closed_) return false;
  if (failed_) {
    tail_.release(core_.pool_);
    return false;
  }
  tail_.consume(pos, core_.pool_);
  tailScanned_ = tail_.empty() ? 0 : scanned;
  return true;
}

void Connection::countRequest() {
  // A client connection's messages are not its process's requests (status, qps).
  if (listener_) core_.stats_.totalRequest++;
  else core_.stats_.outboundRequest++;
}

void Connection::emitMessage(const uint8_t* message, size_t length, bool inSlab) {
  countRequest();
  if (kind_ == Kind::Frame) {
    protocol::Payload p = protocol::frame::payload(message, length);
    emitPayload(kEventBinaryMessage, message + p.offset, p.length, inSlab);
    return;
  }
  protocol::Payload p = protocol::text::payload(message, length);
  const uint8_t* bytes = message + p.offset;
  emitPayload(protocol::isAscii(bytes, p.length) ? kEventAsciiMessage : kEventMessage, bytes, p.length, inSlab);
}

void Connection::emitPayload(int32_t type, const uint8_t* bytes, size_t length, bool inSlab) {
  if (!core_.batch_.pushPayload(type, slot_, bytes, length, inSlab)) core_.failProtocol(this, kPackageTooLarge);
}

}  // namespace nw
