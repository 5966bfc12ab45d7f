// Bun WebSocket echo with perMessageDeflate: true (Bun.serve + websocket handler).
const port = Number(process.argv[2]);
Bun.serve({
  hostname: '127.0.0.1',
  port,
  fetch(req, server) {
    if (server.upgrade(req)) return;
    return new Response('websocket only', { status: 400 });
  },
  websocket: {
    perMessageDeflate: true,
    idleTimeout: 0,
    message(ws, msg) {
      ws.send(msg);
    },
  },
});
console.log(`ready ${port}`);
