'use strict';
// Node https hello world (keep-alive).
const https = require('https');
const { port, ready, tls } = require('./common');

const p = port();
const body = 'Hello, World!';
https
  .createServer(tls(), (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    res.end(body);
  })
  .listen({ host: '127.0.0.1', port: p, backlog: 4096 }, () => ready(p));
