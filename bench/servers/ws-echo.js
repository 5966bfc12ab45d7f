'use strict';
// `ws` WebSocket echo (bufferutil installed beside it is picked up by ws automatically);
// --tls: a WebSocketServer on Node `https`; --deflate: perMessageDeflate with ws's defaults
// (context takeover, threshold 1024, 10 concurrent zlib jobs).
const { port, flag, ready, requirePeer, tls } = require('./common');
const { WebSocketServer } = requirePeer('ws');
try {
  requirePeer('bufferutil');
} catch {}

const p = port();
const options = { perMessageDeflate: flag('deflate'), clientTracking: false };
let wss;
if (flag('tls')) {
  const server = require('https').createServer(tls());
  wss = new WebSocketServer({ server, ...options });
  server.listen({ host: '127.0.0.1', port: p, backlog: 4096 }, () => ready(p));
} else {
  wss = new WebSocketServer({ host: '127.0.0.1', port: p, backlog: 4096, ...options });
  wss.on('listening', () => ready(p));
}
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
