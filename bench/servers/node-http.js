'use strict';
// Node http hello world (keep-alive).
const http = require('http');
const { port, ready } = require('./common');

const p = port();
const body = 'Hello, World!';
http
  .createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    res.end(body);
  })
  .listen(p, '127.0.0.1', () => ready(p));
