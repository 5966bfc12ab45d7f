// One accepted or connected stream socket: its receive tail, send queue and
// flags (ConnectionState, internal.h), the direct receive path of the stateless
// kinds (raw, text, frame), and the session of a stateful one.
#pragma once
#include <netinet/in.h>

#include <cstdint>
#include <memory>

#include "../net/socket_ops.h"
#include "../net/transport.h"
#include "../protocol/framing.h"
#include "../protocol/outgoing.h"
#include "../reactor/reactor.h"
#include "internal.h"

namespace nw {

class Listener;

class Connection final : public IoHandle, public ConnectionState {
 public:
  Connection(CoreState& core, Listener* listener, int fd, int32_t slot, protocol::Kind kind);
  ~Connection() override;

  void onReady(uint32_t readiness) override;

  int32_t slot() const { return slot_; }
  Listener* listener() const { return listener_; }
  bool open() const { return !closed_; }
  bool closing() const { return closing_ || peerClosed_; }
  size_t queuedBytes() const { return out_.size(); }
  bool isWebSocketClient() const { return masksFrames_; }
  // How send() frames a string (text) or bytes: by the kind, and for
  // WebSocket by its websocketType (its own, else its listener's).
  protocol::Framing framingFor(bool text) const;
  // False unless a WebSocket connection.
  bool setWebSocketType(protocol::WebSocketType type);
  // Switches between the stateless kinds (raw, text, frame); false otherwise.
  bool setKind(protocol::Kind kind) {
    auto stateless = [](protocol::Kind k) {
      return k == protocol::Kind::Raw || k == protocol::Kind::Text || k == protocol::Kind::Frame;
    };
    if (!stateless(kind_) || !stateless(kind)) return false;
    kind_ = kind;
    tailScanned_ = 0;
    return true;
  }
  WebSocketSession* websocket() const { return session_ ? session_->websocket() : nullptr; }
  HttpSession* http() const { return session_ ? session_->http() : nullptr; }

  size_t maxPackageSize = 10 * 1024 * 1024;
  size_t maxSendBufferSize = 1024 * 1024;
  uint64_t bytesRead = 0;
  uint64_t bytesWritten = 0;
  uint64_t lastActivityMs = 0;
  uint64_t lastWriteMs = 0;  // the kernel last took bytes of out_ (a slow reader still reading)
  net::RawAddress peer;
  net::RawAddress local;
  net::Transport* transport = &net::PlainTransport::instance();
  std::unique_ptr<net::Transport> ownTransport;  // a TLS session; `transport` points at it

  // For the core and the sessions (native/conn):
  // Emits a payload event: in place when the bytes are in the slab, else copied.
  void emitPayload(int32_t type, const uint8_t* bytes, size_t length, bool inSlab);
  // Processes what the tail holds (after a WebSocket accept).
  void processTail();
  // A message read: the process's requests, or a client connection's (outboundRequest).
  void countRequest();
  // Reads what the socket holds (also: a TLS handshake resuming after its server name answer).
  void readAvailable();

 private:
  void consume(uint8_t* data, size_t n);
  void consumeFramed(uint8_t* data, size_t n);
  bool deliverFromTail();
  protocol::Boundary boundary(const uint8_t* data, size_t len, size_t scanned) const;
  bool checkLength(int64_t length, size_t buffered);
  void emitMessage(const uint8_t* message, size_t length, bool inSlab);
  void onPeerFin();
};

}  // namespace nw
