// ChannelServer / ChannelClient (Workerman's Channel) from plain Node: a server
// listen()ed without runAll, clients over Node's net, pub/sub between clients,
// queues, reconnect after a server restart, bounded publish while disconnected,
// garbage to the server, a client in a process that is not a server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { ChannelClient, ChannelServer } from 'netwright';
import { sendUntilClosed } from './helpers/harness.mjs';

async function until(cond, what, timeout = 5000) {
  const end = Date.now() + timeout;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let syncs = 0;
/**
 * Resolves once the server has handled everything this client sent before:
 * a client's messages are handled in order, so its own publish on a fresh
 * channel coming back means its subscribes, watches, ... are in place.
 */
async function settled(c) {
  const channel = `sync-${process.pid}-${syncs++}`;
  let back = false;
  c.on(channel, () => { back = true; });
  c.publish(channel, 1);
  await until(() => back, 'the sync message');
  c.unsubscribe(channel);
}

function startServer(t, port = 0, options) {
  const server = new ChannelServer('127.0.0.1', port, options);
  server.listen();
  t.after(() => server.stop());
  return server;
}

async function client(t, port, options) {
  const c = new ChannelClient(options);
  c.onError = () => {};
  t.after(() => c.close());
  await c.connect('127.0.0.1', port);
  return c;
}

function frame(text) {
  const body = Buffer.from(text);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length + 4);
  return Buffer.concat([header, body]);
}

test('defaults are Workerman\'s: 0.0.0.0:2206, count 1, name ChannelServer', () => {
  const server = new ChannelServer();
  assert.equal(server.worker.getSocketName(), 'frame://0.0.0.0:2206');
  assert.equal(server.worker.count, 1);
  assert.equal(server.worker.name, 'ChannelServer');
});

test('pub/sub between two clients: on(), several events, the publisher\'s own subscription, unsubscribe', async (t) => {
  const server = startServer(t);
  const a = await client(t, server.port);
  const b = await client(t, server.port);
  const got = { a: [], b: [] };
  b.on('news', (data) => got.b.push(['news', data]));
  b.on('other', (data) => got.b.push(['other', data]));
  a.on('news', (data) => got.a.push(['news', data]));
  await settled(b); // b's subscriptions are in place before a publishes from another connection
  assert.equal(a.publish('news', { n: 1, text: 'héllo' }), true);
  a.publish(['news', 'other'], [1, 2]);
  await until(() => got.b.length === 3 && got.a.length === 2, 'the deliveries');
  assert.deepEqual(got.b, [['news', { n: 1, text: 'héllo' }], ['news', [1, 2]], ['other', [1, 2]]]);
  assert.deepEqual(got.a, [['news', { n: 1, text: 'héllo' }], ['news', [1, 2]]]);

  b.unsubscribe('news');
  b.on('other', (data) => got.b.push(['other2', data])); // replaces the callback
  await settled(b);
  a.publish(['news', 'other'], 'x');
  await until(() => got.a.length === 3 && got.b.length === 4, 'the deliveries after unsubscribe');
  await sleep(50);
  assert.deepEqual(got.b.slice(3), [['other2', 'x']]);
  assert.equal(server.counters.published, 3 + 2, "a's three and settled()'s two");
});

test('subscribe() without a callback goes to onMessage(channel, data)', async (t) => {
  const server = startServer(t);
  const a = await client(t, server.port);
  const seen = [];
  a.onMessage = (channel, data) => seen.push([channel, data]);
  a.subscribe(['x', 'y']); // the same connection: handled before the publish
  a.publish('y', 5);
  await until(() => seen.length === 1, 'onMessage');
  assert.deepEqual(seen, [['y', 5]]);
});

test('order: a burst from one publisher arrives in publish order', async (t) => {
  const server = startServer(t);
  const a = await client(t, server.port);
  const b = await client(t, server.port);
  const got = [];
  b.on('seq', (n) => got.push(n));
  await settled(b);
  for (let i = 0; i < 2000; i++) a.publish('seq', i);
  await until(() => got.length === 2000, '2000 messages');
  assert.deepEqual(got, Array.from({ length: 2000 }, (_, i) => i));
});

test('queues: each enqueued message goes to one watcher; messages wait for a watcher', async (t) => {
  const server = startServer(t);
  const producer = await client(t, server.port);
  producer.enqueue('jobs', 'early');
  await settled(producer);
  const w1 = await client(t, server.port);
  const w2 = await client(t, server.port);
  const got = [];
  w1.watch('jobs', (job) => got.push(['w1', job]));
  w2.watch('jobs', (job) => got.push(['w2', job]));
  await settled(w1);
  await settled(w2);
  for (let i = 0; i < 20; i++) producer.enqueue('jobs', i);
  await until(() => got.length === 21, '21 jobs');
  const jobs = got.map(([, job]) => job);
  assert.deepEqual(jobs.filter((j) => j !== 'early').sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
  assert.ok(jobs.includes('early'));
  assert.ok(got.some(([w]) => w === 'w1') && got.some(([w]) => w === 'w2'), 'both watchers consumed');
  w1.unwatch('jobs');
  await settled(w1);
  producer.enqueue('jobs', 'late');
  await until(() => got.length === 22, 'the late job');
  assert.deepEqual(got.at(-1), ['w2', 'late']);
});

test('reconnect after a server restart: subscriptions restored, publishes made while down delivered (bounded, counted)', async (t) => {
  let server = startServer(t);
  const port = server.port;
  const a = await client(t, port, { maxPendingMessages: 3 });
  const b = await client(t, port);
  const got = [];
  let connects = 0;
  let closes = 0;
  b.onConnect = () => connects++;
  b.onClose = () => closes++;
  b.on('e', (d) => got.push(d));
  await settled(b);
  a.publish('e', 'before');
  await until(() => got.length === 1, 'the first message');

  await server.stop();
  await until(() => !a.connected && !b.connected, 'both clients to see the close');
  assert.equal(closes, 1);
  for (let i = 0; i < 5; i++) a.publish('e', `while-down-${i}`);
  assert.equal(a.dropped, 2, 'over maxPendingMessages: dropped and counted');

  server = startServer(t, port);
  await until(() => a.connected && b.connected, 'both clients to reconnect', 5000);
  assert.equal(connects, 1);
  // b's subscription is restored on reconnect; a's pending messages may reach the server before it
  await settled(b);
  a.publish('e', 'after');
  await until(() => got.includes('after'), 'the message after the restart');
  const missed = got.filter((d) => d.startsWith('while-down'));
  assert.ok(missed.every((d, i) => d === `while-down-${i}`), `pending messages in order: ${got}`);
});

test('garbage to the server closes that connection, the server keeps serving', async (t) => {
  const server = startServer(t);
  const a = await client(t, server.port);
  const seen = [];
  a.on('ok', (d) => seen.push(d));
  const answers = [];
  answers.push(await sendUntilClosed(server.port, frame('not json')));
  answers.push(await sendUntilClosed(server.port, frame('{"type":"publish","channels":[1,2]}')));
  answers.push(await sendUntilClosed(server.port, frame('{"type":"fly","channels":["a"]}')));
  answers.push(await sendUntilClosed(server.port, frame('[1,2,3]')));
  await sendUntilClosed(server.port, Buffer.from([0, 0, 0, 1, 0xff, 0xfe])); // a length below 4
  for (const answer of answers) assert.match(answer.subarray(4).toString(), /"type":"error"/);
  assert.equal(server.counters.badRequests, 4);
  // an empty frame is a ping: nothing happens
  const ping = net.connect({ port: server.port, host: '127.0.0.1' });
  ping.on('error', () => {});
  await new Promise((r) => ping.once('connect', r));
  ping.write(Buffer.from([0, 0, 0, 4]));
  await sleep(50);
  assert.equal(ping.destroyed, false);
  ping.destroy();
  a.publish('ok', 1);
  await until(() => seen.length === 1, 'pub/sub after the garbage');
});

test('a unix:// server', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-channel-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'channel.sock');
  const server = new ChannelServer(`unix://${file}`);
  server.listen();
  t.after(() => server.stop());
  const a = new ChannelClient();
  t.after(() => a.close());
  await a.connect(`unix://${file}`);
  const seen = [];
  a.on('u', (d) => seen.push(d));
  a.publish('u', 'over unix');
  await until(() => seen.length === 1, 'the message over unix');
  assert.deepEqual(seen, ['over unix']);
});

test('a client in a plain Node process (no server) publishes, closes and the process exits on its own', { timeout: 20_000 }, async (t) => {
  const server = startServer(t);
  const sub = await client(t, server.port);
  const seen = [];
  sub.on('from-app', (d) => seen.push(d));
  await settled(sub);
  const script = `
    import { ChannelClient } from 'netwright';
    await ChannelClient.connect('127.0.0.1', ${server.port});
    ChannelClient.publish('from-app', { pid: process.pid });
    ChannelClient.close();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, stderr);
  await until(() => seen.length === 1, 'the message from the plain process');
  assert.equal(seen[0].pid, child.pid);
});

test('connect() also takes "host:port" (and the default port when none is given)', async (t) => {
  const server = startServer(t);
  const a = new ChannelClient();
  t.after(() => a.close());
  await a.connect(`127.0.0.1:${server.port}`);
  assert.equal(a.connected, true);
});
