// Bun WebSocket fan-out: every client subscribes to one topic; each message is published to
// all of them with server.publish (the publisher included).
const port = Number(process.argv[2]);
const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  fetch(req, server) {
    if (server.upgrade(req)) return;
    return new Response('websocket only', { status: 400 });
  },
  websocket: {
    perMessageDeflate: false,
    idleTimeout: 0,
    open(ws) {
      ws.subscribe('all');
    },
    message(ws, msg) {
      server.publish('all', msg);
    },
  },
});
console.log(`ready ${port}`);
