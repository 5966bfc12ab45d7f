'use strict';
// Shared by the Node and Bun peer servers: the port and variant flags from argv, peer dependencies resolved from the
// repository's node_modules first, then bench/peers/node_modules (npm --prefix bench/peers install).
const path = require('path');
const { createRequire } = require('module');

// Arguments: [--tls] [--deflate] PORT [more]. A flag picks a variant of the same server.
const args = process.argv.slice(2);
exports.flag = (name) => args.includes(`--${name}`);

exports.port = () => {
  const port = Number(args.find((a) => !a.startsWith('--')) || process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) {
    console.error('usage: <server> PORT');
    process.exit(2);
  }
  return port;
};

exports.requirePeer = (name) => {
  const roots = [path.join(__dirname, '..', '..', 'package.json'), path.join(__dirname, '..', 'peers', 'package.json')];
  for (const root of roots) {
    try {
      return createRequire(root)(name);
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  console.log(`unavailable: npm package ${name} not installed (npm --prefix bench/peers install)`);
  process.exit(3);
};

// The runner's self-signed test certificate (TLS_CERT, TLS_KEY: file paths, made at bench start), read
exports.tls = () => {
  const { TLS_CERT: cert, TLS_KEY: key } = process.env;
  if (!cert || !key) {
    console.error('TLS_CERT and TLS_KEY must name the test certificate and key');
    process.exit(2);
  }
  const fs = require('fs');
  return { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
};

// Servers print "ready <port>" once listening; the runner waits for it.
exports.ready = (port) => console.log(`ready ${port}`);
