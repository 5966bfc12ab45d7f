#!/usr/bin/env node
// Server RSS per idle permessage-deflate connection (README, WebSocket
// compression): a netwright websocket:// server in a child process, N raw
// clients in this one (the fd limit is per process), each offering
// permessage-deflate and, with --message, exchanging one 4 KiB JSON message
// so that the connection's zlib streams exist. Prints the server's RSS growth
// per connection.
//   node bench/deflate-idle-memory.mjs [--conns 10000] [--message] [--no-context] [--window 15] [--mem-level 8]
import { fork } from 'node:child_process';
import net from 'node:net';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);

if (process.env.DEFLATE_MEMORY_SERVER) {
  const { Worker } = await import('../dist/index.js');
  const options = JSON.parse(process.env.DEFLATE_MEMORY_SERVER);
  const w = new Worker('websocket://127.0.0.1:0', { perMessageDeflate: options });
  w.onMessage = (c, d) => c.send(d);
  await w.listen();
  process.send({ port: w.port });
  process.on('message', () => {
    globalThis.gc?.();
    setTimeout(() => process.send({ rss: process.memoryUsage.rss(), connections: w.connections.size }), 200);
  });
} else {
  const conns = value('--conns', 10000);
  const options = { serverNoContextTakeover: flag('--no-context'), clientNoContextTakeover: flag('--no-context'), serverMaxWindowBits: value('--window', 15), memLevel: value('--mem-level', 8) };
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, DEFLATE_MEMORY_SERVER: JSON.stringify(options) }, execArgv: ['--expose-gc'] });
  const next = () => new Promise((resolve) => child.once('message', resolve));
  const { port } = await next();
  const rss = async () => { child.send('rss'); return next(); };
  const before = await rss();
  const items = Array.from({ length: 60 }, (_, i) => ({ id: i, name: `user-${i}`, online: i % 3 === 0, tags: ['alpha', 'beta'] }));
  const message = Buffer.from(JSON.stringify(items));
  const compressed = zlib.deflateRawSync(message, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
  const frame = (payload) => {
    const head = payload.length < 126 ? Buffer.from([0xc1, 0x80 | payload.length]) : Buffer.from([0xc1, 0x80 | 126, payload.length >> 8, payload.length & 255]);
    return Buffer.concat([head, Buffer.alloc(4), payload]); // mask 0: payload as is
  };
  const sockets = [];
  const open = () => new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    let upgraded = false;
    s.on('error', reject);
    s.on('connect', () => s.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n`));
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (!upgraded) {
        const end = got.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!/permessage-deflate/.test(got.subarray(0, end).toString())) return reject(new Error('deflate not agreed'));
        upgraded = true;
        got = got.subarray(end + 4);
        if (!flag('--message')) return resolve(s);
        s.write(frame(compressed));
      }
      if (got.length >= 2 && (got[0] & 0x40)) resolve(s); // the compressed echo's header
    });
    sockets.push(s);
  });
  for (let i = 0; i < conns; i += 200) await Promise.all(Array.from({ length: Math.min(200, conns - i) }, open));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await rss();
  const per = (after.rss - before.rss) / conns;
  console.log(JSON.stringify({ conns: after.connections, message: flag('--message'), ...options, rssBeforeMiB: +(before.rss / 2 ** 20).toFixed(1), rssAfterMiB: +(after.rss / 2 ** 20).toFixed(1), bytesPerConnection: Math.round(per) }));
  for (const s of sockets) s.destroy();
  child.kill();
}
