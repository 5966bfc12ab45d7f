// Bun WebSocket echo over TLS (Bun.serve with tls + websocket handler).
const port = Number(process.argv[2]);
Bun.serve({
  hostname: '127.0.0.1',
  port,
  tls: { cert: Bun.file(process.env.TLS_CERT), key: Bun.file(process.env.TLS_KEY) },
  fetch(req, server) {
    if (server.upgrade(req)) return;
    return new Response('websocket only', { status: 400 });
  },
  websocket: {
    perMessageDeflate: false,
    idleTimeout: 0,
    message(ws, msg) {
      ws.send(msg);
    },
  },
});
console.log(`ready ${port}`);
