'use strict';
// `ws` WebSocket echo over TLS: a WebSocketServer on Node `https` (bufferutil picked up by ws).
const https = require('https');
const { port, ready, requirePeer, tls } = require('./common');
const { WebSocketServer } = requirePeer('ws');
try {
  requirePeer('bufferutil');
} catch {}

const p = port();
const server = https.createServer(tls());
const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
server.listen({ host: '127.0.0.1', port: p, backlog: 4096 }, () => ready(p));
