// A stateful protocol's side of one connection (WebSocket server or client,
// HTTP). The core calls these at fixed points and knows nothing else of the
// protocol; raw, text and frame connections have no session (their direct path
// is in connection.cc). A new protocol is a Session subclass in its own file
// plus one line in sessions.cc.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "../protocol/framing.h"
#include "../protocol/outgoing.h"
#include "buffer_pool.h"

namespace nw {

class Connection;
class WebSocketSession;
class HttpSession;

class Session {
 public:
  virtual ~Session() = default;

  // Parses input at p (in the slab when inSlab, else the connection's tail);
  // returns the bytes used, the rest waits in the tail. May emit events, fail
  // the connection, or close it.
  virtual size_t consume(Connection& c, uint8_t* p, size_t n, bool inSlab) = 0;
  // Input is held, not read, for now (a WebSocket deciding its upgrade, or past
  // the peer's close frame).
  virtual bool holdsInput() const { return false; }
  // While input is held, a peer that hangs up is still noticed (and closes).
  virtual bool watchesHangup() const { return false; }
  // Whether the user may send now (a WebSocket only once open, and not after its close frame).
  virtual bool acceptsSends() const { return true; }
  // How send() frames a string (text) or bytes on this connection.
  virtual protocol::Framing framingFor(const Connection& c, bool text) const { return protocol::Framing::None; }
  // A WebSocket client: every frame this end sends is masked.
  virtual bool masksSends() const { return false; }
  // Timers (handshake, keep-alive, close answer, HTTP head and idle); from Core::sweep().
  virtual void sweep(Connection& c, uint64_t now) {}
  // idleTimeout's clock: when the connection was last active (any byte read,
  // unless the protocol says otherwise: a WebSocket may leave pings and pongs out).
  virtual uint64_t activeSince(const Connection& c) const;
  // idleTimeout passed: true when the session ends the connection its own way
  // (an open WebSocket's close 1001, then the close answer's timeout), false
  // for the core's plain close.
  virtual bool closeIdle(Connection& c) { return false; }
  // Bad input was found: queue the protocol's answer (close frame, error
  // response) before the connection closes.
  virtual void finishFailure(Connection& c) {}
  // The send queue has room: append what the protocol owes (the pong to the
  // latest ping). True when it appended bytes.
  virtual bool appendOwed(Connection& c) { return false; }
  // The connection closed (its events may still be in the batch).
  virtual void closed(Connection& c) {}
  // The connection is being deleted (at the batch end): give back what the
  // session holds of the pool.
  virtual void releaseBuffers(BufferPool& pool) {}

  // The protocol's own API (Core's WebSocket and HTTP calls) reaches its session here.
  virtual WebSocketSession* websocket() { return nullptr; }
  virtual HttpSession* http() { return nullptr; }
};

// The registration (sessions.cc): the session a connection of this kind gets,
// or nullptr for the stateless kinds.
std::unique_ptr<Session> makeServerSession(protocol::Kind kind, uint64_t nowMs);
// A client connection; `key` is the Sec-WebSocket-Key of its upgrade request.
std::unique_ptr<Session> makeClientSession(protocol::Kind kind, const std::string& key);

}  // namespace nw
