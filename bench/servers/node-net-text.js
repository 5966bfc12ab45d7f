'use strict';
// Node `net` text echo: split the stream into lines and answer each line, the same work a
// text:// worker does (decode to a string, hand over the line without "\n", send it with "\n").
// Writes of one chunk are corked so they leave in one syscall, as netwright corks a batch.
// --tls: Node `tls` (the same splitting and corked answers over TLS).
const { port, flag, ready, tls } = require('./common');

const p = port();
const echoLines = (socket) => {
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
      const line = s.slice(start, end);
      socket.write(line + '\n');
      start = i + 1;
    }
    socket.uncork();
    tail = start < s.length ? s.slice(start) : '';
  });
  socket.on('error', () => {});
};
const server = flag('tls') ? require('tls').createServer(tls(), echoLines) : require('net').createServer(echoLines);
server.on('tlsClientError', () => {});
server.listen({ host: '127.0.0.1', port: p, backlog: 4096 }, () => ready(p));
