// UDP as a Workerman user drives it, against node:dgram peers: udp:// echo,
// text/frame/registered protocols over transport = 'udp', a burst of 10,000
// datagrams, oversize and undecodable datagrams (dropped and counted, the
// worker keeps serving), IPv6, reusePort, count = 2 under runAll(), and
// AsyncUdpConnection (connect, send, onMessage, ICMP errors, close).
import test from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import path from 'node:path';
import { AsyncUdpConnection, CONNECT_FAIL, SEND_FAIL, Worker } from 'netwright';
import { T, T_LONG, frame, harness, parseFrames, sleep, until } from './helpers/harness.mjs';
import { FIXTURES, Server } from './fixtures/runall-helpers.mjs';

const lengthPrefixed = {
  input(buffer) {
    if (buffer.length < 2) return 0;
    const length = 2 + buffer.readUInt16BE(0);
    if (buffer[2] === 0xff) throw new Error('a protocol that throws');
    return length;
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
Worker.registerProtocol('ulp', lengthPrefixed);

/** A node:dgram socket that records what it receives. */
async function peer(t, type = 'udp4', host = '127.0.0.1') {
  const socket = dgram.createSocket({ type, recvBufferSize: 4 * 1024 * 1024 });
  const st = { socket, got: [] };
  socket.on('message', (message, rinfo) => st.got.push({ message, rinfo }));
  await new Promise((resolve) => socket.bind(0, host, resolve));
  st.port = socket.address().port;
  st.send = (data, port, to = host) => new Promise((resolve, reject) => socket.send(data, port, to, (e) => (e ? reject(e) : resolve())));
  t.after(() => socket.close());
  return st;
}

async function freeUdpPort() {
  const s = dgram.createSocket('udp4');
  await new Promise((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

test('udp:// echo: one onMessage per datagram as a Buffer; send() answers the sender; no onConnect/onClose; close(data) keeps the socket', T, async (t) => {
  const h = harness(t);
  const events = [];
  const w = await h.serve('udp://127.0.0.1:0', (worker) => {
    worker.onConnect = () => events.push('connect');
    worker.onClose = () => events.push('close');
    worker.onMessage = (connection, data) => {
      events.push({ data, ip: connection.getRemoteIp(), port: connection.getRemotePort(), transport: connection.transport });
      if (String(data) === 'bye') connection.close('closing reply');
      else assert.equal(connection.send(Buffer.concat([Buffer.from('echo:'), data])), true);
    };
  });
  assert.equal(w.transport, 'udp');
  assert.ok(w.port > 0);
  const p = await peer(t);
  await p.send(Buffer.from([0, 1, 2, 255]), w.port);
  await until(() => p.got.length === 1, 'echo');
  assert.deepEqual([...p.got[0].message], [...Buffer.from('echo:'), 0, 1, 2, 255]);
  assert.equal(p.got[0].rinfo.port, w.port);
  await p.send('bye', w.port);
  await until(() => p.got.length === 2, 'the close(data) reply');
  assert.equal(p.got[1].message.toString(), 'closing reply');
  await p.send('still there', w.port);
  await until(() => p.got.length === 3, 'served after close(data)');
  assert.ok(Buffer.isBuffer(events[0].data));
  assert.equal(events[0].ip, '127.0.0.1');
  assert.equal(events[0].port, p.port);
  assert.equal(events[0].transport, 'udp');
  assert.ok(!events.includes('connect') && !events.includes('close'));
});

test('text, frame and a registered protocol over transport = "udp": decoded per datagram, replies encoded', T, async (t) => {
  const h = harness(t);
  const reply = (worker) => { worker.transport = 'udp'; worker.onMessage = (c, d) => c.send(`got ${d}`); };
  const text = await h.serve('text://127.0.0.1:0', reply);
  const framed = await h.serve('frame://127.0.0.1:0', reply);
  const ulp = await h.serve('ulp://127.0.0.1:0', reply);
  const p = await peer(t);
  await p.send('a line\r\n', text.port);
  await until(() => p.got.length === 1, 'text reply');
  assert.equal(p.got[0].message.toString(), 'got a line\n');
  await p.send(frame('framed'), framed.port);
  await until(() => p.got.length === 2, 'frame reply');
  assert.deepEqual(parseFrames(p.got[1].message).payloads.map(String), ['got framed']);
  await p.send(lengthPrefixed.encode('prefixed'), ulp.port);
  await until(() => p.got.length === 3, 'registered protocol reply');
  assert.equal(lengthPrefixed.decode(p.got[2].message), 'got prefixed');
  // Two packages of a JavaScript protocol in one datagram: each is a message (Workerman's loop).
  await p.send(Buffer.concat([lengthPrefixed.encode('one'), lengthPrefixed.encode('two')]), ulp.port);
  await until(() => p.got.length === 5, 'two replies');
  assert.deepEqual(p.got.slice(3).map((g) => lengthPrefixed.decode(g.message)), ['got one', 'got two']);
});

test('oversize and undecodable datagrams are dropped and counted, never thrown; the worker keeps serving', T, async (t) => {
  const h = harness(t);
  const seen = [];
  const reply = (worker) => { worker.transport = 'udp'; worker.onMessage = (c, d) => { seen.push(String(d)); c.send('ok'); }; };
  const raw = await h.serve('udp://127.0.0.1:0', (worker) => { worker.maxPackageSize = 100; worker.onMessage = (c, d) => { seen.push(`${d.length}`); c.send('ok'); }; });
  const text = await h.serve('text://127.0.0.1:0', reply);
  const framed = await h.serve('frame://127.0.0.1:0', reply);
  const ulp = await h.serve('ulp://127.0.0.1:0', reply);
  const p = await peer(t);
  const before = Worker.getStatistics().udpDropped;
  const bad = [
    [Buffer.alloc(101, 1), raw.port, 'over maxPackageSize'],
    [Buffer.alloc(60000, 1), raw.port, 'far over maxPackageSize'],
    ['no line end', text.port, 'text without "\\n"'],
    ['two\nlines\n', text.port, 'text with two lines'],
    [Buffer.from([0, 0, 0, 9, 1]), framed.port, 'frame length larger than the datagram'],
    [Buffer.from([0, 0, 0, 2]), framed.port, 'frame length below 4'],
    [Buffer.alloc(0), framed.port, 'an empty datagram (frame)'],
    [Buffer.alloc(0), text.port, 'an empty datagram (text)'],
    [Buffer.concat([frame('a'), Buffer.from('x')]), framed.port, 'bytes after the frame'],
    [Buffer.from([0, 50, 1]), ulp.port, 'input() longer than the datagram'],
    [Buffer.from([0, 1, 0xff]), ulp.port, 'input() throws'],
  ];
  for (const [data, port] of bad) await p.send(data, port);
  await until(() => Worker.getStatistics().udpDropped - before === bad.length, 'every bad datagram counted');
  assert.deepEqual(seen, []);
  await p.send(Buffer.alloc(100, 2), raw.port);
  await p.send('fine\n', text.port);
  await p.send(frame('fine'), framed.port);
  await p.send(lengthPrefixed.encode('fine'), ulp.port);
  await until(() => p.got.length === 4, 'all four still serve');
  assert.deepEqual(seen.sort(), ['100', 'fine', 'fine', 'fine']);
});

test('a burst of 10,000 datagrams: every one answered once', T_LONG, async (t) => {
  const h = harness(t);
  const w = await h.serve('udp://127.0.0.1:0', (worker) => { worker.onMessage = (c, d) => c.send(d); });
  const p = await peer(t);
  const total = 10_000;
  const window = 100;
  for (let sent = 0; sent < total; sent += window) {
    const sends = [];
    for (let i = sent; i < sent + window; i++) sends.push(p.send(`n${i}`, w.port));
    await Promise.all(sends);
    await until(() => p.got.length >= sent + window, `echoes up to ${sent + window} (got ${p.got.length})`, 10_000);
  }
  await sleep(50);
  const unique = new Set(p.got.map((g) => g.message.toString()));
  assert.equal(p.got.length, total);
  assert.equal(unique.size, total);
});

test('IPv6: udp://[::1] answers a udp6 peer', T, async (t) => {
  const h = harness(t);
  let w;
  try {
    w = await h.serve('udp://[::1]:0', (worker) => { worker.onMessage = (c, d) => c.send(`${c.getRemoteIp()} ${c.isIpV6()} ${d}`); });
  } catch (error) {
    return t.skip(`no IPv6 loopback here (${error.code})`);
  }
  const p = await peer(t, 'udp6', '::1');
  await p.send('six', w.port, '::1');
  await until(() => p.got.length === 1, 'IPv6 echo');
  assert.equal(p.got[0].message.toString(), '::1 true six');
  const c = new AsyncUdpConnection(`udp://[::1]:${w.port}`);
  const got = [];
  c.onMessage = (_c, d) => got.push(d.toString());
  c.connect();
  c.send('from the client');
  t.after(() => c.close());
  await until(() => got.length === 1, 'AsyncUdpConnection over IPv6');
  assert.equal(got[0], '::1 true from the client');
});

test('reusePort: two workers of one process share the port', T, async (t) => {
  const h = harness(t);
  const port = await freeUdpPort();
  const a = await h.serve(`udp://127.0.0.1:${port}`, (worker) => { worker.reusePort = true; worker.onMessage = (c) => c.send('a'); });
  const b = await h.serve(`udp://127.0.0.1:${port}`, (worker) => { worker.reusePort = true; worker.onMessage = (c) => c.send('b'); });
  assert.equal(a.port, port);
  assert.equal(b.port, port);
  const p = await peer(t);
  await p.send('x', port);
  await until(() => p.got.length === 1, 'one of them answers');
});

for (const reusePort of [false, true]) {
  test(`runAll() with count = 2 spreads datagrams over both processes (reusePort ${reusePort})`, T_LONG, async (t) => {
    const port = await freeUdpPort();
    const s = new Server(t, { UDP_PORT: String(port), REUSE_PORT: reusePort ? '1' : '0' }, path.join(FIXTURES, 'udp-server.mjs'));
    t.after(() => s.cleanup());
    await s.start();
    const pids = new Set();
    // Many source ports: the kernel spreads reusePort groups by the sender's address and port.
    const peers = [];
    for (let i = 0; i < 16; i++) peers.push(await peer(t));
    // The start table comes before the worker processes listen: ask until both answered (or 15 s).
    const end = Date.now() + 15_000;
    for (let round = 0; Date.now() < end && pids.size < 2; round++) {
      for (const p of peers) await p.send(`r${round}`, port);
      await sleep(100);
      for (const p of peers) for (const g of p.got) pids.add(g.message.toString());
    }
    assert.equal(pids.size, 2, `answers came from ${[...pids]}; log:\n${s.log}\n${s.output}`);
  });
}

test('AsyncUdpConnection: connect, send before and after, onMessage, close → onClose; host names; text protocol', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', (worker) => { worker.transport = 'udp'; worker.onMessage = (c, d) => c.send(`re ${d}`); });
  const c = new AsyncUdpConnection(`text://localhost:${w.port}`);
  const st = { connected: 0, got: [], closed: 0 };
  c.onConnect = () => st.connected++;
  c.onMessage = (conn, d) => { assert.equal(conn, c); st.got.push(d); };
  c.onClose = () => st.closed++;
  assert.equal(c.send('early'), null);
  c.connect();
  await until(() => st.got.length === 1, 'reply to the early send');
  assert.equal(c.send('later'), true);
  await until(() => st.got.length === 2, 'reply to the later send');
  assert.deepEqual(st.got, ['re early', 're later']);
  assert.equal(st.connected, 1);
  assert.equal(c.getRemoteIp(), '127.0.0.1');
  assert.equal(c.getRemotePort(), w.port);
  assert.ok(c.getLocalPort() > 0);
  assert.throws(() => c.connect(), /already established/);
  c.close();
  assert.equal(st.closed, 1);
  assert.equal(c.send('after close'), false);
  assert.equal(Worker.getStatistics().outbound, 0);
});

test('AsyncUdpConnection: ICMP port unreachable reaches onError; an unknown host is CONNECT_FAIL', T, async (t) => {
  const port = await freeUdpPort();
  const c = new AsyncUdpConnection(`udp://127.0.0.1:${port}`);
  const errors = [];
  c.onError = (_c, code, message) => errors.push({ code, message });
  c.connect();
  t.after(() => c.close());
  for (let i = 0; i < 5 && errors.length === 0; i++) {
    c.send('anyone?');
    await sleep(100);
  }
  assert.ok(errors.length >= 1, 'onError');
  assert.equal(errors[0].code, SEND_FAIL);
  assert.equal(errors[0].message, `udp ECONNREFUSED 127.0.0.1:${port}`);

  const unknown = new AsyncUdpConnection('udp://no-such-host.invalid:53');
  const failures = [];
  let closed = 0;
  unknown.onError = (_c, code, message) => failures.push({ code, message });
  unknown.onClose = () => closed++;
  unknown.connect();
  await until(() => closed === 1, 'onClose after the lookup failed', 10_000);
  assert.equal(failures[0].code, CONNECT_FAIL);
});
