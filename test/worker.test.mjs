// Worker: defaults and exports, port, listen() errors, stop(), unlisten(),
// pauseAccept()/resumeAccept(), maxConnections, idleTimeout, reusePort.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import * as nw from 'netwright';
import { T, harness, until, sleep, connectFails, deadline } from './helpers/harness.mjs';

const { Worker, TcpConnection, Timer } = nw;

test('exports: classes and error code constants', () => {
  assert.equal(typeof Worker, 'function');
  assert.equal(typeof TcpConnection, 'function');
  assert.equal(typeof Timer, 'function');
  assert.equal(nw.CONNECT_FAIL, 1);
  assert.equal(nw.SEND_FAIL, 2);
  assert.equal(nw.PACKAGE_TOO_LARGE, 3);
  assert.equal(nw.PROTOCOL_ERROR, 4);
  assert.equal(typeof Worker.registerProtocol, 'function');
  assert.equal(typeof Worker.getStatistics, 'function');
});

test('Worker defaults', () => {
  const w = new Worker('tcp://127.0.0.1:23456');
  assert.equal(w.name, 'none');
  assert.equal(w.count, 1);
  assert.equal(w.reusePort, false);
  assert.equal(w.transport, 'tcp');
  assert.equal(w.maxConnections, 0);
  assert.equal(w.idleTimeout, 0);
  assert.equal(w.port, 23456, 'port comes from the socket name before listen()');
  assert.ok(w.connections instanceof Map);
  assert.equal(w.connections.size, 0);
  assert.equal(new Worker('text://127.0.0.1:0', { reusePort: true }).reusePort, true);
  assert.doesNotThrow(() => new Worker());
});

test('Worker.getStatistics() has the documented counters', () => {
  const s = Worker.getStatistics();
  for (const k of ['connections', 'totalRequest', 'sendFail', 'packageTooLarge', 'protocolErrors']) {
    assert.equal(typeof s[k], 'number', `statistics.${k}`);
  }
});

test('listen() on port 0 sets worker.port to the bound port', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('tcp://127.0.0.1:0');
  assert.equal(typeof w.port, 'number');
  assert.ok(w.port > 0);
  const c = await h.connect(w.port);
  assert.equal(c.socket.remotePort, w.port);
});

test('listen() throws an Error with code EADDRINUSE when the port is taken', T, async (t) => {
  const h = harness(t);
  const a = await h.serve('text://127.0.0.1:0', (w) => { w.onMessage = (c, d) => c.send(d); });
  const b = new Worker(`text://127.0.0.1:${a.port}`);
  assert.throws(() => b.listen(), (e) => e instanceof Error && e.code === 'EADDRINUSE');

  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const c = new Worker(`tcp://127.0.0.1:${server.address().port}`);
  assert.throws(() => c.listen(), (e) => e.code === 'EADDRINUSE');

  // the first worker is unaffected
  const cl = await h.connect(a.port);
  cl.write('ok\n');
  await cl.waitText('ok\n');
});

test('listen() failures other than EADDRINUSE also carry .code (unix path in a missing directory)', () => {
  const w = new Worker('unix:///nonexistent-netwright-dir/x.sock');
  assert.throws(() => w.listen(), (e) => e instanceof Error && e.code === 'ENOENT');
});

test('reusePort: two workers can listen on the same port and both serve', T, async (t) => {
  const h = harness(t);
  const a = await h.serve('text://127.0.0.1:0', (w) => { w.reusePort = true; w.onMessage = (c) => c.send('A'); });
  const b = await h.serve(`text://127.0.0.1:${a.port}`, (w) => { w.reusePort = true; w.onMessage = (c) => c.send('B'); });
  assert.equal(b.port, a.port);
  const clients = await Promise.all(Array.from({ length: 40 }, () => h.connect(a.port)));
  clients.forEach((c) => c.write('?\n'));
  await Promise.all(clients.map((c) => c.waitLines(1)));
  for (const c of clients) assert.ok(['A', 'B'].includes(c.lines[0]));
});

test('stop(): flushes, closes every connection, refuses new ones, resolves when all are closed', T, async (t) => {
  const h = harness(t);
  const conns = [];
  let closes = 0;
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conns.push(c); c.maxSendBufferSize = 64 * 1024 * 1024; };
    w.onClose = () => { closes++; };
  });
  const port = w.port;
  const clients = await Promise.all(Array.from({ length: 3 }, () => h.connect(port)));
  await until(() => conns.length === 3, 'three connections');
  clients[0].pause();
  const big = Buffer.alloc(12 * 1024 * 1024, 0x42);
  conns[0].send(big);
  let resolved = false;
  let closesAtResolve;
  const p = w.stop().then(() => { resolved = true; closesAtResolve = closes; });
  await clients[1].waitEnd();
  await clients[2].waitEnd();
  assert.equal(await connectFails(port), 'ECONNREFUSED', 'no longer listening');
  await sleep(200);
  assert.equal(resolved, false, 'stop() waits for the queued bytes to be flushed');
  clients[0].resume();
  await deadline(p, 15_000, 'stop() to resolve');
  assert.equal(closesAtResolve, 3, 'every onClose ran before stop() resolved');
  await clients[0].waitEnd(10_000);
  assert.equal(clients[0].length, big.length, 'queued bytes flushed before close');
  assert.equal(w.connections.size, 0);
});

test('stop() with no connections resolves', T, async (t) => {
  const w = harness(t).own(new Worker('tcp://127.0.0.1:0'));
  w.listen();
  const port = w.port;
  await deadline(w.stop(), 5000, 'stop()');
  assert.equal(await connectFails(port), 'ECONNREFUSED');
});

test('stop() called twice: both promises resolve', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0');
  const c = await h.connect(w.port);
  await until(() => w.connections.size === 1, 'connected');
  await deadline(Promise.all([w.stop(), w.stop()]), 5000, 'both stop() calls');
  await c.waitEnd();
  await deadline(w.stop(), 5000, 'a third stop() on a stopped worker');
});

test('unlisten(): existing connections keep working, new ones are refused', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('text://127.0.0.1:0', (w) => { w.onMessage = (c, d) => c.send(d); });
  const c = await h.connect(w.port);
  await until(() => w.connections.size === 1, 'connected');
  w.unlisten();
  assert.equal(await connectFails(w.port), 'ECONNREFUSED');
  c.write('still here\n');
  await c.waitText('still here\n');
});

test('pauseAccept(): no new onConnect until resumeAccept(); existing connections unaffected', T, async (t) => {
  const h = harness(t);
  let connects = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = () => { connects++; };
    w.onMessage = (c, d) => c.send(d);
  });
  const first = await h.connect(w.port);
  await until(() => connects === 1, 'first onConnect');
  w.pauseAccept();
  const late = await h.connect(w.port); // the kernel completes the handshake into the backlog
  late.write('late\n');
  first.write('first\n');
  await first.waitText('first\n');
  await sleep(300);
  assert.equal(connects, 1, 'not accepted while paused');
  assert.equal(late.length, 0, 'no reply while not accepted');
  w.resumeAccept();
  await late.waitText('late\n');
  assert.equal(connects, 2);
});

test('maxConnections: connections beyond the limit are closed at accept', T, async (t) => {
  const h = harness(t);
  let connects = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.maxConnections = 2;
    w.onConnect = () => { connects++; };
    w.onMessage = (c, d) => c.send(d);
  });
  const a = await h.connect(w.port);
  const b = await h.connect(w.port);
  await until(() => connects === 2, 'two connected');
  const c = await h.connect(w.port);
  c.write('over\n');
  await c.waitEnd();
  assert.equal(c.length, 0, 'the extra connection got no reply');
  assert.equal(connects, 2, 'no onConnect for the extra connection');
  a.write('a\n');
  b.write('b\n');
  await a.waitText('a\n');
  await b.waitText('b\n');
  a.destroy();
  await until(() => w.connections.size === 1, 'one left');
  const d = await h.connect(w.port);
  d.write('d\n');
  await d.waitText('d\n');
  assert.equal(connects, 3);
});

test('idleTimeout: a silent connection is closed; one that keeps sending stays open', T, async (t) => {
  const h = harness(t);
  const closed = new Set();
  const conns = [];
  const openedAt = new Map();
  const closedAt = new Map();
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.idleTimeout = 1;
    w.onConnect = (c) => { conns.push(c); openedAt.set(c.id, Date.now()); };
    w.onMessage = (c, d) => c.send(d);
    w.onClose = (c) => { closed.add(c.id); closedAt.set(c.id, Date.now()); };
  });
  const silent = await h.connect(w.port);
  const chatty = await h.connect(w.port);
  const pushed = await h.connect(w.port); // only receives, never sends
  await until(() => conns.length === 3, 'three connections');
  const [silentConn, chattyConn, pushedConn] = conns;
  const start = Date.now();
  let n = 0;
  while (Date.now() - start < 2800) {
    chatty.write(`${n++}\n`);
    pushedConn.send('tick');
    await sleep(250);
  }
  await silent.waitEnd(3000);
  await pushed.waitEnd(3000);
  const idleFor = closedAt.get(silentConn.id) - openedAt.get(silentConn.id);
  assert.ok(idleFor >= 900, `not closed before the 1 s timeout (closed after ${idleFor} ms)`);
  assert.equal(closed.has(silentConn.id), true);
  assert.equal(closed.has(pushedConn.id), true, 'sending to a peer does not count as activity');
  assert.equal(closed.has(chattyConn.id), false, 'received data keeps the connection open');
  assert.equal(chattyConn.status, 'established');
  assert.equal(chatty.ended || chatty.closed, false);
  chatty.write('last\n');
  await chatty.waitText('last\n');
});

test('idleTimeout: a slow-trickle client that stops sending is closed', T, async (t) => {
  const h = harness(t);
  let closes = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.idleTimeout = 1;
    w.onClose = () => { closes++; };
  });
  const c = await h.connect(w.port);
  c.write('par');
  await sleep(300);
  c.write('tial');
  await c.waitEnd(4000);
  await until(() => closes === 1, 'onClose');
});
