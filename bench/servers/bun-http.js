// Bun.serve hello world; --tls: over TLS (Bun's tls option).
const { port, flag, ready, tls } = require('./common');

const p = port();
Bun.serve({
  hostname: '127.0.0.1',
  port: p,
  ...(flag('tls') ? { tls: tls() } : {}),
  fetch() {
    return new Response('Hello, World!', { headers: { 'Content-Type': 'text/plain' } });
  },
});
ready(p);
