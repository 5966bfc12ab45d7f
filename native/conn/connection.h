// One accepted stream socket: its receive tail, send queue and flags.
#pragma once
#include <netinet/in.h>

#include <cstdint>
#include <memory>

#include "../net/socket_ops.h"
#include "../net/transport.h"
#include "../protocol/framing.h"
#include "../protocol/outgoing.h"
#include "../reactor/reactor.h"
#include "byte_buffer.h"
#include "http_session.h"
#include "websocket_session.h"

namespace nw {

class Core;
class Listener;

class Connection final : public IoHandle {
 public:
  Connection(Core& core, Listener* listener, int fd, int32_t slot, protocol::Kind kind);
  ~Connection() override;

  void onReady(uint32_t readiness) override;

  int32_t slot() const { return slot_; }
  Listener* listener() const { return listener_; }
  bool open() const { return !closed_; }
  bool closing() const { return closing_ || peerClosed_; }
  size_t queuedBytes() const { return out_.size(); }
  bool isWebSocketClient() const { return ws_ && ws_->client; }
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

  size_t maxPackageSize = 10 * 1024 * 1024;
  size_t maxSendBufferSize = 1024 * 1024;
  uint64_t bytesRead = 0;
  uint64_t bytesWritten = 0;
  uint64_t lastActivityMs = 0;
  net::RawAddress peer;
  net::RawAddress local;
  net::Transport* transport = &net::PlainTransport::instance();
  std::unique_ptr<net::Transport> ownTransport;  // a TLS session; `transport` points at it

 private:
  friend class Core;

  void readAvailable();
  void consume(uint8_t* data, size_t n);
  void consumeFramed(uint8_t* data, size_t n);
  bool deliverFromTail();
  protocol::Boundary boundary(const uint8_t* data, size_t len, size_t scanned) const;
  bool checkLength(int64_t length, size_t buffered);
  void emitMessage(const uint8_t* message, size_t length, bool inSlab);
  // Emits a payload event: in place when the bytes are in the slab, else copied.
  void emitPayload(int32_t type, const uint8_t* bytes, size_t length, bool inSlab);
  // Emits it as a copy the embedder keeps (kEventStashed).
  void stashPayload(int32_t type, const uint8_t* bytes, size_t length);
  void onPeerFin();
  // Processes what the tail holds (after a WebSocket accept).
  void processTail();

  size_t consumeStateful(uint8_t* p, size_t n, bool inSlab);
  // HTTP receive path (http_receive.cc): returns the bytes consumed.
  size_t consumeHttp(uint8_t* p, size_t n, bool inSlab);
  void emitRequest(const uint8_t* p, size_t length, bool inSlab);

  // WebSocket receive path (websocket_receive.cc). Each returns the bytes it
  // consumed from p; the rest waits in the tail.
  size_t consumeWebSocket(uint8_t* p, size_t n, bool inSlab);
  size_t consumeUpgradeRequest(uint8_t* p, size_t n, bool inSlab);
  size_t consumeUpgradeResponse(uint8_t* p, size_t n);
  size_t consumeFrames(uint8_t* p, size_t n, bool inSlab);
  bool handleDataFrame(uint8_t opcode, bool fin, uint8_t* payload, size_t length, bool inSlab);
  bool handleCloseFrame(uint8_t* payload, size_t length, bool inSlab);

  Core& core_;
  Listener* listener_;
  int32_t slot_;
  protocol::Kind kind_;
  bool closed_ = false;
  bool connecting_ = false;  // a client connection waiting for connect() to finish
  bool secureConnectPending_ = false;  // a TLS client connection waiting for its handshake
  bool failed_ = false;      // bad input: stop parsing, answer what came before, close at the batch end
  bool closing_ = false;     // close() called: flush, then close
  bool peerClosed_ = false;  // FIN received: flush, then close
  bool paused_ = false;
  // JS holds messages it has not delivered yet (read before pauseRecv() took
  // effect): an ending read (bad input, the peer's FIN) waits for them.
  bool held_ = false;
  bool dirty_ = false;       // has corked bytes to flush at the end of the batch
  bool backlogged_ = false;  // the kernel refused bytes; EPOLLOUT is armed
  bool fullSignalled_ = false;  // onBufferFull fired; a drain is owed
  ByteBuffer tail_;          // an unfinished message
  size_t tailScanned_ = 0;   // bytes of tail_ known to hold no delimiter
  ByteBuffer out_;
  std::unique_ptr<WebSocketSession> ws_;
  std::unique_ptr<HttpSession> http_;
};

}  // namespace nw
