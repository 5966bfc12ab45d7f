'use strict';
// Node `net` raw echo: every chunk read is written back whole.
const net = require('net');
const { port, ready } = require('./common');

const p = port();
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => {});
});
server.listen(p, '127.0.0.1', () => ready(p));
