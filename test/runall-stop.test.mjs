// Stopping a master: graceful stop keeps serving an open plain TCP connection
// until the client leaves (no new connections meanwhile), WebSocket
// connections get close 1001, gracefulStopTimeout bounds the wait; a plain stop
// closes connections, and a worker process that does not finish within
// stopTimeout is killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';

import { Server, canConnect, isAlive, lineClient, until } from './fixtures/runall-helpers.mjs';
import { wsConnect } from './helpers/ws-client.mjs';

const T = { timeout: 30_000 };

test('stop -g: an open plain TCP connection is still served until the client closes it; then everything ends', T, async (t) => {
  const s = new Server(t, { COUNT: '1' });
  await s.start();
  const [worker] = await s.workerPids();
  const c = await lineClient(s.port);
  t.after(() => c.close());
  assert.equal(await c.request('before'), 'before');
  const stopping = s.run(['stop', '-g'], { timeout: 20000 });
  await until(() => s.events.some((e) => e.startsWith('stop echo')), 'onWorkerStop');
  await until(async () => !(await canConnect(s.port, 300)), 'new connections to be refused');
  assert.equal(await c.request('during'), 'during', 'the open connection is still answered');
  const status = await s.json('status');
  assert.equal(status.master.state, 'stopping');
  assert.ok(isAlive(s.pid) && isAlive(worker.pid));
  assert.ok(fs.existsSync(s.pidFile));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await c.request('still'), 'still');
  const t0 = Date.now();
  c.close();
  const r = await stopping;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /is gracefully stopping \.\.\.\n.*stop success/s);
  assert.ok(Date.now() - t0 < 2000, 'ends soon after the last connection');
  assert.deepEqual(await s.exited, { code: 0, signal: null });
  assert.equal(isAlive(worker.pid), false);
  assert.equal(fs.existsSync(s.pidFile), false);
  assert.equal(fs.existsSync(s.socketFile), false);
  assert.equal((await s.run(['status'])).code, 1, 'not running any more');
});

test('stop -g: WebSocket connections get close 1001', T, async (t) => {
  const s = new Server(t, { COUNT: '1', SOCKET: 'websocket://127.0.0.1:0' });
  await s.start();
  const ws = await wsConnect(s.port);
  t.after(() => ws.destroy());
  ws.text('hi');
  await ws.waitMessages(1);
  const stopping = s.run(['stop', '-g']);
  const close = await ws.expectClose(1001);
  assert.equal(close.code, 1001);
  const r = await stopping;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await s.exited, { code: 0, signal: null });
});

/** A raw keep-alive HTTP connection to the fixture: `get(message)` sends GET /<message>. */
function httpClient(t, port) {
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  const client = { received: '', ended: false, get: (message) => socket.write(`GET /${message} HTTP/1.1\r\nHost: x\r\n\r\n`) };
  socket.setEncoding('latin1');
  socket.on('data', (d) => (client.received += d));
  socket.on('end', () => (client.ended = true));
  return client;
}

test('stop -g: a busy HTTP keep-alive connection gets Connection: close on its next response and the stop ends', T, async (t) => {
  const s = new Server(t, { COUNT: '1', SOCKET: 'http://127.0.0.1:0' });
  await s.start();
  const client = httpClient(t, s.port);
  const ask = async (message) => {
    const before = client.received.length;
    client.get(message);
    await until(() => client.received.endsWith(message) && client.received.length > before, `the answer to ${message}`);
    return client.received.slice(before);
  };
  assert.match(await ask('before'), /\r\nConnection: keep-alive\r\n/i);
  const stopping = s.run(['stop', '-g'], { timeout: 20000 });
  await until(() => s.events.some((e) => e.startsWith('stop echo')), 'onWorkerStop');
  const during = await ask('during');
  assert.match(during, /^HTTP\/1\.1 200 /);
  assert.match(during, /\r\nConnection: close\r\n/i, 'a stopping worker ends keep-alive');
  await until(() => client.ended, 'the server to close the connection after that response', 2000);
  const t0 = Date.now();
  const r = await stopping;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(Date.now() - t0 < 2000, 'the stop does not wait for keepAliveTimeout');
  assert.deepEqual(await s.exited, { code: 0, signal: null });
});

test('stop -g: an open event stream is closed (it would never end) and the stop ends', T, async (t) => {
  const s = new Server(t, { COUNT: '1', SOCKET: 'http://127.0.0.1:0' });
  await s.start();
  const client = httpClient(t, s.port);
  client.get('events');
  await until(() => client.received.includes('\r\n\r\n'), 'the event-stream head');
  assert.match(client.received, /content-type: text\/event-stream/i);
  const t0 = Date.now();
  const r = await s.run(['stop', '-g'], { timeout: 20000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(Date.now() - t0 < 3000, 'the stop does not wait for the stream');
  await until(() => client.ended, 'the stream to be closed');
  assert.deepEqual(await s.exited, { code: 0, signal: null });
});

test('gracefulStopTimeout bounds a graceful stop', T, async (t) => {
  const s = new Server(t, { COUNT: '1', GRACEFUL_TIMEOUT: '1' });
  await s.start();
  const c = await lineClient(s.port);
  t.after(() => c.close());
  await c.request('x');
  const t0 = Date.now();
  const r = await s.run(['stop', '-g']);
  const took = Date.now() - t0;
  assert.equal(r.code, 0);
  assert.ok(took >= 800 && took < 3500, `graceful stop took ${took} ms`);
  await until(() => c.closed, 'the connection to be closed');
  assert.deepEqual(await s.exited, { code: 0, signal: null });
});

test('stop closes open connections at once', T, async (t) => {
  const s = new Server(t, { COUNT: '2' });
  await s.start();
  const c = await lineClient(s.port);
  t.after(() => c.close());
  await c.request('x');
  const t0 = Date.now();
  const r = await s.run(['stop']);
  assert.equal(r.code, 0);
  assert.ok(Date.now() - t0 < 1500, `stop took ${Date.now() - t0} ms`);
  await until(() => c.closed, 'the connection to be closed');
  assert.deepEqual(await s.exited, { code: 0, signal: null });
});

test('a worker process that does not finish within stopTimeout is killed', T, async (t) => {
  const s = new Server(t, { COUNT: '1', STOP_TIMEOUT: '1', STOP_HANG: '1' });
  await s.start();
  const [worker] = await s.workerPids();
  const t0 = Date.now();
  const r = await s.run(['stop']);
  const took = Date.now() - t0;
  assert.equal(r.code, 0, r.stdout);
  assert.ok(took >= 900 && took < 3000, `stop took ${took} ms (stopTimeout 1 s)`);
  assert.equal(isAlive(worker.pid), false);
  assert.deepEqual(await s.exited, { code: 0, signal: null });
});

test('SIGQUIT is a graceful stop', T, async (t) => {
  const s = new Server(t, { COUNT: '1' });
  await s.start();
  const c = await lineClient(s.port);
  t.after(() => c.close());
  await c.request('x');
  process.kill(s.pid, 'SIGQUIT');
  await until(() => /gracefully stopping/.test(s.log), 'the graceful stop');
  assert.equal(await c.request('y'), 'y');
  c.close();
  assert.deepEqual(await s.exited, { code: 0, signal: null });
});
