/** Counters for work done in JavaScript (user protocols); native counters cover the rest. */
export const jsCounters = {
  totalRequest: 0,
  /** Messages a JavaScript protocol decoded on client connections. */
  outboundRequest: 0,
  packageTooLarge: 0,
  protocolErrors: 0,
  /** Sends made before a connection could carry them, dropped when it never could. */
  earlySendsDropped: 0,
  /** Datagrams a JavaScript protocol could not decode as one message. */
  udpDropped: 0,
};
