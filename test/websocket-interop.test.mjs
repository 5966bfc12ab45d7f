// Interop: the npm `ws` client against a netwright websocket:// server — text,
// binary, fragmented (ws's { fin: false }), large messages, ping/pong, close
// codes both ways, subprotocols, and a burst of messages in order.
import test from 'node:test';
import assert from 'node:assert/strict';
import { T, T_LONG, wsHarness, echoServer, until, deadline, sleep } from './helpers/ws-client.mjs';

let WebSocket;
try {
  ({ WebSocket } = await import('ws'));
} catch {
  WebSocket = null;
}
const requireAll = process.env.NETWRIGHT_REQUIRE_ALL === '1';
const opts = (o) => (WebSocket || requireAll ? o : { ...o, skip: 'the ws package is not installed (npm install --no-save ws)' });

/** Open a ws client; its messages are collected as { data, isBinary }. */
async function wsClient(h, url, protocols, options) {
  if (!WebSocket) throw new Error('the ws package is not installed');
  const ws = new WebSocket(url, protocols, options);
  const st = { ws, messages: [], pongs: [], close: null, errors: [] };
  ws.on('message', (data, isBinary) => st.messages.push({ data, isBinary }));
  ws.on('pong', (d) => st.pongs.push(d));
  ws.on('close', (code, reason) => { st.close = { code, reason: reason.toString() }; });
  ws.on('error', (e) => st.errors.push(e));
  h.onCleanup(() => ws.terminate());
  await deadline(new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  }), 5000, `ws open ${url}`);
  return st;
}

test('ws client: text and binary echo, types preserved', opts(T), async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const st = await wsClient(h, `ws://127.0.0.1:${w.port}/echo`);
  st.ws.send('hello from ws');
  st.ws.send(Buffer.from([0, 1, 2, 255]));
  st.ws.send('');
  st.ws.send('😀 κόσμε');
  await until(() => st.messages.length === 4, '4 echoes');
  assert.equal(st.messages[0].isBinary, false);
  assert.equal(st.messages[0].data.toString(), 'hello from ws');
  assert.equal(st.messages[1].isBinary, true);
  assert.deepEqual([...st.messages[1].data], [0, 1, 2, 255]);
  assert.equal(st.messages[2].data.length, 0);
  assert.equal(st.messages[3].data.toString(), '😀 κόσμε');
  assert.equal(typeof ev.messages[0], 'string');
  assert.ok(Buffer.isBuffer(ev.messages[1]));
});

test('ws client: fragmented messages via { fin: false }', opts(T), async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const st = await wsClient(h, `ws://127.0.0.1:${w.port}/`);
  st.ws.send('frag-', { fin: false });
  st.ws.send('men-', { fin: false });
  st.ws.ping('mid');
  st.ws.send('ted', { fin: true });
  st.ws.send(Buffer.from([1, 2]), { binary: true, fin: false });
  st.ws.send(Buffer.from([3]), { binary: true, fin: true });
  await until(() => st.messages.length === 2, 'two reassembled messages');
  assert.equal(ev.messages[0], 'frag-men-ted');
  assert.deepEqual([...ev.messages[1]], [1, 2, 3]);
  assert.equal(st.messages[0].data.toString(), 'frag-men-ted');
  await until(() => st.pongs.length === 1, 'pong');
  assert.equal(st.pongs[0].toString(), 'mid');
});

test('ws client: large messages (1 MiB and 8 MiB) both ways', opts(T_LONG), async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const st = await wsClient(h, `ws://127.0.0.1:${w.port}/`, undefined, { maxPayload: 64 * 1024 * 1024 });
  const one = Buffer.alloc(1 << 20);
  for (let i = 0; i < one.length; i++) one[i] = i % 251;
  const eight = Buffer.alloc(8 << 20, 0x42);
  st.ws.send(one);
  st.ws.send('t'.repeat(1 << 20));
  st.ws.send(eight);
  await until(() => st.messages.length === 3, 'three large echoes', 20_000);
  assert.ok(st.messages[0].data.equals(one));
  assert.equal(st.messages[1].isBinary, false);
  assert.equal(st.messages[1].data.length, 1 << 20);
  assert.ok(st.messages[2].data.equals(eight));
});

test('ws client: 20,000 small messages echo in order', opts(T_LONG), async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const st = await wsClient(h, `ws://127.0.0.1:${w.port}/`);
  const N = 20_000;
  for (let i = 0; i < N; i++) st.ws.send(`#${i}`);
  await until(() => st.messages.length === N, `${N} echoes`, 20_000);
  for (let i = 0; i < N; i++) if (st.messages[i].data.toString() !== `#${i}`) assert.fail(`message ${i} is ${st.messages[i].data}`);
});

test('ws client: close codes both ways; subprotocol; server ping', opts(T), async (t) => {
  const h = wsHarness(t);
  const serverSide = [];
  const conns = [];
  const { w } = await echoServer(h, (w) => {
    w.onWebSocketConnect = (c, req) => {
      if ((req.headers['sec-websocket-protocol'] ?? '').includes('chat')) c.websocketProtocol = 'chat';
    };
    w.onWebSocketConnected = (c) => conns.push(c);
    w.onWebSocketClose = (c, code, reason) => serverSide.push({ code, reason });
  });
  // client closes with 4000
  const a = await wsClient(h, `ws://127.0.0.1:${w.port}/`, ['superchat', 'chat']);
  assert.equal(a.ws.protocol, 'chat');
  a.ws.close(4000, 'client bye');
  await until(() => a.close, 'ws close event');
  assert.equal(a.close.code, 4000, 'ws sees our echoed code');
  await until(() => serverSide.length === 1, 'onWebSocketClose');
  assert.deepEqual(serverSide[0], { code: 4000, reason: 'client bye' });
  // server closes with 4001
  const b = await wsClient(h, `ws://127.0.0.1:${w.port}/`);
  await until(() => conns.length === 2, 'second connection');
  let pinged = null;
  b.ws.on('ping', (d) => { pinged = d.toString(); });
  conns[1].ping('hey');
  await until(() => pinged !== null, 'ws gets our ping');
  assert.equal(pinged, 'hey');
  conns[1].closeWebSocket(4001, 'server bye');
  await until(() => b.close, 'ws close event');
  assert.deepEqual(b.close, { code: 4001, reason: 'server bye' });
  // connection.close() → 1000
  const c = await wsClient(h, `ws://127.0.0.1:${w.port}/`);
  await until(() => conns.length === 3, 'third connection');
  conns[2].close('last words');
  await until(() => c.close, 'ws close event');
  assert.equal(c.close.code, 1000);
  assert.equal(c.messages.at(-1)?.data.toString(), 'last words');
  assert.deepEqual(a.errors.concat(b.errors, c.errors), []);
});

test('ws client: broadcast and publish reach ws clients', opts(T), async (t) => {
  const h = wsHarness(t);
  const conns = [];
  const { w } = await echoServer(h, (w) => { w.onWebSocketConnected = (c) => { conns.push(c); c.subscribe('all'); }; });
  const clients = [];
  for (let i = 0; i < 5; i++) clients.push(await wsClient(h, `ws://127.0.0.1:${w.port}/`));
  await until(() => conns.length === 5, 'five');
  assert.equal(w.broadcast('b'), 5);
  assert.equal(w.publish('all', Buffer.from('p')), 5);
  await until(() => clients.every((c) => c.messages.length === 2), 'two messages each');
  for (const c of clients) {
    assert.deepEqual(c.messages.map((m) => [m.isBinary, m.data.toString()]), [[false, 'b'], [true, 'p']]);
  }
  await sleep(10);
});
