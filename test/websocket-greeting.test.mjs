// A websocket:// server's send() before the handshake completes (the usual
// greeting in onConnect) is queued, returns null, and goes out right after the
// 101, bounded by maxSendBufferSize; a refused handshake drops and counts it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'netwright';
import { T, harness, until, sleep } from './helpers/harness.mjs';

const { WebSocket } = await import('ws');

function wsClient(t, port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  const st = { ws, messages: [], open: false, error: null, status: 0 };
  ws.on('open', () => { st.open = true; });
  ws.on('message', (data) => st.messages.push(data.toString()));
  ws.on('unexpected-response', (_req, res) => { st.status = res.statusCode; res.resume(); });
  ws.on('error', (e) => { st.error = e; });
  t.after(() => ws.terminate());
  return st;
}

test('greeting in onConnect reaches a ws client first; send() returned null', T, async (t) => {
  const h = harness(t);
  const results = [];
  const w = await h.serve('websocket://127.0.0.1:0', (worker) => {
    worker.onConnect = (conn) => {
      results.push(conn.send('welcome'), conn.send('second line'));
    };
    worker.onMessage = (conn, data) => conn.send(`echo ${data}`);
  });
  const st = wsClient(t, w.port);
  await until(() => st.open, 'open');
  st.ws.send('hi');
  await until(() => st.messages.length === 3, 'greeting, second line, echo');
  assert.deepEqual(results, [null, null]);
  assert.deepEqual(st.messages, ['welcome', 'second line', 'echo hi']);
});

test('greeting with onWebSocketConnect deciding asynchronously still follows the 101', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('websocket://127.0.0.1:0', (worker) => {
    worker.onConnect = (conn) => conn.send('welcome');
    worker.onWebSocketConnect = async (conn) => {
      await sleep(30);
      conn.send('decided');
    };
  });
  const st = wsClient(t, w.port);
  await until(() => st.messages.length === 2, 'two messages');
  assert.deepEqual(st.messages, ['welcome', 'decided']);
});

test('sends before the 101 are bounded by maxSendBufferSize', T, async (t) => {
  const h = harness(t);
  const results = [];
  const errors = [];
  const w = await h.serve('websocket://127.0.0.1:0', (worker) => {
    worker.onConnect = (conn) => {
      conn.maxSendBufferSize = 1000;
      results.push(conn.send('a'.repeat(600)), conn.send('b'.repeat(600)), conn.send('c'));
    };
    worker.onError = (_conn, code) => errors.push(code);
  });
  const st = wsClient(t, w.port);
  await until(() => st.messages.length === 2, 'the two admitted messages');
  assert.deepEqual(results, [null, null, false]);
  assert.deepEqual(errors, [2]);
  await sleep(50);
  assert.equal(st.messages.length, 2);
});

test('a refused handshake drops the queued greeting and counts it; the server keeps serving', T, async (t) => {
  const h = harness(t);
  const w = await h.serve('websocket://127.0.0.1:0', (worker) => {
    worker.onConnect = (conn) => { conn.send('never'); conn.send('seen'); };
    worker.onWebSocketConnect = (_conn, request) => request.path !== '/' ? true : false;
  });
  const before = Worker.getStatistics().earlySendsDropped;
  const st = wsClient(t, w.port);
  await until(() => st.error || st.status, 'the refusal');
  assert.equal(st.status, 403);
  assert.deepEqual(st.messages, []);
  await until(() => Worker.getStatistics().earlySendsDropped === before + 2, 'two dropped sends counted');
  const ok = new WebSocket(`ws://127.0.0.1:${w.port}/other`);
  t.after(() => ok.terminate());
  const got = [];
  ok.on('message', (d) => got.push(d.toString()));
  await until(() => got.length === 2, 'served after the refusal');
  assert.deepEqual(got, ['never', 'seen']);
});
