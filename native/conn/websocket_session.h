// A WebSocket connection's session: the frames both ends read and the core's
// own frames (close, ping, pong) in websocket_session.cc; the server's upgrade
// in websocket_server_session.cc, the client's in websocket_client_session.cc.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../protocol/outgoing.h"
#include "byte_buffer.h"
#include "websocket_deflate.h"
#include "session.h"

namespace nw {

class WebSocketSession : public Session {
 public:
  enum Phase : uint8_t {
    kAwaitHead,       // server: reading the upgrade request
    kAwaitAccept,     // server: JS decides (onWebSocketConnect); input is held
    kAwaitResponse,   // client: reading the 101
    kOpen,
  };

  size_t consume(Connection& c, uint8_t* p, size_t n, bool inSlab) override;
  bool holdsInput() const override { return phase == kAwaitAccept || closeReceived; }
  bool watchesHangup() const override { return phase == kAwaitAccept; }
  bool acceptsSends() const override { return phase == kOpen && !closeSent; }
  protocol::Framing framingFor(const Connection& c, bool text) const override;
  void finishFailure(Connection& c) override;
  bool appendOwed(Connection& c) override;
  void closed(Connection& c) override;
  void releaseBuffers(BufferPool& pool) override { fragments.release(pool); }
  uint64_t activeSince(const Connection& c) const override;
  bool closeIdle(Connection& c) override;
  WebSocketSession* websocket() override { return this; }

  // The core's WebSocket calls (core.h says what each does).
  virtual bool accept(Connection& c, const std::string& extraHeaders) { return false; }
  void answerPing(Connection& c, const uint8_t* payload, size_t length);
  void close(Connection& c, uint32_t code, const uint8_t* reason, size_t reasonLength);
  void setSendType(protocol::WebSocketType type) {
    ownSendType = true;
    sendType = type;
  }

  Phase phase;
  const bool client;  // masks what it sends, expects unmasked frames
  bool closeSent = false;
  bool closeReceived = false;
  bool pingOutstanding = false;
  bool pongOwed = false;  // the latest ping found no room below the send limit: answer it when there is
  uint8_t messageOpcode = 0;  // text or binary while a fragmented message is open
  uint8_t utf8State = 0;
  bool nonAscii = false;  // the open fragmented text message has a byte >= 0x80
  bool ownSendType = false;  // sendType set for this connection, else the listener's
  protocol::WebSocketType sendType = protocol::WebSocketType::Text;
  uint16_t failCode = 0;  // a protocol error was found: close with this code at the batch end
  uint64_t startedMs = 0;
  uint64_t closeSentAtMs = 0;
  uint64_t pingSentAtMs = 0;
  uint64_t messageActivityMs = 0;  // the last read that carried (part of) a data frame, or a close frame
  ByteBuffer fragments;          // payload of the open fragmented message
  std::string owedPong;          // that ping's payload
  std::string acceptKey;         // to send (server) or to expect (client); cleared once open
  std::vector<std::string> topics;
  // permessage-deflate, once negotiated (none: RSV1 is a protocol error).
  std::unique_ptr<WebSocketDeflate> deflate;
  bool compressedMessage = false;  // the open fragmented message is compressed
  std::string extensionOffer;      // server: the request's Sec-WebSocket-Extensions, until accepted
  protocol::websocket::DeflateOptions deflateOffered;  // client: what its request offered

 protected:
  // A peer gets this long to answer our close frame before the connection is closed under it.
  static constexpr uint64_t kCloseAnswerTimeoutMs = 5000;
  // True once our close frame is queued: the connection only waits for the answer, at most
  // kCloseAnswerTimeoutMs after the frame or the last bytes the peer took (closeTimeouts).
  bool sweepCloseAnswer(Connection& c, uint64_t now);
  WebSocketSession(Phase initial, bool isClient) : phase(initial), client(isClient) {}
  // The upgrade: the request (server) or the 101 (client); returns the bytes used.
  virtual size_t consumeHandshake(Connection& c, uint8_t* p, size_t n, bool inSlab) = 0;
  // Stops parsing, and at the batch end (after the user has answered what
  // arrived before) sends the close frame and closes.
  void fail(Connection& c, uint32_t closeCode, int32_t errorCode);
  // A frame of the core's own (close, ping, pong), outside the send limits.
  void queueFrame(Connection& c, uint8_t opcode, const uint8_t* payload, size_t length);

 private:
  // Whether a pong with this payload can be queued without reaching the send limit.
  bool pongFits(const Connection& c, size_t payloadLength) const;
  size_t consumeFrames(Connection& c, uint8_t* p, size_t n, bool inSlab);
  bool handleDataFrame(Connection& c, uint8_t opcode, bool fin, uint8_t* payload, size_t length, bool inSlab);
  bool handleCompressedFrame(Connection& c, uint8_t opcode, bool fin, const uint8_t* payload, size_t length);
  bool handleCloseFrame(Connection& c, uint8_t* payload, size_t length, bool inSlab);
};

class WebSocketServerSession final : public WebSocketSession {
 public:
  explicit WebSocketServerSession(uint64_t nowMs) : WebSocketSession(kAwaitHead, false) { startedMs = nowMs; }
  // An http:// connection's upgrade request, already read and valid: JS decides its accept.
  WebSocketServerSession(uint64_t nowMs, std::string key) : WebSocketSession(kAwaitAccept, false) {
    startedMs = nowMs;
    acceptKey = std::move(key);
  }
  bool accept(Connection& c, const std::string& extraHeaders) override;
  // Handshake timeout, keep-alive ping, the close answer's timeout.
  void sweep(Connection& c, uint64_t now) override;

 protected:
  size_t consumeHandshake(Connection& c, uint8_t* p, size_t n, bool inSlab) override;

 private:
  // The Sec-WebSocket-Extensions line of the 101 ("" when none is agreed).
  std::string negotiateDeflate(Connection& c);
};

class WebSocketClientSession final : public WebSocketSession {
 public:
  explicit WebSocketClientSession(const std::string& key);
  bool masksSends() const override { return true; }
  void sweep(Connection& c, uint64_t now) override { sweepCloseAnswer(c, now); }

 protected:
  size_t consumeHandshake(Connection& c, uint8_t* p, size_t n, bool inSlab) override;
};

// Answers an upgrade request with an error status and closes; `headerLines`
// (each ending in CRLF) go into the response (the user's, already checked).
void rejectUpgrade(Connection& c, int status, const std::string& body, const std::string& headerLines = "");

}  // namespace nw
