// One accepted stream socket: its receive tail, send queue and flags.
#pragma once
#include <netinet/in.h>

#include <cstdint>

#include "../net/socket_ops.h"
#include "../net/transport.h"
#include "../protocol/framing.h"
#include "../reactor/reactor.h"
#include "byte_buffer.h"

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

  size_t maxPackageSize = 10 * 1024 * 1024;
  size_t maxSendBufferSize = 1024 * 1024;
  uint64_t bytesRead = 0;
  uint64_t bytesWritten = 0;
  uint64_t lastActivityMs = 0;
  net::RawAddress peer;
  net::RawAddress local;
  net::Transport* transport = &net::PlainTransport::instance();

 private:
  friend class Core;

  void readAvailable();
  void consume(uint8_t* data, size_t n);
  void consumeFramed(uint8_t* data, size_t n);
  bool deliverFromTail();
  protocol::Boundary boundary(const uint8_t* data, size_t len, size_t scanned) const;
  bool checkLength(int64_t length, size_t buffered);
  void emitMessage(const uint8_t* message, size_t length, bool inSlab);
  void onPeerFin();

  Core& core_;
  Listener* listener_;
  int32_t slot_;
  protocol::Kind kind_;
  bool closed_ = false;
  bool closing_ = false;     // close() called: flush, then close
  bool peerClosed_ = false;  // FIN received: flush, then close
  bool paused_ = false;
  bool dirty_ = false;       // has corked bytes to flush at the end of the batch
  bool backlogged_ = false;  // the kernel refused bytes; EPOLLOUT is armed
  bool fullSignalled_ = false;  // onBufferFull fired; a drain is owed
  ByteBuffer tail_;          // an unfinished message
  size_t tailScanned_ = 0;   // bytes of tail_ known to hold no delimiter
  ByteBuffer out_;
};

}  // namespace nw
