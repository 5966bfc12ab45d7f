// Many connections at once: 1,000 concurrent clients, each echoed on its own
// connection; ids unique and increasing; the connections map and statistics.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'netwright';
import { T_LONG, harness, connect, until, deadline } from './helpers/harness.mjs';

const N = 1000;

test('1,000 concurrent connections each get their own echo', T_LONG, async (t) => {
  const h = harness(t);
  const ids = [];
  let closes = 0;
  const w = await h.serve('text://127.0.0.1:0', (w) => {
    w.onConnect = (conn) => { ids.push(conn.id); };
    w.onMessage = (conn, data) => conn.send(`${conn.id}:${data}`);
    w.onClose = () => { closes++; };
  }, { backlog: 2048 });

  const openBefore = Worker.getStatistics().connections;
  const clients = [];
  // Connect in waves of 100 so the test does not depend on the listen backlog.
  for (let i = 0; i < N; i += 100) {
    const wave = await Promise.all(Array.from({ length: 100 }, () => connect(w.port, 10_000)));
    for (const c of wave) clients.push(h.ownClient(c));
  }
  await until(() => w.connections.size === N, `${N} entries in worker.connections (have ${w.connections.size})`, 10_000);
  assert.equal(Worker.getStatistics().connections >= N, true, 'statistics count open connections');

  clients.forEach((c, i) => c.write(`hello-${i}\nbye-${i}\n`));
  await deadline(Promise.all(clients.map((c) => c.waitLines(2, 20_000))), 25_000, 'all echoes');
  const seenIds = new Set();
  clients.forEach((c, i) => {
    const [a, b] = c.lines;
    const [idA, msgA] = a.split(':');
    const [idB, msgB] = b.split(':');
    assert.equal(msgA, `hello-${i}`);
    assert.equal(msgB, `bye-${i}`);
    assert.equal(idA, idB, 'both replies came from the same connection');
    seenIds.add(idA);
  });
  assert.equal(seenIds.size, N, 'every client was served by a distinct connection');

  assert.equal(new Set(ids).size, N, 'connection ids are unique');
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], 'ids increase in accept order');

  for (const c of clients) c.end();
  await until(() => closes === N, `onClose for all ${N} (have ${closes})`, 15_000);
  await until(() => w.connections.size === 0, 'empty connections map');
  assert.equal(Worker.getStatistics().connections, openBefore, 'statistics.connections back down');
});

test('connection ids are never reused after connections close', T_LONG, async (t) => {
  const h = harness(t);
  const ids = [];
  const w = await h.serve('tcp://127.0.0.1:0', (w) => {
    w.onConnect = (conn) => { ids.push(conn.id); };
  });
  for (let round = 0; round < 5; round++) {
    const cs = await Promise.all(Array.from({ length: 20 }, () => h.connect(w.port)));
    await until(() => ids.length === (round + 1) * 20, 'onConnect for the round');
    for (const c of cs) c.destroy();
    await until(() => w.connections.size === 0, 'all closed');
  }
  assert.equal(new Set(ids).size, ids.length, 'no id was reused');
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], 'ids increase');
  for (const id of ids) assert.ok(Number.isInteger(id), 'id is an integer');
});

test('two workers in one process serve independently', T_LONG, async (t) => {
  const h = harness(t);
  const a = await h.serve('text://127.0.0.1:0', (w) => { w.onMessage = (c, d) => c.send('A' + d); });
  const b = await h.serve('frame://127.0.0.1:0', (w) => { w.onMessage = (c, d) => c.send(Buffer.concat([Buffer.from('B'), d])); });
  const ca = await Promise.all(Array.from({ length: 50 }, () => h.connect(a.port)));
  const cb = await Promise.all(Array.from({ length: 50 }, () => h.connect(b.port)));
  ca.forEach((c, i) => c.write(`${i}\n`));
  cb.forEach((c, i) => { const p = Buffer.from(String(i)); const hd = Buffer.alloc(4); hd.writeUInt32BE(p.length + 4); c.write(Buffer.concat([hd, p])); });
  await Promise.all(ca.map((c) => c.waitLines(1)));
  await Promise.all(cb.map((c, i) => c.waitBytes(4 + 1 + String(i).length)));
  ca.forEach((c, i) => assert.equal(c.text, `A${i}\n`));
  cb.forEach((c, i) => assert.equal(c.data.subarray(4).toString(), `B${i}`));
  assert.equal(a.connections.size, 50);
  assert.equal(b.connections.size, 50);
});
