// What the files of native/conn share and the code above them does not use
// (as libuv's src/unix/internal.h): the core's state and the operations its
// connections and sessions call, and a connection's state. Core (core.h) and
// Connection (connection.h) build on these; the binding and the tests use only
// what core.h and connection.h declare themselves.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "../net/socket_ops.h"
#include "../protocol/framing.h"
#include "../reactor/reactor.h"
#include "buffer_pool.h"
#include "byte_buffer.h"
#include "event_batch.h"
#include "events.h"
#include "session.h"
#include "stats.h"
#include "websocket_deflate.h"

namespace nw {

class CoreDelegate;
class CoreState;
class Connection;
class Listener;

// A connection's state as the core and its session see it.
struct ConnectionState {
  ConnectionState(CoreState& core, Listener* listener, int32_t slot, protocol::Kind kind)
      : core_(core), listener_(listener), slot_(slot), kind_(kind) {}

  CoreState& core_;
  Listener* listener_;
  int32_t slot_;
  protocol::Kind kind_;
  bool closed_ = false;
  bool connecting_ = false;  // a client connection waiting for connect() to finish
  bool secureConnectPending_ = false;  // a TLS client connection waiting for its handshake
  bool tlsResumePending_ = false;      // a TLS handshake got its server name answer: read on
  uint64_t clientHandshakeTimeoutMs_ = 0;  // a TLS client connection's (a server's is its listener's)
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
  bool masksFrames_ = false;    // a WebSocket client: every frame it sends is masked
  ByteBuffer tail_;          // an unfinished message
  size_t tailScanned_ = 0;   // bytes of tail_ known to hold no delimiter
  ByteBuffer out_;
  std::unique_ptr<Session> session_;  // stateful protocols only (session.h)
};

class CoreState {
 public:
  static constexpr size_t kMinReadSpace = 64 * 1024;
  static constexpr size_t kMaxRead = 256 * 1024;
  // Corked bytes past this go out at once instead of waiting for the batch end.
  static constexpr size_t kCorkLimit = 64 * 1024;

  CoreState(Reactor& reactor, CoreDelegate& delegate, uint8_t* slab, size_t slabSize, int32_t* events,
            size_t eventCapacity);

  // Sending (also Core's API): admit() first (a refusal code, or kSent when the
  // send may go ahead), then write into reserve() and commit().
  int32_t admit(Connection* c);
  uint8_t* reserve(Connection* c, size_t maxBytes);
  int32_t commit(Connection* c, size_t bytes);
  void setAccepting(Listener* l, bool accepting);

  void pushEvent(int32_t type, int32_t slot, int32_t a, int32_t b) { batch_.push(type, slot, a, b); }
  void markDirty(Connection* c);
  // Bytes of the core's own (a keep-alive ping, 100 Continue) took the queue to
  // the send limit: onBufferFull, as a send would have, so that the user pauses
  // before their next send is refused.
  void signalIfFilled(Connection* c, size_t before);
  void flushCorked();
  // False when the write failed and the connection was closed.
  bool flush(Connection* c, bool notify);
  // In a batch: flushed at its end; outside: now.
  void scheduleFlush(Connection* c);
  void closeNow(Connection* c, int32_t reason, bool notify);
  void finishIfDone(Connection* c);
  // Flush, then close (the close handshake is over, or the answer is final).
  void closeAfterFlush(Connection* c);
  void updateInterest(Connection* c);
  // Bad input: counted, reported, parsing stops; the connection closes at the
  // batch end, after the user answered what came before.
  void failProtocol(Connection* c, int32_t code);
  void failConnect(Connection* c, const char* reason);
  // The connection's tail holds input to parse at the next batch start.
  void wantInput(Connection* c);
  void leaveTopics(Connection* c);

  void adopt(Listener* l, int fd, const net::RawAddress& peer);
  int32_t allocateSlot();
  void releaseSlot(int32_t slot);
  void onConnected(Connection* c);
  // A client's TLS handshake ended: kEventConnect, or the connect failure and
  // a close (false).
  bool finishSecureConnect(Connection* c);

  Reactor& reactor_;
  CoreDelegate& delegate_;
  EventBatch batch_;
  std::vector<Connection*> slots_;
  std::vector<int32_t> freeSlots_;
  std::vector<Listener*> listeners_;
  std::vector<Connection*> dirty_;
  BufferPool pool_;
  Stats stats_;
  int spareFd_ = -1;
  std::vector<Connection*> pendingInput_;
  std::unordered_map<std::string, std::vector<Connection*>> topics_;
  // permessage-deflate: the streams shared by the loop, and where a message is
  // compressed before it is framed.
  DeflateStreams deflateStreams_;
  std::vector<uint8_t> deflateScratch_;
};

}  // namespace nw
