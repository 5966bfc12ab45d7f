// Backpressure: send() results (true / null / false), onBufferFull at
// maxSendBufferSize (once), refusals reported as onError(SEND_FAIL) and
// counted while the connection stays open, onBufferDrain only after a queued
// backlog drains. Backlog is made with a client that pauses reading.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker, TcpConnection, SEND_FAIL } from 'netwright';
import { T, harness, until, sleep } from './helpers/harness.mjs';

function chunk(i, size) {
  const b = Buffer.alloc(size, i & 0xff);
  b.writeUInt32BE(i, 0);
  return b;
}

/** A tcp:// worker that records backpressure events and hands out its connections. */
async function recordingServer(h, setupConn = () => {}) {
  const ev = { full: 0, drain: 0, errors: [], conns: [], fullQueue: [] };
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (conn) => { ev.conns.push(conn); setupConn(conn); };
    w.onBufferFull = (conn) => { ev.full++; ev.fullQueue.push(conn.getSendBufferQueueSize()); };
    w.onBufferDrain = () => { ev.drain++; };
    w.onError = (conn, code, message) => { ev.errors.push({ code, message }); };
  });
  return { w, ev };
}

test('defaults: TcpConnection.defaultMaxSendBufferSize is 1 MiB and applies to new connections', T, async (t) => {
  assert.equal(TcpConnection.defaultMaxSendBufferSize, 1048576);
  assert.equal(TcpConnection.defaultMaxPackageSize, 10485760);
  const h = harness(t);
  const { w, ev } = await recordingServer(h);
  await h.connect(w.port);
  await until(() => ev.conns.length === 1, 'onConnect');
  assert.equal(ev.conns[0].maxSendBufferSize, 1048576);
  assert.equal(ev.conns[0].maxPackageSize, 10485760);
  assert.equal(ev.conns[0].getSendBufferQueueSize(), 0);
});

test('send outside a batch: true, then null once queued, then false at the limit; onBufferFull once; SEND_FAIL; stays open; drain once', T, async (t) => {
  const h = harness(t);
  const MAX = 256 * 1024;
  const SIZE = 16 * 1024;
  const { w, ev } = await recordingServer(h, (conn) => { conn.maxSendBufferSize = MAX; });
  const c = await h.connect(w.port);
  c.pause();
  await until(() => ev.conns.length === 1, 'onConnect');
  const conn = ev.conns[0];
  const failsBefore = Worker.getStatistics().sendFail;

  const results = [];
  const queueBefore = [];
  const accepted = [];
  let falses = 0;
  for (let i = 0; i < 20000 && falses < 5; i++) {
    queueBefore.push(conn.getSendBufferQueueSize());
    const buf = chunk(i, SIZE);
    const r = conn.send(buf);
    results.push(r);
    if (r === false) falses++;
    else accepted.push(buf);
  }
  assert.equal(falses, 5, `sends were refused eventually (results: ${results.length} sends, no false)`);
  assert.equal(results[0], true, 'first send on an empty queue returns true');
  const firstNull = results.indexOf(null);
  const firstFalse = results.indexOf(false);
  assert.ok(firstNull > 0 && firstNull < firstFalse, `a null precedes the first false (null at ${firstNull}, false at ${firstFalse})`);
  assert.ok(results.slice(0, firstNull).every((r) => r === true), 'only true before the first null');
  assert.ok(results.slice(firstNull, firstFalse).every((r) => r === null), 'only null between the first null and the first false');
  assert.ok(results.slice(firstFalse).every((r) => r === false), 'every send after the first false is false');
  assert.ok(queueBefore[firstFalse] >= MAX, `queue at or over the limit when refused (${queueBefore[firstFalse]} < ${MAX})`);
  assert.ok(queueBefore[firstFalse - 1] < MAX, `the accepted send before the refusal started below the limit (${queueBefore[firstFalse - 1]})`);

  await until(() => ev.full >= 1, 'onBufferFull');
  await until(() => ev.errors.length >= 5, 'onError for each refused send');
  await sleep(100);
  assert.equal(ev.full, 1, 'onBufferFull fired exactly once');
  assert.ok(ev.fullQueue[0] >= MAX, `queue size at onBufferFull (${ev.fullQueue[0]}) >= maxSendBufferSize`);
  assert.equal(ev.errors.length, 5, 'one onError per refused send');
  for (const e of ev.errors) {
    assert.equal(e.code, SEND_FAIL);
    assert.equal(typeof e.message, 'string');
  }
  assert.equal(Worker.getStatistics().sendFail - failsBefore, 5, 'statistics.sendFail counts refusals');
  assert.equal(conn.status, 'established', 'connection stays open');
  assert.equal(ev.drain, 0, 'no drain while the client is not reading');
  assert.equal(c.ended || c.closed, false);

  const expected = Buffer.concat(accepted);
  c.resume();
  await c.waitBytes(expected.length, 15_000);
  await until(() => ev.drain >= 1, 'onBufferDrain after the backlog drained');
  assert.ok(c.data.equals(expected), 'exactly the accepted bytes arrived, in order');
  assert.equal(conn.getSendBufferQueueSize(), 0);
  assert.equal(conn.send('after'), true, 'send on a drained queue returns true again');
  await c.waitBytes(expected.length + 5);
  await sleep(100);
  assert.equal(ev.drain, 1, 'onBufferDrain fired exactly once');
  assert.equal(ev.full, 1);
});

test('onBufferDrain never fires for sends that went out whole (in and out of batches)', T, async (t) => {
  const h = harness(t);
  const ev = { drain: 0, full: 0 };
  let conn;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conn = c; };
    w.onMessage = (c, d) => {
      assert.equal(c.send('a' + d), true);
      assert.equal(c.send('b' + d), true, 'a second corked send in the batch also returns true');
    };
    w.onBufferDrain = () => { ev.drain++; };
    w.onBufferFull = () => { ev.full++; };
  });
  const c = await h.connect(w.port);
  for (let i = 0; i < 50; i++) {
    c.write(`${i}\n`);
    await c.waitLines(2 * (i + 1));
  }
  await until(() => conn, 'onConnect');
  for (let i = 0; i < 50; i++) {
    assert.equal(conn.send(`t${i}`), true, 'send outside a batch on an empty queue');
    await sleep(1);
  }
  await c.waitLines(150);
  await sleep(150);
  assert.equal(ev.drain, 0, 'no onBufferDrain');
  assert.equal(ev.full, 0);
});

test('short write at the end of a batch: send returned true, later sends null, then onBufferDrain once', T, async (t) => {
  const h = harness(t);
  const BIG = 24 * 1024 * 1024;
  const big = Buffer.alloc(BIG);
  for (let i = 0; i < BIG; i += 4) big.writeUInt32BE(i, i);
  const ev = { drain: 0, full: 0, first: undefined, conn: null };
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { c.maxSendBufferSize = 64 * 1024 * 1024; ev.conn = c; };
    w.onMessage = (c) => { if (ev.first === undefined) ev.first = c.send(big); };
    w.onBufferDrain = () => { ev.drain++; };
    w.onBufferFull = () => { ev.full++; };
  });
  const c = await h.connect(w.port);
  c.pause();
  c.write('go');
  await until(() => ev.first !== undefined, 'onMessage');
  assert.equal(ev.first, true, 'a send on an empty queue inside a batch returns true');
  await sleep(100);
  const queued = ev.conn.getSendBufferQueueSize();
  assert.ok(queued > 0, 'the kernel did not take 24 MiB; the rest is queued');
  assert.equal(ev.conn.send('tail'), null, 'a send behind queued bytes returns null');
  assert.equal(ev.drain, 0);
  c.resume();
  await c.waitBytes(BIG + 4, 20_000);
  await until(() => ev.drain === 1, 'onBufferDrain');
  assert.ok(c.data.subarray(0, BIG).equals(big), 'big payload intact');
  assert.equal(c.data.subarray(BIG).toString(), 'tail');
  await sleep(100);
  assert.equal(ev.drain, 1, 'drain fired once');
  assert.equal(ev.full, 0, 'limit never reached');
});

test('sends inside one batch never lose bytes: every accepted byte arrives; refusals follow the rules', T, async (t) => {
  const h = harness(t);
  const MAX = 256 * 1024;
  const results = [];
  const accepted = [];
  const ev = { full: 0, errors: 0, drain: 0 };
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { c.maxSendBufferSize = MAX; };
    w.onMessage = (c) => {
      if (results.length) return;
      for (let i = 0; i < 128; i++) {
        const buf = chunk(i, 64 * 1024);
        const r = c.send(buf);
        results.push(r);
        if (r !== false) accepted.push(buf);
      }
    };
    w.onBufferFull = () => { ev.full++; };
    w.onBufferDrain = () => { ev.drain++; };
    w.onError = (c, code) => { if (code === SEND_FAIL) ev.errors++; };
  });
  const c = await h.connect(w.port);
  c.pause();
  c.write('go');
  await until(() => results.length === 128, 'the batch of sends');
  await sleep(100);
  const falses = results.filter((r) => r === false).length;
  assert.equal(results[0], true);
  assert.ok(falses > 0, `8 MiB sent in one batch against a 256 KiB limit: some sends must be refused (results: ${JSON.stringify([...new Set(results)])})`);
  const firstFalse = results.indexOf(false);
  assert.ok(results.slice(firstFalse).every((r) => r === false), 'refusals are a suffix');
  assert.equal(ev.full, 1, 'onBufferFull once');
  assert.equal(ev.errors, falses, 'onError(SEND_FAIL) per refusal');
  const expected = Buffer.concat(accepted);
  c.resume();
  await c.waitBytes(expected.length, 15_000);
  await sleep(50);
  assert.equal(c.length, expected.length, 'no more than the accepted bytes');
  assert.ok(c.data.equals(expected), 'accepted bytes intact and in order');
});

test('a single send larger than the limit on an empty queue is accepted; the next is refused', T, async (t) => {
  const h = harness(t);
  const MAX = 128 * 1024;
  const { w, ev } = await recordingServer(h, (conn) => { conn.maxSendBufferSize = MAX; });
  const c = await h.connect(w.port);
  c.pause();
  await until(() => ev.conns.length === 1, 'onConnect');
  const conn = ev.conns[0];
  const big = Buffer.alloc(16 * 1024 * 1024, 0x61);
  assert.equal(conn.send(big), true, 'accepted: the queue was empty');
  assert.ok(conn.getSendBufferQueueSize() >= MAX, 'the unsent rest is queued');
  assert.equal(conn.send('x'), false, 'queue over the limit: refused');
  await until(() => ev.full === 1 && ev.errors.length === 1, 'onBufferFull and onError');
  assert.equal(ev.errors[0].code, SEND_FAIL);
  c.resume();
  await c.waitBytes(big.length, 20_000);
  await until(() => ev.drain === 1, 'drain');
  await sleep(50);
  assert.equal(c.length, big.length);
});

test('worker.maxSendBufferSize is where each of its connections starts', T, async (t) => {
  const h = harness(t);
  const MAX = 128 * 1024;
  const { w, ev } = await recordingServer(h);
  assert.equal(w.maxSendBufferSize, TcpConnection.defaultMaxSendBufferSize, 'the default until set');
  w.maxSendBufferSize = MAX;
  const c = await h.connect(w.port);
  c.pause();
  await until(() => ev.conns.length === 1, 'onConnect');
  const conn = ev.conns[0];
  assert.equal(conn.maxSendBufferSize, MAX);
  let queued = 0;
  for (let i = 0; i < 20000; i++) {
    queued = conn.getSendBufferQueueSize();
    if (conn.send(chunk(i, 16 * 1024)) === false) break;
  }
  assert.ok(queued >= MAX && queued < MAX + 64 * 1024, `refused once the worker's limit is queued (${queued}), not at the 1 MiB default`);
});

test('per-connection onBufferFull / onBufferDrain / onError override the worker\'s', T, async (t) => {
  const h = harness(t);
  const workerEv = { full: 0, drain: 0, err: 0 };
  const connEv = { full: 0, drain: 0, err: 0 };
  let conn;
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (c) => {
      conn = c;
      c.maxSendBufferSize = 64 * 1024;
      c.onBufferFull = () => { connEv.full++; };
      c.onBufferDrain = () => { connEv.drain++; };
      c.onError = () => { connEv.err++; };
    };
    w.onBufferFull = () => { workerEv.full++; };
    w.onBufferDrain = () => { workerEv.drain++; };
    w.onError = () => { workerEv.err++; };
  });
  const c = await h.connect(w.port);
  c.pause();
  await until(() => conn, 'onConnect');
  let sent = 0;
  for (let i = 0; i < 100000; i++) {
    const r = conn.send(Buffer.alloc(8192, 1));
    if (r === false) break;
    sent += 8192;
  }
  await until(() => connEv.full === 1 && connEv.err === 1, 'per-connection callbacks');
  c.resume();
  await c.waitBytes(sent, 15_000);
  await until(() => connEv.drain === 1, 'per-connection drain');
  assert.deepEqual(workerEv, { full: 0, drain: 0, err: 0 }, 'worker callbacks not called');
});

test('send on a closing or closed connection returns false', T, async (t) => {
  const h = harness(t);
  let conn;
  let closed = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conn = c; };
    w.onClose = () => { closed++; };
  });
  const c = await h.connect(w.port);
  await until(() => conn, 'onConnect');
  conn.close('bye');
  assert.equal(conn.send('late'), false, 'after close()');
  await c.waitEnd();
  await until(() => closed === 1, 'onClose');
  assert.equal(conn.status, 'closed');
  assert.equal(conn.send('later'), false, 'after onClose');
  await sleep(50);
  assert.equal(c.text, 'bye\n');
});
