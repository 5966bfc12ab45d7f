// Bun WebSocket echo (Bun.serve + websocket handler); --tls: wss (Bun's tls option);
// --deflate: perMessageDeflate: true (Bun's defaults for it), and every echo sent compressed:
// Bun's send() compresses only when its second argument is true.
const { port, flag, ready, tls } = require('./common');

const p = port();
const deflate = flag('deflate');
Bun.serve({
  hostname: '127.0.0.1',
  port: p,
  ...(flag('tls') ? { tls: tls() } : {}),
  fetch(req, server) {
    if (server.upgrade(req)) return;
    return new Response('websocket only', { status: 400 });
  },
  websocket: {
    perMessageDeflate: deflate,
    idleTimeout: 0,
    message(ws, msg) {
      ws.send(msg, deflate);
    },
  },
});
ready(p);
