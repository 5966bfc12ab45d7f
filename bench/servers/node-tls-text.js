'use strict';
// Node `tls` text echo: the same line splitting and corked answers as node-net-text.js, over TLS.
const tlsModule = require('tls');
const { port, ready, tls } = require('./common');

const p = port();
const server = tlsModule.createServer(tls(), (socket) => {
  socket.setNoDelay(true);
  socket.setEncoding('utf8');
  let tail = '';
  socket.on('data', (chunk) => {
    const s = tail ? tail + chunk : chunk;
    let start = 0;
    let i;
    socket.cork();
    while ((i = s.indexOf('\n', start)) !== -1) {
      const end = i > start && s.charCodeAt(i - 1) === 13 ? i - 1 : i;
      socket.write(s.slice(start, end) + '\n');
      start = i + 1;
    }
    socket.uncork();
    tail = start < s.length ? s.slice(start) : '';
  });
  socket.on('error', () => {});
});
server.on('tlsClientError', () => {});
server.listen({ host: '127.0.0.1', port: p, backlog: 4096 }, () => ready(p));
