#pragma once
#include <cstdint>

namespace nw {

// Per-process counters; `status` shows them. The one list: the struct, the
// binding's stats() object and lib/statistics.ts (checked by
// test/contract.test.mjs) all follow it.
#define NW_STATS(X)                                                                        \
  X(connections)            /* accepted connections open now */                            \
  X(outbound)               /* client connections (AsyncTcpConnection) open or connecting */ \
  X(outboundRequest)        /* messages delivered on client connections */                 \
  X(accepted)                                                                              \
  X(totalRequest)           /* messages delivered */                                       \
  X(sendFail)                                                                              \
  X(packageTooLarge)                                                                       \
  X(protocolErrors)                                                                        \
  X(acceptErrors)           /* EMFILE/ENFILE and other accept failures */                  \
  X(rejectedMaxConnections)                                                                \
  X(idleTimeouts)                                                                          \
  X(bytesRead)                                                                             \
  X(bytesWritten)                                                                          \
  X(handshakeErrors)        /* WebSocket upgrade requests answered 4xx */                  \
  X(handshakeTimeouts)      /* heads not complete within handshakeTimeout */               \
  X(headTooLarge)           /* heads over maxHeadSize (431) */                             \
  X(pingTimeouts)           /* closed with 1001 after an unanswered ping */                \
  X(closeTimeouts)          /* peers that did not answer our close frame */                \
  X(httpErrors)             /* HTTP requests answered 4xx/5xx by the core (bad input, limits) */ \
  X(headersTimeouts)        /* HTTP heads not complete within headersTimeout (408) */      \
  X(keepAliveTimeouts)      /* idle keep-alive HTTP connections closed */              \
  X(requestTimeouts)        /* HTTP bodies over requestTimeout or stalled past bodyTimeout (408) */ \
  X(udpDropped)             /* datagrams over maxPackageSize or not one message of the protocol */ \
  X(tlsHandshakes)          /* TLS handshakes completed */                             \
  X(tlsHandshakeErrors)     /* TLS handshakes failed (plaintext, garbage, bad certificate, ...) */ \
  X(tlsHandshakeTimeouts)   /* TLS handshakes not complete within handshakeTimeout */ \
  X(wsCompressed)           /* WebSocket messages compressed (permessage-deflate; a broadcast once per window size) */

struct Stats {
#define NW_STAT_FIELD(name) uint64_t name = 0;
  NW_STATS(NW_STAT_FIELD)
#undef NW_STAT_FIELD
};

}  // namespace nw
