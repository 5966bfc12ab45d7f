// The connection core's API: listeners, connections by slot, batches, sending,
// closing, and the WebSocket and HTTP calls. No Node headers: the embedder
// provides the slab and event memory and a delegate that delivers batches.
// What the core shares with its connections and sessions is in internal.h.
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
#include "internal.h"
#include "listener.h"
#include "stats.h"
#include "udp_socket.h"

namespace nw {

namespace tls {
class Context;
}

class Core : public CoreState {
 public:
  Core(Reactor& reactor, CoreDelegate& delegate, uint8_t* slab, size_t slabSize, int32_t* events,
       size_t eventCapacity);
  ~Core();

  // Batches: everything the reactor dispatches between begin and end is
  // delivered to the embedder, then corked sends are flushed.
  void beginBatch();
  void endBatch();
  bool inBatch() const { return batch_.inBatch(); }

  // Listeners. listen() returns the id, or -errno.
  int32_t listen(const net::ListenOptions& options, const ListenerConfig& config);
  // Serves a listening socket opened elsewhere (a master process); the core
  // owns the descriptor from here on.
  int32_t listenOn(int fd, const ListenerConfig& config);
  Listener* listener(int32_t id) const;
  void unlisten(int32_t id);

  // Client connections. Returns the slot, or -errno. kEventConnect follows
  // when the stream connects; for WebSocket the upgrade request is sent then,
  // and kEventUpgraded follows the 101. `key` is the Sec-WebSocket-Key it carries.
  // With `secure`, TLS: kEventConnect follows the handshake (and the upgrade
  // request goes then); `servername` is sent as SNI and the certificate checked against it;
  // a handshake not done `handshakeTimeoutMs` after the TCP connect fails the connect (0: no limit).
  int32_t connect(const net::ConnectTarget& target, protocol::Kind kind, const std::string& upgradeRequest,
                  const std::string& key, std::shared_ptr<tls::Context> secure = nullptr,
                  const std::string& servername = std::string(), uint64_t handshakeTimeoutMs = 10000);
  // A TLS handshake's server name query answered (a context, or nullptr to
  // refuse it): it resumes in the next batch. False when none was waiting.
  bool resolveServerName(Connection* c, std::shared_ptr<tls::Context> chosen);

  Connection* connection(int32_t slot) const;  // open connections only
  // Also one closed in the current batch, whose slot is not yet released.
  Connection* connectionEvenIfClosed(int32_t slot) const;

  // Sending a payload framed the connection's way (protocol/outgoing.h):
  // beginSend() admits it and reserves room for up to maxLength payload bytes;
  // the caller writes them at payload(), then finishSend() frames and commits
  // them. A result of beginSend() other than kSent is the send's result.
  // (admit(), reserve() and commit() are CoreState's.)
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

  // WebSocket (core_websocket.cc; the work is the connection's session's).
  bool acceptWebSocket(Connection* c, const std::string& extraHeaders);
  // An http:// connection's request announced by kEventHttpUpgrade: upgradeHttp()
  // makes it a WebSocket connection waiting for acceptWebSocket/rejectHandshake
  // (false when the upgrade was invalid: then it is refused with its status and
  // closes); declineUpgrade() serves it as an ordinary request instead.
  bool upgradeHttp(Connection* c);
  void declineUpgrade(Connection* c);
  // headerLines: extra response header lines, each ending in CRLF (checked by the caller).
  void rejectHandshake(Connection* c, int status, const std::string& body, const std::string& headerLines = "");
  // A ws:// client: what its upgrade request offers of permessage-deflate (call
  // before the 101 can arrive; the answer is checked against it).
  bool setClientDeflate(Connection* c, const protocol::websocket::DeflateOptions& offered);
  // The automatic pong. When it would take the queue to the send limit it waits
  // until there is room below the limit; a newer ping replaces the payload of one still waiting
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
  bool unsubscribe(Connection* c, const std::string& topic);
  // The user finished a response (the HTTP keep-alive clock restarts).
  void httpResponded(Connection* c);
  // UDP (core_udp.cc): each returns the socket's id, or -errno.
  int32_t bindUdp(const net::DatagramOptions& options, protocol::Kind kind);
  int32_t adoptUdp(int fd, protocol::Kind kind);
  int32_t connectUdp(const std::string& host, int port, protocol::Kind kind);
  UdpSocket* udpSocket(int32_t id) const;  // open sockets only
  // One datagram framed as `framing` to `to` (family 0: a connected socket's
  // peer). In a batch it is corked and leaves with the batch's other replies
  // (sendmmsg); kSent, or kRefusedClosed / kRefusedFull (too large, or the
  // kernel refused it: counted in sendFail).
  int32_t sendDatagram(UdpSocket* s, protocol::Framing framing, const uint8_t* data, size_t length,
                       const net::RawAddress& to);
  void closeUdp(UdpSocket* s);
  // The socket is readable (UdpSocket::onReady).
  void readDatagrams(UdpSocket* s);

  // Closes every connection and listener (process or worker teardown).
  void shutdown();

  const Stats& stats() const { return stats_; }
  // Whether anything is open that should keep the embedding loop alive.
  bool hasOpenSockets() const;

 private:
  bool compressInPlace(Connection* c, const Outgoing& out, size_t* length);
  class SharedFrames;
  void queueShared(Connection* c, SharedFrames& frames, int32_t& written);
  int32_t openUdp(int fd, protocol::Kind kind, bool connected);
  void emitDatagram(UdpSocket* s, const net::RawAddress& from, const uint8_t* payload, size_t length);
  void flushDatagrams(UdpSocket* s);
  void flushAllDatagrams();

  std::vector<UdpSocket*> udpSockets_;  // by id; ids are not reused
  std::vector<UdpSocket*> udpDirty_;    // sockets with replies corked in this batch
  size_t openUdp_ = 0;
  std::vector<uint8_t> datagramScratch_;
  std::vector<std::unique_ptr<Session>> retiredSessions_;  // replaced in this batch (an http:// upgrade)
};

}  // namespace nw
