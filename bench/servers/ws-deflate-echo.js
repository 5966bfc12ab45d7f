'use strict';
// `ws` WebSocket echo with permessage-deflate (ws defaults: context takeover, threshold 1024, 10 concurrent zlib jobs; bufferutil installed beside it is picked up by ws automatically).
const { port, ready, requirePeer } = require('./common');
const { WebSocketServer } = requirePeer('ws');
try {
  requirePeer('bufferutil');
} catch {}

const p = port();
const wss = new WebSocketServer({ host: '127.0.0.1', port: p, perMessageDeflate: true, clientTracking: false, backlog: 4096 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
wss.on('listening', () => ready(p));
