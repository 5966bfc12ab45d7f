// GlobalDataServer / GlobalDataClient (Workerman's GlobalData) from plain Node:
// the commands and their semantics, atomicity under concurrent increments and
// cas loops from several clients and processes, sharding over two servers,
// garbage to the server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { test } from 'node:test';

import { GlobalDataClient, GlobalDataServer } from 'netwright';
import { sendUntilClosed } from './helpers/harness.mjs';

function startServer(t) {
  const server = new GlobalDataServer('127.0.0.1', 0);
  server.listen();
  t.after(() => server.stop());
  return server;
}

function newClient(t, address) {
  const client = new GlobalDataClient(address);
  t.after(() => client.close());
  return client;
}

function frame(text) {
  const body = Buffer.from(text);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length + 4);
  return Buffer.concat([header, body]);
}

test('defaults are Workerman\'s: 0.0.0.0:2207, count 1, name globalDataServer, not reloadable', () => {
  const server = new GlobalDataServer();
  assert.equal(server.worker.getSocketName(), 'frame://0.0.0.0:2207');
  assert.equal(server.worker.count, 1);
  assert.equal(server.worker.name, 'globalDataServer');
  assert.equal(server.worker.reloadable, false);
});

test('get / set / unset / add / cas / increment', async (t) => {
  const server = startServer(t);
  const g = newClient(t, `127.0.0.1:${server.port}`);
  assert.equal(await g.get('missing'), undefined);
  assert.equal(await g.has('missing'), false);
  assert.equal(await g.set('obj', { a: 1, list: [1, 'two', null] }), true);
  assert.deepEqual(await g.get('obj'), { a: 1, list: [1, 'two', null] });
  assert.equal(await g.set('null', null), true);
  assert.equal(await g.get('null'), null);
  assert.equal(await g.has('null'), false, 'isset() is false for null');

  assert.equal(await g.add('once', 1), true);
  assert.equal(await g.add('once', 2), false, 'add fails when the key is set');
  assert.equal(await g.get('once'), 1);

  assert.equal(await g.cas('obj', { list: [1, 'two', null], a: 1 }, 'swapped'), true, 'cas compares values, key order aside');
  assert.equal(await g.get('obj'), 'swapped');
  assert.equal(await g.cas('obj', 'not this', 'x'), false);
  assert.equal(await g.get('obj'), 'swapped');
  assert.equal(await g.cas('fresh', null, 'created'), true, 'a missing key equals null');
  assert.equal(await g.get('fresh'), 'created');

  assert.equal(await g.increment('nokey'), false, 'increment of a missing key fails');
  assert.equal(await g.get('nokey'), undefined);
  await g.set('n', 5);
  assert.equal(await g.increment('n'), 6);
  assert.equal(await g.increment('n', 10), 16);
  assert.equal(await g.increment('n', -1.5), 14.5);
  await g.set('s', '41');
  assert.equal(await g.increment('s'), 42, 'a numeric string counts');
  await g.set('word', 'abc');
  assert.equal(await g.increment('word', 3), 3, 'a non-numeric value starts from 0');

  assert.equal(await g.unset('n'), true);
  assert.equal(await g.get('n'), undefined);
  assert.equal(await g.unset('n'), true);
  await assert.rejects(g.set('bad', undefined), TypeError);
  await assert.rejects(g.increment('s', NaN), TypeError);
});

test('atomic: concurrent increments and cas loops from several clients lose nothing', async (t) => {
  const server = startServer(t);
  const address = `127.0.0.1:${server.port}`;
  const clients = Array.from({ length: 6 }, () => newClient(t, address));
  await clients[0].set('counter', 0);
  await clients[0].set('casCounter', 0);
  const perClient = 300;
  await Promise.all(clients.map((c) => Promise.all(Array.from({ length: perClient }, () => c.increment('counter')))));
  assert.equal(await clients[0].get('counter'), clients.length * perClient);

  // read-modify-write through cas: every failed cas retries with the fresh value
  let retries = 0;
  await Promise.all(clients.map(async (c) => {
    for (let i = 0; i < 40; i++) {
      for (;;) {
        const old = await c.get('casCounter');
        if (await c.cas('casCounter', old, old + 1)) break;
        retries++;
      }
    }
  }));
  assert.equal(await clients[0].get('casCounter'), clients.length * 40);
  t.diagnostic(`${retries} cas retries`);
});

test('atomic across processes: plain Node processes incrementing one key', { timeout: 30_000 }, async (t) => {
  const server = startServer(t);
  const g = newClient(t, `127.0.0.1:${server.port}`);
  await g.set('hits', 0);
  const script = `
    import { GlobalDataClient } from 'netwright';
    const g = new GlobalDataClient('127.0.0.1:${server.port}');
    await Promise.all(Array.from({ length: 200 }, () => g.increment('hits')));
    // the connection does not hold the process once nothing waits
  `;
  const codes = await Promise.all(Array.from({ length: 3 }, () => new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), stdio: 'inherit' });
    child.on('exit', resolve);
  })));
  assert.deepEqual(codes, [0, 0, 0]);
  assert.equal(await g.get('hits'), 600);
});

test('keys are sharded over several servers by crc32', async (t) => {
  const one = startServer(t);
  const two = startServer(t);
  const g = newClient(t, [`127.0.0.1:${one.port}`, `127.0.0.1:${two.port}`]);
  for (let i = 0; i < 40; i++) await g.set(`key${i}`, i);
  assert.equal(one.size + two.size, 40);
  assert.ok(one.size > 0 && two.size > 0, `${one.size} / ${two.size}`);
  for (let i = 0; i < 40; i++) assert.equal(await g.get(`key${i}`), i);
});

test('garbage closes the connection (after an error answer); the server keeps serving', async (t) => {
  const server = startServer(t);
  const g = newClient(t, `127.0.0.1:${server.port}`);
  await g.set('k', 'v');
  for (const bad of ['nope', '{"cmd":"get"}', '{"cmd":"fly","key":"k"}', '{"cmd":"increment","key":"k","step":"x"}', '"str"']) {
    const answer = await sendUntilClosed(server.port, frame(bad));
    assert.match(answer.subarray(4).toString(), /"error"/, bad);
  }
  await sendUntilClosed(server.port, Buffer.from([0, 0, 0, 2, 1, 2, 3]));
  assert.equal(await g.get('k'), 'v');
});

test('a server that is down: requests fail, and succeed once it is up', async (t) => {
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  const g = newClient(t, `127.0.0.1:${port}`);
  await assert.rejects(g.get('x'), /GlobalData/);
  const server = new GlobalDataServer('127.0.0.1', port);
  server.listen();
  t.after(() => server.stop());
  assert.equal(await g.set('x', 1), true);
  assert.equal(await g.get('x'), 1);
});

test('a unix:// server', async (t) => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-globaldata-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const address = `unix://${path.join(dir, 'data.sock')}`;
  const server = new GlobalDataServer(address);
  server.listen();
  t.after(() => server.stop());
  const g = newClient(t, address);
  assert.equal(await g.add('k', [1]), true);
  assert.deepEqual(await g.get('k'), [1]);
});
