#pragma once
#include <cstdint>

namespace nw {

// Per-process counters; `status` shows them.
struct Stats {
  uint64_t connections = 0;  // open now
  uint64_t accepted = 0;
  uint64_t totalRequest = 0;  // messages delivered
  uint64_t sendFail = 0;
  uint64_t packageTooLarge = 0;
  uint64_t protocolErrors = 0;
  uint64_t acceptErrors = 0;  // EMFILE/ENFILE and other accept failures
  uint64_t rejectedMaxConnections = 0;
  uint64_t idleTimeouts = 0;
  uint64_t handshakeErrors = 0;    // WebSocket upgrade requests answered 4xx
  uint64_t handshakeTimeouts = 0;  // heads not complete within handshakeTimeout
  uint64_t headTooLarge = 0;       // heads over maxHeadSize (431)
  uint64_t pingTimeouts = 0;       // closed with 1001 after an unanswered ping
  uint64_t closeTimeouts = 0;      // peers that did not answer our close frame
  uint64_t httpErrors = 0;         // HTTP requests answered 4xx/5xx by the core (bad input, limits)
  uint64_t headersTimeouts = 0;    // HTTP heads not complete within headersTimeout (408)
  uint64_t keepAliveTimeouts = 0;  // idle keep-alive HTTP connections closed
  uint64_t bytesRead = 0;
  uint64_t bytesWritten = 0;
};

}  // namespace nw
