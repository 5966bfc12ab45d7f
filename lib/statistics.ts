import { clusterDropped } from './cluster/ClusterNode';
import { jsCounters } from './connection/counters';
import { startDispatcher } from './dispatcher';
import { native } from './native';
import { Timer } from './Timer';

/**
 * Counters of this process, as `status` shows them. Every one but `timers` is
 * the core's (the one list is NW_STATS in native/conn/stats.h, which the
 * addon's stats() follows); test/contract.test.mjs fails when this interface
 * names one more or one less.
 */
export interface Statistics {
  /** Accepted connections open now. */
  connections: number;
  /** Client connections (AsyncTcpConnection) connecting or open now; not in `connections`. */
  outbound: number;
  /** Messages delivered on client connections; not in `totalRequest`. */
  outboundRequest: number;
  /** Sends made before a connection could carry them (connecting, before a WebSocket 101) and dropped because it never could. */
  earlySendsDropped: number;
  /** Connections accepted since start. */
  accepted: number;
  /** Messages delivered to onMessage (raw tcp: read chunks). */
  totalRequest: number;
  /** Sends refused (buffer full) or failed (peer gone). */
  sendFail: number;
  /** Connections closed for a package over maxPackageSize. */
  packageTooLarge: number;
  /** Connections closed for bad input (frame length < 4, input() < 0). */
  protocolErrors: number;
  /** accept() failures, EMFILE/ENFILE included; connections dropped meanwhile. */
  acceptErrors: number;
  /** Connections closed at accept because of maxConnections. */
  rejectedMaxConnections: number;
  /** Connections closed by idleTimeout. */
  idleTimeouts: number;
  bytesRead: number;
  bytesWritten: number;
  /** WebSocket upgrade requests refused with 400/426 (431 is headTooLarge). */
  handshakeErrors: number;
  /** WebSocket heads not complete within handshakeTimeout. */
  handshakeTimeouts: number;
  /** WebSocket heads over maxHeadSize (answered 431). */
  headTooLarge: number;
  /** WebSocket connections closed with 1001 after an unanswered ping (pingInterval). */
  pingTimeouts: number;
  /** WebSocket peers that did not answer our close frame within 5 s. */
  closeTimeouts: number;
  /** HTTP requests the core answered itself with 4xx/5xx (bad input, limits, 408). */
  httpErrors: number;
  /** HTTP heads not complete within headersTimeout (answered 408). */
  headersTimeouts: number;
  /** Idle HTTP keep-alive connections closed after keepAliveTimeout. */
  keepAliveTimeouts: number;
  /** HTTP requests whose body took longer than requestTimeout or stalled past bodyTimeout (answered 408). */
  requestTimeouts: number;
  /** UDP datagrams dropped: over maxPackageSize, not one message of the protocol, or a JavaScript protocol refused them. */
  udpDropped: number;
  /** TLS handshakes completed. */
  tlsHandshakes: number;
  /** TLS handshakes that failed: plaintext or garbage, a wrong version, a refused certificate, a peer that left mid-way. */
  tlsHandshakeErrors: number;
  /** TLS handshakes not complete within handshakeTimeout. */
  tlsHandshakeTimeouts: number;
  /** WebSocket messages sent compressed (permessage-deflate); a broadcast or publish counts once per window size it was compressed for. */
  wsCompressed: number;
  /** Active Timer.add() timers. */
  timers: number;
  /** Cluster messages (publish, broadcast, sendTo, ...) this process could not hand on to other processes. */
  clusterDropped: number;
}

export function getStatistics(): Statistics {
  startDispatcher();
  const s = native.stats();
  return {
    ...s,
    totalRequest: s.totalRequest + jsCounters.totalRequest,
    outboundRequest: s.outboundRequest + jsCounters.outboundRequest,
    earlySendsDropped: jsCounters.earlySendsDropped,
    udpDropped: s.udpDropped + jsCounters.udpDropped,
    packageTooLarge: s.packageTooLarge + jsCounters.packageTooLarge,
    protocolErrors: s.protocolErrors + jsCounters.protocolErrors,
    timers: Timer.count(),
    clusterDropped: clusterDropped(),
  };
}
