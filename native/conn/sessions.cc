// The registration of the stateful protocols: which session a connection of
// each kind gets. Raw, text and frame connections have none (their direct
// path is in connection.cc). A new protocol adds its case here.
#include <memory>

#include "connection.h"
#include "http_session.h"
#include "session.h"
#include "websocket_session.h"

namespace nw {

using protocol::Kind;

uint64_t Session::activeSince(const Connection& c) const { return c.lastActivityMs; }

std::unique_ptr<Session> makeServerSession(Kind kind, uint64_t nowMs) {
  switch (kind) {
    case Kind::WebSocket: return std::make_unique<WebSocketServerSession>(nowMs);
    case Kind::Http: return std::make_unique<HttpSession>();
    default: return nullptr;
  }
}

std::unique_ptr<Session> makeClientSession(Kind kind, const std::string& key) {
  switch (kind) {
    case Kind::WebSocket: return std::make_unique<WebSocketClientSession>(key);
    default: return nullptr;
  }
}

}  // namespace nw
