// websocket:// fan-out within one process: worker.broadcast(data, except?) and
// topics (connection.subscribe / unsubscribe, worker.publish). Both return the
// number of connections written to; strings go as text, Buffers as binary;
// only open WebSocket connections receive; subscriptions end with the connection.
import test from 'node:test';
import assert from 'node:assert/strict';
import { SEND_FAIL } from 'netwright';
import { T, wsHarness, OP, until, sleep } from './helpers/ws-client.mjs';

async function room(h, n, setup = () => {}) {
  const conns = [];
  const w = await h.serve(async (w) => {
    w.onWebSocketConnected = (c) => { conns.push(c); };
    await setup(w);
  });
  const clients = [];
  for (let i = 0; i < n; i++) {
    clients.push(await h.ws(w.port));
    await until(() => conns.length === i + 1, `connection ${i}`);
  }
  return { w, conns, clients };
}

test('worker.broadcast(string) → text to every WebSocket connection, returns the count', T, async (t) => {
  const h = wsHarness(t);
  const { w, clients } = await room(h, 3);
  // a TCP client that never finished its handshake receives nothing
  const pending = await h.raw(w.port);
  pending.write('GET / HTTP/1.1\r\nHost: x\r\n');
  await sleep(50);
  assert.equal(w.broadcast('hello all'), 3);
  for (const c of clients) {
    const m = await c.waitMessages(1);
    assert.equal(m[0].opcode, OP.TEXT);
    assert.equal(m[0].text, 'hello all');
  }
  assert.equal(clients.every((c) => !c.anyMasked), true);
  await sleep(50);
  assert.equal(pending.raw.length, 0, 'no frame to a connection still in its handshake');
});

test('worker.broadcast(Buffer) → binary; Uint8Array too; large payloads', T, async (t) => {
  const h = wsHarness(t);
  const { w, clients } = await room(h, 2);
  assert.equal(w.broadcast(Buffer.from([1, 2, 3])), 2);
  assert.equal(w.broadcast(new Uint8Array([4, 5])), 2);
  const big = Buffer.alloc(200_000, 7);
  assert.equal(w.broadcast(big), 2);
  for (const c of clients) {
    const m = await c.waitMessages(3);
    assert.equal(m[0].opcode, OP.BINARY);
    assert.deepEqual([...m[0].data], [1, 2, 3]);
    assert.equal(m[1].opcode, OP.BINARY);
    assert.deepEqual([...m[1].data], [4, 5]);
    assert.ok(m[2].data.equals(big));
  }
});

test('broadcast ignores websocketType: strings are text even on binary connections', T, async (t) => {
  const h = wsHarness(t);
  const { w, clients } = await room(h, 1, (w) => { w.websocketType = 'binary'; });
  assert.equal(w.broadcast('s'), 1);
  const m = await clients[0].waitMessages(1);
  assert.equal(m[0].opcode, OP.TEXT);
});

test('worker.broadcast(data, except): one connection or an array', T, async (t) => {
  const h = wsHarness(t);
  const { w, conns, clients } = await room(h, 4);
  assert.equal(w.broadcast('not-0', conns[0]), 3);
  assert.equal(w.broadcast('not-1-2', [conns[1], conns[2]]), 2);
  assert.equal(w.broadcast('all', []), 4);
  await clients[3].waitMessages(3);
  await clients[0].waitMessages(2);
  await clients[1].waitMessages(2);
  await clients[2].waitMessages(2);
  await sleep(50);
  assert.deepEqual(clients[0].messages.map((m) => m.text), ['not-1-2', 'all']);
  assert.deepEqual(clients[1].messages.map((m) => m.text), ['not-0', 'all']);
  assert.deepEqual(clients[2].messages.map((m) => m.text), ['not-0', 'all']);
  assert.deepEqual(clients[3].messages.map((m) => m.text), ['not-0', 'not-1-2', 'all']);
});

test('broadcast skips closed and closing connections; 0 with nobody', T, async (t) => {
  const h = wsHarness(t);
  const { w, conns, clients } = await room(h, 3);
  clients[0].destroy();
  await until(() => w.connections.size === 2, 'one gone');
  conns[1].closeWebSocket(1000);
  await clients[1].waitCloseFrame();
  assert.equal(w.broadcast('x'), 1);
  const m = await clients[2].waitMessages(1);
  assert.equal(m[0].text, 'x');
  clients[2].destroy();
  clients[1].destroy();
  await until(() => w.connections.size === 0, 'all gone');
  assert.equal(w.broadcast('nobody'), 0);
});

test('broadcast from inside onMessage reaches everyone (chat)', T, async (t) => {
  const h = wsHarness(t);
  const { clients } = await room(h, 3, (w) => {
    w.onMessage = (c, d) => { w.broadcast(d); };
  });
  clients[1].text('hi from 1');
  for (const c of clients) {
    const m = await c.waitMessages(1);
    assert.equal(m[0].text, 'hi from 1');
  }
});

test('subscribe / publish / unsubscribe return counts; text for strings, binary for Buffers', T, async (t) => {
  const h = wsHarness(t);
  const { w, conns, clients } = await room(h, 3);
  conns[0].subscribe('news');
  conns[1].subscribe('news');
  conns[1].subscribe('sport');
  conns[1].subscribe('news'); // twice: still one subscription
  assert.equal(w.publish('news', 'n1'), 2);
  assert.equal(w.publish('sport', Buffer.from('s1')), 1);
  assert.equal(w.publish('weather', 'w1'), 0);
  conns[0].unsubscribe('news');
  conns[2].unsubscribe('news'); // not subscribed: harmless
  assert.equal(w.publish('news', 'n2'), 1);
  await clients[1].waitMessages(3);
  await clients[0].waitMessages(1);
  await sleep(50);
  assert.deepEqual(clients[0].messages.map((m) => m.text), ['n1']);
  assert.deepEqual(clients[1].messages.map((m) => [m.opcode, m.text]), [[OP.TEXT, 'n1'], [OP.BINARY, 's1'], [OP.TEXT, 'n2']]);
  assert.equal(clients[2].messages.length, 0);
});

test('subscriptions end with the connection', T, async (t) => {
  const h = wsHarness(t);
  const { w, conns, clients } = await room(h, 2);
  conns[0].subscribe('t');
  conns[1].subscribe('t');
  assert.equal(w.publish('t', 'a'), 2);
  clients[0].close(1000);
  await clients[0].waitEnd();
  await until(() => w.connections.size === 1, 'closed');
  assert.equal(w.publish('t', 'b'), 1);
  clients[1].destroy();
  await until(() => w.connections.size === 0, 'all closed');
  assert.equal(w.publish('t', 'c'), 0);
  // a new connection does not inherit anything
  const conns2 = [];
  w.onWebSocketConnected = (c) => conns2.push(c);
  await h.ws(w.port);
  await until(() => conns2.length === 1, 'new connection');
  assert.equal(w.publish('t', 'd'), 0);
});

test('publish from inside onMessage; topics are per worker', T, async (t) => {
  const h = wsHarness(t);
  const { w, clients } = await room(h, 2, (w) => {
    w.onMessage = (c, d) => {
      const [cmd, topic, msg] = d.split(' ');
      if (cmd === 'sub') c.subscribe(topic);
      else if (cmd === 'pub') c.send(`n=${w.publish(topic, msg)}`);
    };
  });
  const other = await h.serve((w2) => { w2.onWebSocketConnected = (c) => c.subscribe('room'); });
  const outsider = await h.ws(other.port);
  clients[0].text('sub room');
  clients[1].text('sub room');
  await sleep(50);
  clients[0].text('pub room hey');
  const m0 = await clients[0].waitMessages(2);
  assert.deepEqual(m0.map((m) => m.text).sort(), ['hey', 'n=2']);
  const m1 = await clients[1].waitMessages(1);
  assert.equal(m1[0].text, 'hey');
  await sleep(50);
  assert.equal(outsider.messages.length, 0, 'another worker\'s subscriber is not reached');
});

test('a recipient whose send buffer is full gets the normal send-fail handling; the others still receive', T, async (t) => {
  const h = wsHarness(t);
  const errors = [];
  let full = 0;
  const { w, conns, clients } = await room(h, 3, (w) => {
    w.onError = (c, code) => errors.push({ id: c.id, code });
    w.onBufferFull = () => { full++; };
  });
  conns[0].maxSendBufferSize = 64 * 1024;
  conns[1].maxSendBufferSize = 16 << 20;
  conns[2].maxSendBufferSize = 16 << 20;
  clients[0].socket.pause();
  const big = Buffer.alloc(32 * 1024, 1);
  const counts = [];
  // the paused client's kernel buffers absorb a few MB first; the readers drain between bursts
  for (let i = 0; i < 3000 && counts.filter((n) => n === 2).length < 3; i++) {
    counts.push(w.broadcast(big));
    if (i % 10 === 9) await sleep(2);
  }
  assert.equal(counts[0], 3);
  assert.equal(counts.at(-1), 2, `the full recipient is not counted once its sends are refused (counts end ${counts.slice(-5)})`);
  await until(() => errors.length > 0, 'onError for the full recipient');
  assert.ok(errors.every((e) => e.id === conns[0].id && e.code === SEND_FAIL), JSON.stringify(errors.slice(0, 3)));
  assert.ok(full >= 1, 'onBufferFull');
  await clients[1].waitMessages(counts.length, 15_000);
  await clients[2].waitMessages(counts.length, 15_000);
});
