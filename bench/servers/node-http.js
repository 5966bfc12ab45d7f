'use strict';
// Node http hello world (keep-alive); --tls: Node https.
const { port, flag, ready, tls } = require('./common');

const p = port();
const body = 'Hello, World!';
const answer = (req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  res.end(body);
};
const server = flag('tls') ? require('https').createServer(tls(), answer) : require('http').createServer(answer);
server.listen({ host: '127.0.0.1', port: p, backlog: 4096 }, () => ready(p));
