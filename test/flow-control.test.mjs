// Receive flow control: pauseRecv()/resumeRecv() and pipe().
import test from 'node:test';
import assert from 'node:assert/strict';
import { SEND_FAIL } from 'netwright';
import { T, harness, until, sleep } from './helpers/harness.mjs';

test('pauseRecv in onConnect: no onMessage while paused; resumeRecv delivers in order', T, async (t) => {
  const h = harness(t);
  let conn;
  const got = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conn = c; c.pauseRecv(); };
    w.onMessage = (c, d) => { got.push(d); c.send(d); };
  });
  const c = await h.connect(w.port);
  c.write('one\ntwo\n');
  await sleep(100);
  c.write('three\n');
  await sleep(200);
  assert.deepEqual(got, [], 'nothing delivered while paused');
  assert.equal(c.length, 0);
  conn.resumeRecv();
  await c.waitLines(3);
  assert.deepEqual(got, ['one', 'two', 'three']);
  c.write('four\n');
  await c.waitLines(4);
  assert.deepEqual(got, ['one', 'two', 'three', 'four']);
});

test('pauseRecv inside onMessage holds back the rest of an already-read batch', T, async (t) => {
  const h = harness(t);
  let conn;
  const got = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conn = c; };
    w.onMessage = (c, d) => {
      got.push(d);
      if (d === 'pause') c.pauseRecv();
    };
  });
  const c = await h.connect(w.port);
  c.write('a\npause\nb\nc\n');
  await until(() => got.length >= 2, 'first two messages');
  await sleep(200);
  assert.deepEqual(got, ['a', 'pause'], 'no onMessage after pauseRecv, even for bytes already read');
  conn.resumeRecv();
  await until(() => got.length === 4, 'the held messages');
  assert.deepEqual(got, ['a', 'pause', 'b', 'c']);
});

test('pauseRecv with a custom protocol holds back decoded records too', T, async (t) => {
  const h = harness(t);
  let conn;
  const got = [];
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.protocol = {
      input: (b) => { const i = b.indexOf(0x3b); return i < 0 ? 0 : i + 1; },
      decode: (b) => b.subarray(0, b.length - 1).toString(),
      encode: (s) => s + ';',
    };
    w.onConnect = (c) => { conn = c; };
    w.onMessage = (c, d) => { got.push(d); if (d === 'p') c.pauseRecv(); };
  });
  const c = await h.connect(w.port);
  c.write('x;p;y;z;');
  await until(() => got.length >= 2, 'first two');
  await sleep(200);
  assert.deepEqual(got, ['x', 'p']);
  conn.resumeRecv();
  await until(() => got.length === 4, 'rest');
  assert.deepEqual(got, ['x', 'p', 'y', 'z']);
});

test('peer FIN while paused: messages are delivered after resumeRecv, then the close', T, async (t) => {
  const h = harness(t);
  let conn;
  const log = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conn = c; c.pauseRecv(); };
    w.onMessage = (c, d) => { log.push(d); c.send(d); };
    w.onClose = () => log.push('close');
  });
  const c = await h.connect(w.port);
  c.end('m1\nm2\n');
  await sleep(100);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await sleep(500);
  const cpuMs = Object.values(process.cpuUsage(cpu0)).reduce((a, b) => a + b, 0) / 1000;
  assert.ok(cpuMs < 0.5 * (Date.now() - t0), `no busy loop on a paused connection with a pending FIN (${cpuMs} ms CPU)`);
  assert.deepEqual(log, [], 'paused: neither messages nor close yet');
  conn.resumeRecv();
  await until(() => log.includes('close'), 'close');
  assert.deepEqual(log, ['m1', 'm2', 'close']);
  await c.waitEnd();
  assert.equal(c.text, 'm1\nm2\n');
});

test('peer reset while paused: no busy loop; resumeRecv then closes it exactly once', T, async (t) => {
  const h = harness(t);
  let conn;
  let closes = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conn = c; c.pauseRecv(); };
    w.onClose = () => { closes++; };
  });
  const c = await h.connect(w.port);
  c.write('held\n');
  await until(() => conn, 'onConnect');
  await sleep(50);
  c.reset();
  await sleep(100);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await sleep(500);
  const cpuMs = Object.values(process.cpuUsage(cpu0)).reduce((a, b) => a + b, 0) / 1000;
  assert.ok(cpuMs < 0.5 * (Date.now() - t0), `no busy loop on a paused connection after RST (${cpuMs} ms CPU)`);
  conn.resumeRecv();
  await until(() => closes === 1, 'onClose after resumeRecv', 3000);
  await sleep(50);
  assert.equal(closes, 1);
  assert.equal(w.connections.size, 0);
});

test('peer reset while paused is noticed without resumeRecv (onClose fires once)', T, async (t) => {
  const h = harness(t);
  let closes = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { c.pauseRecv(); };
    w.onClose = () => { closes++; };
  });
  const c = await h.connect(w.port);
  c.write('held\n');
  await sleep(50);
  c.reset();
  await until(() => closes === 1, 'onClose for the reset connection while it is paused', 3000);
  await sleep(50);
  assert.equal(closes, 1);
  assert.equal(w.connections.size, 0);
});

test('pauseRecv / resumeRecv are idempotent', T, async (t) => {
  const h = harness(t);
  let conn;
  const got = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conn = c; c.resumeRecv(); c.pauseRecv(); c.pauseRecv(); };
    w.onMessage = (c, d) => got.push(d);
  });
  const c = await h.connect(w.port);
  c.write('q\n');
  await sleep(150);
  assert.deepEqual(got, []);
  conn.resumeRecv();
  conn.resumeRecv();
  await until(() => got.length === 1, 'message');
  assert.deepEqual(got, ['q']);
});

/** tcp:// worker that pipes the first two accepted connections to each other. */
async function pipePair(h) {
  const conns = [];
  const errors = [];
  const closes = [];
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (c) => {
      conns.push(c);
      if (conns.length === 2) {
        conns[0].pipe(conns[1]);
        conns[1].pipe(conns[0]);
      }
    };
    w.onError = (c, code) => errors.push(code);
    w.onClose = (c) => closes.push(c.id);
  });
  const a = await h.connect(w.port);
  await until(() => conns.length === 1, 'first connection');
  const b = await h.connect(w.port);
  await until(() => conns.length === 2, 'second connection');
  return { w, a, b, conns, errors, closes };
}

test('pipe(): bytes flow both ways between two connections', T, async (t) => {
  const h = harness(t);
  const { a, b } = await pipePair(h);
  a.write('from a');
  await b.waitText('from a');
  b.write(Buffer.from([0, 1, 2, 3]));
  await a.waitBytes(4);
  assert.deepEqual(a.data, Buffer.from([0, 1, 2, 3]));
  assert.equal(b.text, 'from a');
});

test('pipe(): a slow destination pauses the source instead of losing bytes', T, async (t) => {
  const h = harness(t);
  const { a, b, errors } = await pipePair(h);
  b.pause();
  const total = 24 * 1024 * 1024;
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32BE(i, i);
  for (let i = 0; i < total / block.length; i++) a.write(block);
  await sleep(500);
  b.resume();
  await b.waitBytes(total, 30_000);
  await sleep(50);
  assert.equal(b.length, total);
  for (let off = 0; off < total; off += block.length) {
    assert.ok(b.data.subarray(off, off + block.length).equals(block), `block at ${off} intact`);
  }
  assert.equal(errors.filter((e) => e === SEND_FAIL).length, 0, 'no send was refused');
});

test('pipe(): when the source closes, the destination is closed too', T, async (t) => {
  const h = harness(t);
  const { a, b, closes } = await pipePair(h);
  a.write('bye');
  await b.waitText('bye');
  a.end();
  await b.waitEnd();
  await until(() => closes.length === 2, 'both closed');
});
