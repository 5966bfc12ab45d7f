// The connection core: listeners, connections by slot, the event batch handed
// to the embedder, corking, and counters. No Node headers: the embedder
// provides the slab and event memory and a delegate that delivers batches.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "../net/socket_ops.h"
#include "../reactor/reactor.h"
#include "buffer_pool.h"
#include "connection.h"
#include "events.h"
#include "listener.h"
#include "stats.h"

namespace nw {

namespace tls {
class Context;
}

class CoreDelegate {
 public:
  virtual ~CoreDelegate() = default;
  // Hand the first `count` descriptors to the user; the slab regions they
  // name are valid until this returns.
  virtual void deliverEvents(size_t count) = 0;
  // Keep a copy of a message too large for the slab; returns its index for
  // an event flagged kEventStashed, or -1 when out of memory.
  virtual int32_t stashLarge(const uint8_t* data, size_t length) = 0;
  virtual uint64_t nowMs() = 0;
  // Events or input are waiting outside a batch: run one soon.
  virtual void wake() = 0;
};

class Core {
 public:
  static constexpr size_t kMinReadSpace = 64 * 1024;
  static constexpr size_t kMaxRead = 256 * 1024;
  // Corked bytes past this go out at once instead of waiting for the batch end.
  static constexpr size_t kCorkLimit = 64 * 1024;

  Core(Reactor& reactor, CoreDelegate& delegate, uint8_t* slab, size_t slabSize, int32_t* events,
       size_t eventCapacity);
  ~Core();

  // Batches: everything the reactor dispatches between begin and end is
  // delivered to the embedder, then corked sends are flushed.
  void beginBatch();
  void endBatch();
  bool inBatch() const { return inBatch_; }

  // Listeners. listen() returns the id, or -errno.
  int32_t listen(const net::ListenOptions& options, const ListenerConfig& config);
  // Serves a listening socket opened elsewhere (a master process); the core
  // owns the descriptor from here on.
  int32_t listenOn(int fd, const ListenerConfig& config);
  Listener* listener(int32_t id) const;
  void unlisten(int32_t id);
  void setAccepting(Listener* l, bool accepting);

  // Client connections. Returns the slot, or -errno. For WebSocket the
  // upgrade request is sent once TCP connects, and kEventConnect follows the
  // 101; `key` is the Sec-WebSocket-Key it carries.
  // With `secure`, TLS: kEventConnect (or the upgrade request) follows the
  // handshake; `servername` is sent as SNI and the certificate checked against it.
  int32_t connect(const std::string& host, int port, protocol::Kind kind, const std::string& upgradeRequest,
                  const std::string& key, std::shared_ptr<tls::Context> secure = nullptr,
                  const std::string& servername = std::string());

  Connection* connection(int32_t slot) const;  // open connections only
  // Also one closed in the current batch, whose slot is not yet released.
  Connection* connectionEvenIfClosed(int32_t slot) const;

  // Sending: admit() first (a refusal code, or kSent when the send may go
  // ahead), then write into reserve() and commit().
  int32_t admit(Connection* c);
  uint8_t* reserve(Connection* c, size_t maxBytes);
  int32_t commit(Connection* c, size_t bytes);

  // Sending a payload framed the connection's way (protocol/outgoing.h):
  // beginSend() admits it and reserves room for up to maxLength payload bytes;
  // the caller writes them at payload(), then finishSend() frames and commits
  // them. A result of beginSend() other than kSent is the send's result.
  struct Outgoing {
    uint8_t* start = nullptr;
    size_t room = 0;  // before the payload, for the header
    protocol::Framing framing = protocol::Framing::None;
    bool endsResponse = false;  // the last bytes of an HTTP response
    uint8_t* payload() const { return start + room; }
  };
  int32_t beginSend(Connection* c, protocol::Framing framing, size_t maxLength, Outgoing* out);
  int32_t finishSend(Connection* c, const Outgoing& out, size_t length);
  // Both, for bytes already in memory.
  int32_t send(Connection* c, protocol::Framing framing, const uint8_t* data, size_t length, bool endsResponse = false);

  // close(): flush, then close; returns true when it closed at once (then no
  // close event follows). destroy(): close now, drop what is queued.
  bool close(Connection* c);
  void destroy(Connection* c);
  void setReceiving(Connection* c, bool receiving);
  // JS holds (or no longer holds) messages it has not delivered. While held,
  // bad input and the peer's FIN do not close (nor send the failure's close
  // frame or error response): the replies to those messages go out first.
  void setHeld(Connection* c, bool held);

  // Idle timeouts and accept back-off; call every few hundred ms in a batch.
  void sweep();
  // Input held back (a WebSocket waiting for its accept); call at batch start.
  void processPendingInput();

  // WebSocket (core_websocket.cc).
  bool acceptWebSocket(Connection* c, const std::string& extraHeaders);
  void rejectHandshake(Connection* c, int status, const std::string& body);
  // The automatic pong. At the send limit it waits until the queue is below
  // it again; a newer ping replaces the payload of one still waiting
  // (RFC 6455 5.5.3: the most recent ping is answered).
  void answerPing(Connection* c, const uint8_t* payload, size_t length);
  // Sends a close frame and keeps reading until the peer answers (or 5 s).
  void closeWebSocket(Connection* c, uint32_t code, const uint8_t* reason, size_t reasonLength);
  // Frame written once, queued to every open websocket of the listener (or of
  // the topic) but the excepted slots. Returns how many were written to.
  int32_t broadcast(Listener* l, uint8_t opcode, const uint8_t* payload, size_t length, const int32_t* except,
                    size_t exceptCount);
  int32_t publish(Listener* l, const std::string& topic, uint8_t opcode, const uint8_t* payload, size_t length);
  bool subscribe(Connection* c, const std::string& topic);
  // The user finished a response (the HTTP keep-alive clock restarts).
  void httpResponded(Connection* c);
  bool unsubscribe(Connection* c, const std::string& topic);
  // Closes every connection and listener (process or worker teardown).
  void shutdown();

  const Stats& stats() const { return stats_; }
  // Whether anything is open that should keep the embedding loop alive.
  bool hasOpenSockets() const;

 private:
  friend class Connection;
  friend class Listener;

  void adopt(Listener* l, int fd, const net::RawAddress& peer);
  int32_t allocateSlot();
  void onConnected(Connection* c);
  // A client's TLS handshake ended: kEventConnect, or the connect failure and
  // a close (false).
  bool finishSecureConnect(Connection* c);
  void pushEvent(int32_t type, int32_t slot, int32_t a, int32_t b);
  void deliver();
  // Where the next read or message copy goes; may deliver the batch first and
  // start the slab over. While a read is being parsed its bytes are still in use
  // (and named by descriptors not yet delivered): then, without room at the end,
  // nullptr (copy the message elsewhere).
  uint8_t* slabSpace(size_t need);
  void advanceSlab(size_t n) { slabUsed_ += n; }
  bool hasSlabRoomFor(size_t n) const { return n <= slabSize_ / 2; }
  void markDirty(Connection* c);
  void flushCorked();
  // False when the write failed and the connection was closed.
  bool flush(Connection* c, bool notify);
  void closeNow(Connection* c, int32_t reason, bool notify);
  void finishIfDone(Connection* c);
  void updateInterest(Connection* c);
  void failProtocol(Connection* c, int32_t code);
  // Stops parsing, and at the batch end (after the user has answered what
  // arrived before) sends the close frame and closes.
  void failWebSocket(Connection* c, uint32_t closeCode, int32_t errorCode);
  void finishFailure(Connection* c);
  void finishHttpFailure(Connection* c);
  void failConnect(Connection* c, const char* reason);
  // HTTP (core_http.cc): answer `status` at the batch end (after the
  // responses to earlier pipelined requests), then close.
  void failHttp(Connection* c, int status, const char* error);
  void queueRaw(Connection* c, const char* text);
  void sweepHttp(Connection* c, uint64_t now);
  // A frame of the core's own (close, ping), outside the send limits.
  void queueFrame(Connection* c, uint8_t opcode, const uint8_t* payload, size_t length);
  void closeAfterFlush(Connection* c);
  // Queues the owed pong (flush() calls it once the queue is below its limit).
  void appendOwedPong(Connection* c);
  void scheduleFlush(Connection* c);
  void queueShared(Connection* c, const std::vector<uint8_t>& frame, int32_t& written);
  void leaveTopics(Connection* c);
  void sweepWebSocket(Connection* c, uint64_t now);
  void releaseSlot(int32_t slot);

  Reactor& reactor_;
  CoreDelegate& delegate_;
  uint8_t* slab_;
  size_t slabSize_;
  size_t slabUsed_ = 0;
  int32_t* events_;
  size_t eventCapacity_;
  size_t eventCount_ = 0;
  bool inBatch_ = false;
  bool delivering_ = false;
  bool parsingSlab_ = false;  // a read is being parsed in place in the slab (Connection::consume)
  std::vector<int32_t> overflow_;  // events pushed while a full array was being delivered
  std::vector<Connection*> slots_;
  std::vector<int32_t> freeSlots_;
  std::vector<Listener*> listeners_;
  std::vector<Connection*> dirty_;
  BufferPool pool_;
  Stats stats_;
  int spareFd_ = -1;
  bool wakeRequested_ = false;
  std::vector<Connection*> pendingInput_;
  std::unordered_map<std::string, std::vector<Connection*>> topics_;
};

}  // namespace nw
