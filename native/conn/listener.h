// A listening socket and the settings its accepted connections inherit.
#pragma once
#include <cstdint>
#include <memory>

#include "../protocol/framing.h"
#include "../protocol/outgoing.h"
#include "../protocol/websocket/deflate_negotiation.h"
#include "../reactor/reactor.h"

namespace nw {

class Core;
namespace tls {
class Context;
}

// TCP_NODELAY and keepalive are set when the socket is made (net::ListenOptions):
// accepted sockets inherit them from it.
struct ListenerConfig {
  protocol::Kind kind = protocol::Kind::Raw;
};

class Listener final : public IoHandle {
 public:
  Listener(Core& core, int fd, int32_t id, const ListenerConfig& config);
  ~Listener() override;

  void onReady(uint32_t readiness) override;

  int32_t id() const { return id_; }
  bool closed() const { return fd_ < 0; }
  void closeSocket();
  const ListenerConfig& config() const { return config_; }

  uint32_t maxConnections = 0;  // 0 = unlimited
  uint64_t idleTimeoutMs = 0;   // 0 = off
  bool pingPongIsActivity = true;  // WebSocket pings and pongs received reset idleTimeout's clock
  uint32_t connections = 0;     // open now
  bool paused = false;          // by pauseAccept()
  uint64_t resumeAtMs = 0;      // accept backed off after EMFILE until then
  // WebSocket limits.
  uint32_t maxHeadSize = 16384;
  uint64_t handshakeTimeoutMs = 10000;
  uint64_t pingIntervalMs = 0;
  protocol::WebSocketType websocketType = protocol::WebSocketType::Auto;  // connections that set none
  protocol::websocket::DeflateOptions deflate;  // permessage-deflate (off unless enabled)
  // TLS: sessions of connections accepted from now on are made from it (none: plaintext).
  std::shared_ptr<tls::Context> secureContext;
  // HTTP limits.
  uint64_t headersTimeoutMs = 30000;
  uint64_t keepAliveTimeoutMs = 5000;
  uint64_t requestTimeoutMs = 300000;  // a whole request, head and body
  uint64_t bodyTimeoutMs = 30000;      // between two reads of a body
  bool allowConnect = false;           // CONNECT reaches JS instead of a 405
  bool websocketUpgrades = false;      // requests that ask for a WebSocket are handed on as kEventHttpUpgrade

 private:
  void acceptOverflow();

  Core& core_;
  int32_t id_;
  ListenerConfig config_;
};

}  // namespace nw
