// A plain listen() without runAll() is a cluster of one process: the cluster
// calls (clientId, sendTo, uids, counts) work there, locally, and they work
// for every protocol (the data is encoded by the recipient's protocol).
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import WebSocket from 'ws';
import { Worker } from 'netwright';

import { T, until, wsHarness } from './helpers/ws-client.mjs';

function wsClient(h, port) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  const client = { socket, messages: [] };
  socket.on('message', (data, binary) => client.messages.push(binary ? data : data.toString()));
  h.onCleanup(() => socket.terminate());
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('error', reject);
  });
}

test('one process: clientId, sendTo, closeClient, isOnline, uids and counts work locally', T, async (t) => {
  const h = wsHarness(t);
  const connections = [];
  const w = await h.serve((w) => {
    w.onWebSocketConnected = (c) => connections.push(c);
  });
  const a = await wsClient(h, w.port);
  const b = await wsClient(h, w.port);
  await until(() => connections.length === 2, 'two connections');
  const [ca, cb] = connections;
  assert.match(ca.clientId, /^[0-9a-f]{20}$/);
  assert.notEqual(ca.clientId, cb.clientId);
  assert.equal(ca.clientId, ca.clientId, 'stable');

  assert.equal(Worker.sendTo(cb.clientId, 'to-b'), true);
  await until(() => b.messages.includes('to-b'), 'b to get its message');
  assert.equal(Worker.sendTo('f'.repeat(20), 'nobody'), false);
  assert.equal(Worker.sendTo('short', 'nobody'), false);
  assert.equal(await Worker.isOnline(ca.clientId), true);
  assert.equal(await Worker.isOnline('0'.repeat(20)), false);

  ca.bindUid('u1');
  cb.bindUid(42);
  assert.equal(cb.uid, '42');
  assert.equal(Worker.sendToUid('u1', 'hi-u1'), 1);
  await until(() => a.messages.includes('hi-u1'), 'a to get the uid message');
  assert.deepEqual(await Worker.getClientIdsByUid('42'), [cb.clientId]);
  assert.equal(await Worker.isUidOnline('u1'), true);
  ca.unbindUid();
  assert.equal(await Worker.isUidOnline('u1'), false);
  assert.equal(Worker.sendToUid('u1', 'gone'), 0);

  ca.subscribe('t');
  cb.subscribe('t');
  ca.subscribe('t'); // twice counts once
  assert.equal(await w.subscriberCount('t'), 2);
  assert.equal(await w.connectionCount(), 2);
  assert.equal(w.publish('t', 'to-topic'), 2);
  cb.unsubscribe('t');
  assert.equal(await w.subscriberCount('t'), 1);

  assert.equal(Worker.closeClient(cb.clientId, 'bye'), true);
  await until(() => b.messages.includes('bye') && cb.status === 'closed', 'b to be closed');
  assert.equal(await Worker.isOnline(cb.clientId), false);
  assert.deepEqual(await Worker.getClientIdsByUid('42'), [], 'a closed connection unbinds');
  ca.close();
  await until(() => ca.status === 'closed', 'a to close');
  assert.equal(await w.subscriberCount('t'), 0, 'a closed connection leaves its topics');
});

test('sendTo encodes by the recipient protocol: a text:// connection gets a line', T, async (t) => {
  const h = wsHarness(t);
  const connections = [];
  const w = await h.serve((w) => {
    w.onConnect = (c) => connections.push(c);
  }, 'text://127.0.0.1:0');
  const socket = net.connect(w.port, '127.0.0.1');
  h.own(socket);
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (d) => { received += d; });
  await until(() => connections.length === 1, 'the connection');
  assert.equal(Worker.sendTo(connections[0].clientId, 'hello'), true);
  connections[0].bindUid('line-user');
  assert.equal(Worker.sendToUid('line-user', Buffer.from('bytes')), 1);
  await until(() => received === 'hello\nbytes\n', `two lines (got ${JSON.stringify(received)})`);
});

test('Worker.cluster: checked, and fixed once the cluster is in use', T, () => {
  assert.throws(() => { Worker.cluster = 'redis://x'; }, TypeError);
  // earlier tests of this file made the process's cluster node: settings can no longer change
  assert.throws(() => { Worker.cluster = { redis: 'redis://127.0.0.1:1' }; }, /before runAll\(\) or listen\(\)/);
  assert.equal(Worker.cluster, null);
});
