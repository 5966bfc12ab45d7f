'use strict';
// `ws` fan-out: every message from any client is sent to every connected client (the
// publisher included, which is how the load generator paces it), by looping over clients.
const { port, ready, requirePeer } = require('./common');
const { WebSocketServer } = requirePeer('ws');

const p = port();
const wss = new WebSocketServer({ host: '127.0.0.1', port: p, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    for (const client of wss.clients) client.send(data, { binary: isBinary });
  });
  ws.on('error', () => {});
});
wss.on('listening', () => ready(p));
