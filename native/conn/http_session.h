// An HTTP/1.1 server connection's session: request heads parsed natively,
// bodies by Content-Length or chunked, pipelined requests in order, the error
// answers, 100 Continue, and the head and keep-alive timeouts. Responses
// themselves are written by JS.
#pragma once
#include <cstdint>
#include <string>

#include "../protocol/http/request_head.h"
#include "../protocol/websocket/handshake.h"
#include "byte_buffer.h"
#include "session.h"

namespace nw {

class HttpSession final : public Session {
 public:
  enum Phase : uint8_t {
    kHead,          // reading a request head
    kLengthBody,    // head parsed; waiting for Content-Length bytes (the head stays in front of them)
    kChunkedBody,   // head copied to `assembled`; decoding chunks after it
    kDone,          // the last request was read (Connection: close, CONNECT): nothing after it is read
    kUpgradePending,  // a request that asks for a WebSocket was handed on: nothing is read until JS takes
                      // the upgrade (Core::upgradeHttp) or serves it as HTTP (declineUpgrade)
  };

  size_t consume(Connection& c, uint8_t* p, size_t n, bool inSlab) override;
  void sweep(Connection& c, uint64_t now) override;
  void finishFailure(Connection& c) override;
  // After the last request (Connection: close, CONNECT) nothing more is read;
  // nor behind an upgrade request until JS decides (a peer that leaves is noticed).
  bool holdsInput() const override { return phase == kDone || phase == kUpgradePending; }
  bool watchesHangup() const override { return phase == kUpgradePending; }
  void releaseBuffers(BufferPool& pool) override { assembled.release(pool); }
  HttpSession* http() override { return this; }

  // The user finished a response (the keep-alive clock restarts).
  void responded(Connection& c);

  // The request handed on with kEventHttpUpgrade: whether it waits for JS,
  // the status refusing it as an upgrade (0: a valid one) and why, its accept key.
  bool upgradePending() const { return phase == kUpgradePending; }
  int upgradeStatus() const { return upgrade_.status; }
  const char* upgradeError() const { return upgrade_.error; }
  std::string takeUpgradeKey() { return std::move(upgrade_.acceptKey); }
  std::string takeUpgradeExtensions() { return std::move(upgrade_.extensions); }  // its Sec-WebSocket-Extensions
  // JS serves it as an ordinary request: reading goes on behind it.
  void declineUpgrade(Connection& c);

 private:
  // Answer `status` at the batch end (after the responses to earlier
  // pipelined requests), then close.
  void fail(Connection& c, int status, const char* error);
  void emitRequest(Connection& c, const uint8_t* p, size_t length, bool inSlab);
  // Bytes of the core's own (100 Continue), outside the send limits.
  void queueRaw(Connection& c, const char* text);

  Phase phase = kHead;
  Phase afterUpgrade = kHead;  // where a declined upgrade request leaves the connection
  bool upgradeAsked = false;   // the head being read asks for a WebSocket
  protocol::websocket::UpgradeRequest upgrade_;  // its verdict as an upgrade (a listener that takes them)
  uint8_t emptyLines = 0;    // empty lines skipped before the request line being read
  uint16_t errorStatus = 0;  // bad input: answer with this status at the batch end, then close
  const char* error = "";
  uint32_t outstanding = 0;  // requests handed to JS whose response has not ended
  uint64_t headStartedMs = 0;     // first byte of an unfinished head; 0 when none
  uint64_t requestStartedMs = 0;  // first byte of an unfinished request; 0 when none
  uint64_t bodyProgressMs = 0;    // the last bytes read of an unfinished body
  protocol::http::RequestHead head;
  protocol::http::ChunkedDecoder chunked;
  ByteBuffer assembled;  // head + decoded body of a chunked request
};

}  // namespace nw
