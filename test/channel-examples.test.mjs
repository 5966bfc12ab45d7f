// examples/channel/: the manual's "cluster push" and "group send" under
// Worker.runAll() with processes that really are separate: WebSocket clients
// spread over the worker processes get what is pushed from another process
// (the http:// worker, a plain Node program) through Channel.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import WebSocket from 'ws';

import { Server, until } from './fixtures/runall-helpers.mjs';

const EXAMPLES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'channel');
const T = { timeout: 60_000 };

async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A WebSocket client recording its messages. */
async function wsClient(t, port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  const client = { ws, messages: [] };
  ws.on('message', (data) => client.messages.push(String(data)));
  ws.on('error', () => {});
  t.after(() => ws.terminate());
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return client;
}

/** Clients until both worker processes (ids 0 and 1) hold some; each knows its worker and connection id. */
async function spreadClients(t, port, perWorker = 2) {
  const byWorker = new Map([[0, []], [1, []]]);
  for (let i = 0; i < 60 && [...byWorker.values()].some((l) => l.length < perWorker); i++) {
    const c = await wsClient(t, port);
    await until(() => c.messages.length > 0, 'the greeting');
    const m = /workerID:(\d+) connectionID:(\d+) connected/.exec(c.messages[0]);
    assert.ok(m, c.messages[0]);
    c.workerId = Number(m[1]);
    c.connectionId = Number(m[2]);
    c.messages.length = 0;
    byWorker.get(c.workerId).push(c);
  }
  for (const [id, list] of byWorker) assert.ok(list.length >= perWorker, `clients on worker ${id}: ${list.length}`);
  return [...byWorker.values()].flat();
}

/**
 * Sends probes until one reaches every client (a ChannelClient in a process
 * that has just started may not be subscribed yet). Each probe is waited for
 * before the next, and deliveries are ordered, so once this resolves no
 * earlier probe can still arrive.
 */
async function probeUntilAll(clients, send) {
  for (let i = 0; i < 30; i++) {
    const content = `probe ${i}`;
    await send(content);
    try {
      await until(() => clients.every((c) => c.messages.includes(content)), 'the probe', 1000);
      for (const c of clients) c.messages.length = 0;
      return;
    } catch {}
  }
  throw new Error('no probe reached every client');
}

async function httpGet(port, query) {
  const res = await fetch(`http://127.0.0.1:${port}/?${new URLSearchParams(query)}`);
  return res.text();
}

test('cluster push: broadcast and push to one connection, from the http:// worker and from a plain Node program', T, async (t) => {
  const [wsPort, httpPort, channelPort, pushPort] = await freePorts(4);
  const s = new Server(t, { WS_PORT: String(wsPort), HTTP_PORT: String(httpPort), CHANNEL_PORT: String(channelPort) }, path.join(EXAMPLES, 'cluster-push.mjs'));
  await s.start();
  const clients = await spreadClients(t, wsPort);

  // a broadcast from the http:// worker reaches every client, in both processes
  await probeUntilAll(clients, (content) => httpGet(httpPort, { content }));
  assert.equal(await httpGet(httpPort, { content: 'hello all' }), 'ok');
  await until(() => clients.every((c) => c.messages.includes('hello all')), 'a broadcast to every client');
  await new Promise((r) => setTimeout(r, 200));
  for (const c of clients) assert.equal(c.messages.filter((m) => m === 'hello all').length, 1, 'each client gets the broadcast once');
  for (const c of clients) c.messages.length = 0;

  const target = clients.find((c) => c.workerId === 1);
  assert.equal(await httpGet(httpPort, { to_worker_id: 1, to_connection_id: target.connectionId, content: 'just you' }), 'ok');
  await until(() => target.messages.includes('just you'), 'the targeted push');
  await new Promise((r) => setTimeout(r, 200));
  for (const c of clients) if (c !== target) assert.deepEqual(c.messages, [], 'only the target gets it');

  // a plain Node program (node:http, no netwright server) pushing through the Channel
  const pusher = spawn(process.execPath, [path.join(EXAMPLES, 'push-from-node.mjs')], {
    env: { ...process.env, CHANNEL_PORT: String(channelPort), PUSH_PORT: String(pushPort) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => pusher.kill('SIGKILL'));
  await until(() => pusher.stdout.read() !== null, 'the plain program to listen');
  await probeUntilAll(clients, (content) => httpGet(pushPort, { content }));
  assert.equal((await s.run(['stop'])).code, 0);
});

test('group send: members in different processes all get the group message, others do not', T, async (t) => {
  const [wsPort, channelPort] = await freePorts(2);
  const s = new Server(t, { WS_PORT: String(wsPort), CHANNEL_PORT: String(channelPort), COUNT: '2' }, path.join(EXAMPLES, 'group-send.mjs'));
  await s.start();
  const members = [];
  const others = [];
  const workers = new Set();
  for (let i = 0; i < 40 && (workers.size < 2 || members.length < 4); i++) {
    const c = await wsClient(t, wsPort);
    const group = i % 3 === 2 ? 'other' : 'g1';
    c.ws.send(JSON.stringify({ cmd: 'add_group', group_id: group }));
    await until(() => c.messages.length > 0, 'the join answer');
    const answer = JSON.parse(c.messages.shift());
    if (group === 'g1') {
      members.push(c);
      workers.add(answer.worker);
    } else others.push(c);
  }
  assert.equal(workers.size, 2, 'members in both processes');
  await probeUntilAll(members, (message) => members[0].ws.send(JSON.stringify({ cmd: 'send_to_group', group_id: 'g1', message })));
  members[2].ws.send(JSON.stringify({ cmd: 'send_to_group', group_id: 'g1', message: 'hi g1' }));
  await until(() => members.every((c) => c.messages.includes('hi g1')), 'the group message in every member');
  await new Promise((r) => setTimeout(r, 100));
  for (const c of others) assert.deepEqual(c.messages, []);

  // a member that leaves is forgotten by its process
  members[1].ws.close();
  await new Promise((r) => setTimeout(r, 200));
  for (const c of members) c.messages.length = 0;
  members[0].ws.send(JSON.stringify({ cmd: 'send_to_group', group_id: 'g1', message: 'again' }));
  await until(() => members.filter((c, i) => i !== 1).every((c) => c.messages.includes('again')), 'the second group message');
  assert.equal((await s.run(['stop'])).code, 0);
});
