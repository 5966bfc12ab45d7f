// Bun.serve hello world over TLS.
const port = Number(process.argv[2]);
Bun.serve({
  hostname: '127.0.0.1',
  port,
  tls: { cert: Bun.file(process.env.TLS_CERT), key: Bun.file(process.env.TLS_KEY) },
  fetch() {
    return new Response('Hello, World!', { headers: { 'Content-Type': 'text/plain' } });
  },
});
console.log(`ready ${port}`);
