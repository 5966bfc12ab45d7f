// The peer's side: FIN after data (messages delivered, replies flushed, then
// closed), FIN with a backlog queued, peer resets, writes to a dead peer.
import test from 'node:test';
import assert from 'node:assert/strict';
import { T, harness, until, sleep, frame } from './helpers/harness.mjs';

test('peer FIN: every complete message is delivered, replies flushed, then closed', T, async (t) => {
  const h = harness(t);
  const log = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => {
      log.push('msg ' + d);
      c.send(d + ':' + 'r'.repeat(300_000));
    };
    w.onClose = () => log.push('close');
  });
  const c = await h.connect(w.port);
  c.end('a\nb\nc\n');
  await c.waitEnd(10_000);
  const lines = c.lines;
  assert.equal(lines.length, 3, `three replies before EOF (got ${lines.length})`);
  assert.deepEqual(lines.map((l) => l.split(':')[0]), ['a', 'b', 'c']);
  for (const l of lines) assert.equal(l.length, 2 + 300_000);
  await until(() => log.includes('close'), 'onClose');
  await sleep(50);
  assert.deepEqual(log, ['msg a', 'msg b', 'msg c', 'close']);
});

test('peer FIN while a large reply is queued: the backlog is flushed before closing', T, async (t) => {
  const h = harness(t);
  const big = Buffer.alloc(12 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32BE(i, i);
  let closes = 0;
  const w = await h.serve('frame://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { c.maxSendBufferSize = 64 * 1024 * 1024; };
    w.onMessage = (c) => { c.send(big); };
    w.onClose = () => { closes++; };
  });
  const c = await h.connect(w.port);
  c.pause();
  c.end(frame('give me'));
  await sleep(200);
  assert.equal(closes, 0, 'not closed while the reply is still queued');
  c.resume();
  await c.waitEnd(20_000);
  assert.equal(c.length, big.length + 4);
  assert.ok(c.data.subarray(4).equals(big), 'reply intact');
  await until(() => closes === 1, 'onClose');
});

test('peer FIN right after connecting, with no data: onClose once', T, async (t) => {
  const h = harness(t);
  let closes = 0;
  let messages = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = () => { messages++; };
    w.onClose = () => { closes++; };
  });
  const c = await h.connect(w.port);
  c.end();
  await c.waitEnd();
  await until(() => closes === 1, 'onClose');
  await sleep(50);
  assert.equal(closes, 1);
  assert.equal(messages, 0);
});

test('peer FIN with an unfinished message: complete ones delivered, connection closed once', T, async (t) => {
  const h = harness(t);
  const got = [];
  let closes = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => { got.push(d); c.send(d); };
    w.onClose = () => { closes++; };
  });
  const c = await h.connect(w.port);
  c.end('whole\nparti');
  await c.waitEnd();
  await until(() => closes === 1, 'onClose');
  assert.equal(got[0], 'whole');
  assert.equal(c.text.startsWith('whole\n'), true);
});

test('peer reset: onClose once, server keeps serving', T, async (t) => {
  const h = harness(t);
  const closes = [];
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => c.send(d);
    w.onClose = (c) => closes.push(c.id);
  });
  const other = await h.connect(w.port);
  const c = await h.connect(w.port);
  c.write('hi\n');
  await c.waitLines(1);
  c.reset();
  await until(() => closes.length === 1, 'onClose after RST');
  await sleep(100);
  assert.equal(closes.length, 1);
  other.write('still\n');
  await other.waitText('still\n');
});

test('peer reset while a backlog is queued: queue dropped, onClose once, no crash', T, async (t) => {
  const h = harness(t);
  let conn;
  let closes = 0;
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conn = c; c.maxSendBufferSize = 64 * 1024 * 1024; };
    w.onClose = () => { closes++; };
  });
  const c = await h.connect(w.port);
  c.pause();
  await until(() => conn, 'onConnect');
  conn.send(Buffer.alloc(16 * 1024 * 1024, 7));
  assert.ok(conn.getSendBufferQueueSize() > 0);
  c.reset();
  await until(() => closes === 1, 'onClose');
  await sleep(100);
  assert.equal(closes, 1);
  assert.equal(conn.status, 'closed');
  assert.equal(conn.send('x'), false);
  const fresh = await h.connect(w.port);
  assert.ok(fresh);
});

test('writing to a dead peer does not crash; sends end up refused; onClose once', T, async (t) => {
  const h = harness(t);
  let conn;
  let closes = 0;
  const errors = [];
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (c) => { conn = c; };
    w.onClose = () => { closes++; };
    w.onError = (c, code) => errors.push(code);
  });
  const c = await h.connect(w.port);
  await until(() => conn, 'onConnect');
  c.destroy(); // FIN; our later writes draw an RST, then EPIPE/ECONNRESET
  const results = [];
  const deadlineAt = Date.now() + 3000;
  while (Date.now() < deadlineAt) {
    results.push(conn.send(Buffer.alloc(4096, 1)));
    if (closes === 1 && results.at(-1) === false) break;
    await sleep(5);
  }
  await until(() => closes === 1, 'onClose');
  assert.equal(results.at(-1), false, 'sends to a closed connection are refused');
  assert.equal(conn.status, 'closed');
  await sleep(50);
  assert.equal(closes, 1);
  // the process is alive and the server still answers
  const fresh = await h.connect(w.port);
  await until(() => w.connections.size === 1, 'the fresh connection accepted');
});

test('writing to a peer that closed inside the same batch (reply to a message followed by RST)', T, async (t) => {
  const h = harness(t);
  let closes = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => { for (let i = 0; i < 50; i++) c.send(d + i); };
    w.onClose = () => { closes++; };
  });
  const clients = await Promise.all(Array.from({ length: 20 }, () => h.connect(w.port)));
  for (const c of clients) { c.write('x\n'); c.reset(); }
  await until(() => closes === 20, `onClose for all 20 (have ${closes})`);
  await sleep(100);
  assert.equal(closes, 20);
  const fresh = await h.connect(w.port);
  fresh.write('alive\n');
  await fresh.waitLines(50);
});
