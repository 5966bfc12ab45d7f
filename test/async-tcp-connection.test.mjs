// AsyncTcpConnection as a Workerman user drives it: a client of every scheme a
// Worker serves (tcp, text, frame, a registered protocol, a protocol object,
// unix://) against our Worker and against a plain node:net server, host names
// with every address tried in order, refused and timed-out connects, connect()
// while open, reconnect() (100 times in a row without leaking descriptors or
// timers), sends made before the connection is up, and the outbound counters.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AsyncTcpConnection, CONNECT_FAIL, SEND_FAIL, TcpConnection, Worker } from 'netwright';
import { T, T_LONG, frame, harness, parseFrames, sleep, until } from './helpers/harness.mjs';

const require = createRequire(import.meta.url);
const dns = require('node:dns');

/** A length-prefixed protocol: 2-byte big-endian length, then the payload. */
const lengthPrefixed = {
  input(buffer) {
    if (buffer.length < 2) return 0;
    return 2 + buffer.readUInt16BE(0);
  },
  decode(buffer) {
    return buffer.subarray(2).toString();
  },
  encode(data) {
    const body = Buffer.from(String(data));
    const head = Buffer.alloc(2);
    head.writeUInt16BE(body.length);
    return Buffer.concat([head, body]);
  },
};
Worker.registerProtocol('lp', lengthPrefixed);

function fdCount() {
  return fs.readdirSync('/proc/self/fd').length;
}

/** A client with recording callbacks (connect() not called). */
function recorder(t, address, options) {
  const c = new AsyncTcpConnection(address, options);
  const st = { c, connected: 0, messages: [], errors: [], closed: 0, order: [] };
  c.onConnect = () => { st.connected++; st.order.push('connect'); };
  c.onMessage = (_conn, data) => { st.messages.push(data); st.order.push('message'); };
  c.onError = (_conn, code, message) => { st.errors.push({ code, message }); st.order.push('error'); };
  c.onClose = () => { st.closed++; st.order.push('close'); };
  t.after(() => { c.cancelReconnect(); c.destroy(); });
  return st;
}

/** A node:net server that records what each connection sent and lets the test answer. */
async function netServer(t, listenOptions = { host: '127.0.0.1', port: 0 }) {
  const st = { sockets: [], data: [] };
  const server = net.createServer((socket) => {
    const index = st.sockets.push(socket) - 1;
    st.data[index] = Buffer.alloc(0);
    socket.on('data', (d) => { st.data[index] = Buffer.concat([st.data[index], d]); });
    socket.on('error', () => {});
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(listenOptions, resolve));
  st.server = server;
  st.port = server.address().port;
  t.after(() => new Promise((resolve) => { for (const s of st.sockets) s.destroy(); server.close(resolve); }));
  return st;
}

async function deadPort() {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('a client of every protocol against a netwright Worker: each message echoed, decoded its way', T, async (t) => {
  const h = harness(t);
  const echo = (w) => { w.onMessage = (conn, data) => conn.send(data); };
  const tcp = await h.serve('tcp://127.0.0.1:0', echo);
  const text = await h.serve('text://127.0.0.1:0', echo);
  const framed = await h.serve('frame://127.0.0.1:0', echo);
  const lp = await h.serve('lp://127.0.0.1:0', echo);
  const cases = [
    [`tcp://127.0.0.1:${tcp.port}`, 'raw bytes', (m) => Buffer.concat(m).toString(), 'raw bytes'],
    [`text://127.0.0.1:${text.port}`, 'a line', (m) => m[0], 'a line'],
    [`frame://127.0.0.1:${framed.port}`, Buffer.from([0, 1, 2, 250]), (m) => [...m[0]].join(), '0,1,2,250'],
    [`lp://127.0.0.1:${lp.port}`, 'length prefixed', (m) => m[0], 'length prefixed'],
  ];
  for (const [address, payload, read, expected] of cases) {
    const st = recorder(t, address);
    st.c.connect();
    assert.equal(st.c.status, 'connecting');
    await until(() => st.connected === 1 || st.errors.length, `onConnect ${address}`);
    assert.deepEqual(st.errors, [], address);
    assert.equal(st.c.status, 'established');
    assert.equal(st.c.send(payload), true, address);
    await until(() => st.messages.length > 0 && read(st.messages) === expected, `echo over ${address}`);
    assert.equal(st.c.getRemotePort(), Number(address.split(':').pop()));
    assert.equal(st.c.getRemoteIp(), '127.0.0.1');
  }
  // A protocol object set on the connection (tcp:// carries it).
  const st = recorder(t, `tcp://127.0.0.1:${lp.port}`);
  st.c.protocol = lengthPrefixed;
  st.c.connect();
  await until(() => st.connected === 1, 'onConnect (protocol object)');
  st.c.send('via object');
  await until(() => st.messages.length === 1, 'echo (protocol object)');
  assert.equal(st.messages[0], 'via object');
});

test('a client of every protocol against a node:net server: the bytes on the wire', T, async (t) => {
  const s = await netServer(t);
  const cases = [
    ['tcp', 'abc', Buffer.from('abc'), Buffer.from('xyz'), 'xyz'],
    ['text', 'abc', Buffer.from('abc\n'), Buffer.from('line one\nline two\n'), 'line one|line two'],
    ['frame', 'abc', frame('abc'), Buffer.concat([frame('f1'), frame('f2')]), 'f1|f2'],
    ['lp', 'abc', lengthPrefixed.encode('abc'), Buffer.concat([lengthPrefixed.encode('p1'), lengthPrefixed.encode('p2')]), 'p1|p2'],
  ];
  for (const [scheme, sent, wire, reply, received] of cases) {
    const before = s.sockets.length;
    const st = recorder(t, `${scheme}://127.0.0.1:${s.port}`);
    st.c.connect();
    await until(() => st.connected === 1 && s.sockets.length === before + 1, `${scheme} connected`);
    st.c.send(sent);
    await until(() => s.data[before].length >= wire.length, `${scheme} bytes at the server`);
    assert.deepEqual(s.data[before], wire, scheme);
    s.sockets[before].write(reply);
    await until(() => st.messages.length > 0 && (scheme === 'tcp' ? Buffer.concat(st.messages).length === reply.length : st.messages.length === 2), `${scheme} reply`);
    const got = scheme === 'tcp' ? Buffer.concat(st.messages).toString() : st.messages.map((m) => Buffer.isBuffer(m) ? m.toString() : m).join('|');
    assert.equal(got, received, scheme);
  }
});

test('unix:///path: against a netwright unix Worker and a node:net unix server', T, async (t) => {
  const h = harness(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-client-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ours = path.join(dir, 'ours.sock');
  await h.serve(`unix://${ours}`, (w) => { w.onMessage = (conn, data) => conn.send(data); });
  const a = recorder(t, `unix://${ours}`);
  assert.equal(a.c.transport, 'unix');
  a.c.connect();
  await until(() => a.connected === 1 || a.errors.length, 'onConnect over unix');
  assert.deepEqual(a.errors, []);
  a.c.send('over unix');
  await until(() => Buffer.concat(a.messages).toString() === 'over unix', 'echo over unix');

  const theirs = path.join(dir, 'theirs.sock');
  const s = await netServer(t, { path: theirs });
  const b = recorder(t, `unix://${theirs}`);
  b.c.protocol = 'text';
  b.c.connect();
  await until(() => b.connected === 1 && s.sockets.length === 1, 'node:net unix server connected');
  b.c.send('hello');
  await until(() => s.data[0].toString() === 'hello\n', 'text line at the node:net unix server');

  const missing = recorder(t, `unix://${path.join(dir, 'nobody.sock')}`);
  missing.c.connect();
  await until(() => missing.closed === 1, 'onClose after a failed unix connect');
  assert.equal(missing.errors[0].code, CONNECT_FAIL);
  assert.match(missing.errors[0].message, /ENOENT .*nobody\.sock/);
  assert.deepEqual(missing.order, ['error', 'close']);
});

test('IPv6 and host names: every address of a name is tried in order', T, async (t) => {
  const v6 = await netServer(t, { host: '::1', port: 0 }).catch(() => null);
  if (v6) {
    const st = recorder(t, `text://[::1]:${v6.port}`);
    st.c.connect();
    await until(() => st.connected === 1 || st.errors.length, 'onConnect over IPv6');
    assert.deepEqual(st.errors, []);
    assert.equal(st.c.getRemoteIp(), '::1');
    assert.equal(st.c.isIpV6(), true);
  }
  // localhost here, and a name that resolves to ::1 first (closed) and 127.0.0.1 second.
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', (worker) => { worker.onMessage = (conn, data) => conn.send(data); });
  const viaLocalhost = recorder(t, `text://localhost:${w.port}`);
  viaLocalhost.c.connect();
  await until(() => viaLocalhost.connected === 1 || viaLocalhost.errors.length, 'onConnect via localhost');
  assert.deepEqual(viaLocalhost.errors, []);

  const realLookup = dns.lookup;
  dns.lookup = (host, options, callback) => {
    if (host !== 'dual.test') return realLookup(host, options, callback);
    setImmediate(callback, null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
  };
  t.after(() => { dns.lookup = realLookup; });
  const dual = recorder(t, `text://dual.test:${w.port}`);
  dual.c.connect();
  await until(() => dual.connected === 1 || dual.closed, 'onConnect via the second address');
  assert.deepEqual(dual.errors, []);
  assert.equal(dual.c.getRemoteIp(), '127.0.0.1');
  dual.c.send('second address');
  await until(() => dual.messages[0] === 'second address', 'echo via the second address');

  const port = await deadPort();
  const none = recorder(t, `text://dual.test:${port}`);
  none.c.connect();
  await until(() => none.closed === 1, 'onClose when no address answers');
  assert.equal(none.errors.length, 1);
  assert.match(none.errors[0].message, /ECONNREFUSED 127\.0\.0\.1:\d+ .*also tried: .*\[::1\]/);
});

test('connect refused: onError(CONNECT_FAIL) naming errno and address, then onClose; an unknown name too', T, async (t) => {
  const port = await deadPort();
  const st = recorder(t, `text://127.0.0.1:${port}`);
  st.c.connect();
  await until(() => st.closed === 1, 'onClose');
  assert.deepEqual(st.order, ['error', 'close']);
  assert.equal(st.errors[0].code, CONNECT_FAIL);
  assert.equal(st.errors[0].message, `connect ECONNREFUSED 127.0.0.1:${port}`);
  assert.equal(st.c.status, 'closed');
  const unknown = recorder(t, 'text://no-such-host.invalid:80');
  unknown.c.connect();
  await until(() => unknown.closed === 1, 'onClose (unknown host)', 10_000);
  assert.equal(unknown.errors[0].code, CONNECT_FAIL);
  assert.match(unknown.errors[0].message, /getaddrinfo \w+ no-such-host\.invalid/);
});

test('connectTimeout: a full backlog drops the SYN; ETIMEDOUT after the timeout, then onClose', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('tcp://127.0.0.1:0', () => {}, { backlog: 1 });
  w.pauseAccept();
  const fillers = [];
  t.after(() => { for (const s of fillers) s.destroy(); });
  // Fill the accept queue (backlog + 1 on Linux): further SYNs are dropped.
  for (let i = 0; i < 4; i++) {
    const s = net.connect(w.port, '127.0.0.1');
    s.on('error', () => {});
    fillers.push(s);
    await sleep(30);
  }
  const st = recorder(t, `tcp://127.0.0.1:${w.port}`, { connectTimeout: 0.5 });
  assert.equal(st.c.connectTimeout, 0.5);
  const started = Date.now();
  st.c.connect();
  await until(() => st.closed === 1, 'onClose after the connect timeout', 8000);
  if (st.connected) return t.skip('this kernel completed the connect despite the full backlog');
  assert.deepEqual(st.order, ['error', 'close']);
  assert.equal(st.errors[0].code, CONNECT_FAIL);
  assert.match(st.errors[0].message, new RegExp(`ETIMEDOUT 127\\.0\\.0\\.1:${w.port}`));
  assert.ok(Date.now() - started >= 450, 'not before the timeout');
  assert.equal(new AsyncTcpConnection('tcp://127.0.0.1:1').connectTimeout, 10, 'default 10 s');
});

test('connect() while connecting or open throws; after a close it connects again', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', (worker) => { worker.onMessage = (conn, data) => conn.send(data); });
  const st = recorder(t, `text://127.0.0.1:${w.port}`);
  assert.equal(st.c.status, 'initial');
  st.c.connect();
  assert.throws(() => st.c.connect(), /already connecting/);
  await until(() => st.connected === 1, 'onConnect');
  assert.throws(() => st.c.connect(), /already established/);
  st.c.close();
  await until(() => st.closed === 1, 'onClose');
  st.c.connect();
  await until(() => st.connected === 2, 'second onConnect');
  st.c.send('again');
  await until(() => st.messages[0] === 'again', 'echo after connecting again');
});

test('sends before the connection is up go out once it is, in order; bounded by maxSendBufferSize', T, async (t) => {
  const s = await netServer(t);
  const st = recorder(t, `text://127.0.0.1:${s.port}`);
  assert.equal(st.c.send('before connect()'), null);
  st.c.connect();
  assert.equal(st.c.send('while connecting'), null);
  await until(() => s.data[0]?.length === 'before connect()\nwhile connecting\n'.length, 'queued lines at the server');
  assert.equal(s.data[0].toString(), 'before connect()\nwhile connecting\n');

  const full = recorder(t, `tcp://127.0.0.1:${s.port}`);
  full.c.maxSendBufferSize = 1000;
  let fullEvents = 0;
  full.c.onBufferFull = () => fullEvents++;
  assert.equal(full.c.send(Buffer.alloc(600, 1)), null);
  assert.equal(full.c.send(Buffer.alloc(600, 2)), null, 'under the limit before this send');
  assert.equal(fullEvents, 1, 'onBufferFull once the queue reaches the limit');
  assert.equal(full.c.send(Buffer.alloc(10, 3)), false, 'refused at the limit');
  assert.deepEqual(full.errors.map((e) => e.code), [SEND_FAIL]);
  full.c.connect();
  await until(() => s.data[1]?.length === 1200, 'the 1200 queued bytes at the server');
  assert.equal(full.connected, 1);
});

test('reconnect(): after the server restarts, and 100 times in a row from onClose, without leaking fds or timers', T_LONG, async (t) => {
  const h = harness(t);
  let w = await h.serve('text://127.0.0.1:0', (worker) => {
    worker.onMessage = (conn, data) => { conn.close(`bye ${data}`); };
  });
  const port = w.port;
  const st = recorder(t, `text://127.0.0.1:${port}`);
  const state = { rounds: 0 };
  st.c.onConnect = (conn) => { st.connected++; conn.send(`round ${state.rounds}`); };
  st.c.onMessage = (_conn, data) => st.messages.push(data);
  st.c.onClose = (conn) => {
    st.closed++;
    if (++state.rounds < 100) conn.reconnect(0);
  };
  st.c.connect();
  await until(() => state.rounds >= 3, 'a few rounds');
  const fdsAfterWarmUp = fdCount();
  const resourcesAfterWarmUp = process.getActiveResourcesInfo().length;
  await until(() => state.rounds === 100, '100 reconnects', 30_000);
  await sleep(50);
  assert.equal(st.connected, 100);
  assert.equal(st.messages.length, 100);
  assert.equal(st.messages[99], 'bye round 99');
  assert.ok(fdCount() <= fdsAfterWarmUp + 1, `fds ${fdsAfterWarmUp} -> ${fdCount()}`);
  assert.ok(process.getActiveResourcesInfo().length <= resourcesAfterWarmUp, 'no timers or handles left behind');
  assert.equal(Worker.getStatistics().outbound, 0);

  // The server goes away and comes back on the same port: reconnect(0.05) from onClose retries until it answers.
  await w.stop();
  const attempts = { refused: 0 };
  st.c.onError = (conn, code) => { if (code === CONNECT_FAIL) attempts.refused++; };
  st.c.onClose = (conn) => { if (attempts.restarted !== true) conn.reconnect(0.05); };
  st.c.onConnect = () => { st.connected++; };
  st.c.connect();
  await until(() => attempts.refused >= 3, 'refused while the server is down');
  w = await h.serve(`text://127.0.0.1:${port}`, (worker) => { worker.onMessage = (conn, data) => conn.send(data); });
  await until(() => st.connected === 101, 'connected again after the restart');
  attempts.restarted = true;
  st.c.send('back');
  await until(() => st.messages.at(-1) === 'back', 'echo after the restart');

  // cancelReconnect() stops one that has not started.
  st.c.reconnect(0.2);
  st.c.cancelReconnect();
  await sleep(350);
  assert.equal(st.c.status, 'closed');
  assert.equal(st.connected, 101);
});

test('reconnect() keeps callbacks, protocol, options and state; it works from onError too', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('lp://127.0.0.1:0', (worker) => { worker.onMessage = (conn, data) => conn.send(`${data}!`); });
  const c = new AsyncTcpConnection(`lp://127.0.0.1:${w.port}`);
  t.after(() => c.destroy());
  c.maxSendBufferSize = 4096;
  c.state = { n: 0 };
  const got = [];
  c.onConnect = (conn) => conn.send(`hi ${++conn.state.n}`);
  c.onMessage = (conn, data) => {
    got.push(data);
    if (conn.state.n < 3) conn.reconnect();
  };
  c.connect();
  await until(() => got.length === 3, 'three connections');
  assert.deepEqual(got, ['hi 1!', 'hi 2!', 'hi 3!']);
  assert.equal(c.maxSendBufferSize, 4096);
  assert.equal(c.protocol, 'lp');

  const port = await deadPort();
  const failing = recorder(t, `text://127.0.0.1:${port}`);
  let tries = 0;
  failing.c.onError = (conn, code) => { failing.errors.push(code); if (++tries < 3) conn.reconnect(0); };
  failing.c.connect();
  await until(() => failing.errors.length === 3 && failing.closed === 3, 'three refusals, each closed');
  assert.equal(failing.connected, 0);
});

test('outbound connections are counted apart from accepted ones', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', (worker) => { worker.onMessage = (conn, data) => conn.send(data); });
  const before = Worker.getStatistics();
  const st = recorder(t, `text://127.0.0.1:${w.port}`);
  st.c.connect();
  await until(() => st.connected === 1, 'onConnect');
  for (let i = 0; i < 5; i++) st.c.send(`m${i}`);
  await until(() => st.messages.length === 5, 'five echoes');
  const during = Worker.getStatistics();
  assert.equal(during.outbound, before.outbound + 1);
  assert.equal(during.connections, before.connections + 1, 'the accepted side only');
  assert.equal(during.outboundRequest - before.outboundRequest, 5);
  assert.equal(during.totalRequest - before.totalRequest, 5, 'the server side only');
  assert.equal(w.connections.size, 1);
  st.c.close();
  await until(() => st.closed === 1 && Worker.getStatistics().outbound === before.outbound, 'outbound back');
});

test('a client connection has everything a server connection has: pause/resume, buffer events, statistics', T, async (t) => {
  const s = await netServer(t);
  const st = recorder(t, `tcp://127.0.0.1:${s.port}`);
  st.c.maxSendBufferSize = 64 * 1024;
  let full = 0;
  let drained = 0;
  st.c.onBufferFull = () => full++;
  st.c.onBufferDrain = () => drained++;
  st.c.connect();
  await until(() => st.connected === 1 && s.sockets.length === 1, 'connected');
  s.sockets[0].pause();
  let result = true;
  for (let i = 0; i < 400 && result !== false; i++) result = st.c.send(Buffer.alloc(16 * 1024, i));
  assert.equal(result, false);
  assert.ok(full >= 1, 'onBufferFull');
  s.sockets[0].resume();
  await until(() => drained >= 1, 'onBufferDrain');
  assert.ok(st.c.bytesWritten > 64 * 1024);
  st.c.pauseRecv();
  s.sockets[0].write('while paused');
  await sleep(100);
  assert.equal(st.messages.length, 0);
  st.c.resumeRecv();
  await until(() => Buffer.concat(st.messages).toString() === 'while paused', 'delivered after resumeRecv');
  assert.equal(st.c.bytesRead, 'while paused'.length);
  assert.ok(st.c.getLocalPort() > 0);
  assert.equal(TcpConnection.defaultMaxSendBufferSize, 1048576);
});

test('bad addresses throw at construction', () => {
  assert.throws(() => new AsyncTcpConnection('nope://127.0.0.1:1'), /unsupported scheme "nope"/);
  assert.throws(() => new AsyncTcpConnection('text://127.0.0.1'), /needs a port/);
  assert.throws(() => new AsyncTcpConnection('garbage'), /invalid remote address/);
});
