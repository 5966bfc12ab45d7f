'use strict';
// Node `net` text echo: split the stream into lines and answer each line, the same work a
// text:// worker does (decode to a string, hand over the line without "\n", send it with "\n").
// Writes of one chunk are corked so they leave in one syscall, as netwright corks a batch.
const net = require('net');
const { port, ready } = require('./common');

const p = port();
const server = net.createServer({ noDelay: true }, (socket) => {
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
});
server.listen(p, '127.0.0.1', () => ready(p));
