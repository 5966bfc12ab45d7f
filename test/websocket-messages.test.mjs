// websocket:// messages to and from user code: onMessage types, send() and
// connection.websocketType ('auto' default, 'text', 'binary', Workerman's "\x81"/"\x82"), worker.websocketType,
// ping/pong (automatic pong, onWebSocketPing, onWebSocketPong, connection.ping()).
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  T, wsHarness, echoServer, OP, until, sleep,
} from './helpers/ws-client.mjs';
import { SEND_FAIL } from 'netwright';

test('onMessage: text → string, binary → Buffer; Buffers stay valid after the callback', T, async (t) => {
  const h = wsHarness(t);
  const got = [];
  const w = await h.serve((w) => {
    w.onMessage = (c, d) => { got.push(d); };
  });
  const c = await h.ws(w.port);
  c.text('héllo');
  c.binary(Buffer.from([1, 2, 3]));
  c.text('');
  c.binary(Buffer.alloc(0));
  for (let i = 0; i < 50; i++) c.binary(Buffer.alloc(1000, i));
  await until(() => got.length === 54, '54 messages');
  assert.equal(got[0], 'héllo');
  assert.ok(Buffer.isBuffer(got[1]));
  assert.deepEqual([...got[1]], [1, 2, 3]);
  assert.equal(got[2], '');
  assert.ok(Buffer.isBuffer(got[3]));
  assert.equal(got[3].length, 0);
  for (let i = 0; i < 50; i++) {
    assert.ok(got[4 + i].equals(Buffer.alloc(1000, i)), `binary message ${i} intact after later reads`);
  }
});

test('websocketType: "auto" by default: strings as text frames, Buffers and Uint8Arrays as binary (a ws echo of bytes stays bytes)', T, async (t) => {
  const h = wsHarness(t);
  let conn;
  const w = await h.serve((w) => {
    w.onWebSocketConnected = (c) => { conn = c; };
  });
  assert.equal(w.websocketType, 'auto');
  const c = await h.ws(w.port);
  await until(() => conn, 'connected');
  assert.equal(conn.websocketType, 'auto');
  assert.equal(conn.send('str'), true);
  assert.equal(conn.send(Buffer.from([0xff, 0xfe])), true);
  conn.send(new Uint8Array([0x75, 0x38]));
  const m = await c.waitMessages(3);
  assert.deepEqual(m.map((x) => x.opcode), [OP.TEXT, OP.BINARY, OP.BINARY]);
  assert.deepEqual(m.map((x) => [...x.data]), [[0x73, 0x74, 0x72], [0xff, 0xfe], [0x75, 0x38]]);
});

test('websocketType "text" set explicitly: Buffers go as text frames', T, async (t) => {
  const h = wsHarness(t);
  let conn;
  const w = await h.serve((w) => {
    w.websocketType = 'text';
    w.onWebSocketConnected = (c) => { conn = c; };
  });
  const c = await h.ws(w.port);
  await until(() => conn, 'connected');
  assert.equal(conn.websocketType, 'text');
  conn.send('str');
  conn.send(Buffer.from('buf'));
  const m = await c.waitMessages(2);
  assert.deepEqual(m.map((x) => x.opcode), [OP.TEXT, OP.TEXT]);
  assert.deepEqual(m.map((x) => x.text), ['str', 'buf']);
});

test('websocketType takes Workerman\'s "\\x81" (text) and "\\x82" (binary); other values throw a TypeError naming websocketType', T, async (t) => {
  const h = wsHarness(t);
  let conn;
  const w = await h.serve((w) => {
    w.websocketType = '\x82';
    w.onWebSocketConnected = (c) => { conn = c; c.send('as binary'); };
  });
  assert.equal(w.websocketType, 'binary');
  const c = await h.ws(w.port);
  const [first] = await c.waitMessages(1);
  assert.equal(first.opcode, OP.BINARY);
  conn.websocketType = '\x81';
  assert.equal(conn.websocketType, 'text');
  conn.send(Buffer.from('as text'));
  const m = await c.waitMessages(2);
  assert.equal(m[1].opcode, OP.TEXT);
  for (const bad of ['blob', 'arraybuffer', '', 1, null, undefined]) {
    assert.throws(() => { w.websocketType = bad; }, (e) => e instanceof TypeError && /websocketType/.test(e.message), String(bad));
    assert.throws(() => { conn.websocketType = bad; }, (e) => e instanceof TypeError && /websocketType/.test(e.message), String(bad));
  }
  assert.equal(w.websocketType, 'binary', 'a refused value changes nothing');
  assert.equal(conn.send('still open'), true);
});

test('websocketType "binary" and "auto" per connection', T, async (t) => {
  const h = wsHarness(t);
  const conns = [];
  const w = await h.serve((w) => {
    w.onWebSocketConnected = (c) => { conns.push(c); };
  });
  const a = await h.ws(w.port);
  await until(() => conns.length === 1, 'first');
  const b = await h.ws(w.port);
  await until(() => conns.length === 2, 'second');
  const [ca, cb] = conns;
  ca.websocketType = 'binary';
  cb.websocketType = 'auto';
  assert.equal(ca.websocketType, 'binary');
  assert.equal(cb.websocketType, 'auto');
  ca.send('s');
  ca.send(Buffer.from('b'));
  cb.send('s');
  cb.send(Buffer.from('b'));
  cb.send(new Uint8Array([0xff, 0x00]));
  const ma = await a.waitMessages(2);
  const mb = await b.waitMessages(3);
  assert.deepEqual(ma.map((x) => x.opcode), [OP.BINARY, OP.BINARY]);
  assert.deepEqual(mb.map((x) => x.opcode), [OP.TEXT, OP.BINARY, OP.BINARY]);
  assert.deepEqual([...mb[2].data], [0xff, 0x00]);
  // switching back
  cb.websocketType = 'text';
  cb.send(Buffer.from('t'));
  const mb2 = await b.waitMessages(4);
  assert.equal(mb2[3].opcode, OP.TEXT);
});

test('worker.websocketType sets the default of its connections', T, async (t) => {
  const h = wsHarness(t);
  let conn;
  const w = await h.serve((w) => {
    w.websocketType = 'binary';
    w.onWebSocketConnected = (c) => { conn = c; c.send('hello'); };
  });
  assert.equal(w.websocketType, 'binary');
  const c = await h.ws(w.port);
  const m = await c.waitMessages(1);
  assert.equal(m[0].opcode, OP.BINARY);
  assert.equal(m[0].text, 'hello');
  assert.equal(conn.websocketType, 'binary');
});

test('send() from onMessage, many messages, in order; server frames never masked; header and payload in one frame', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h, (w) => {
    w.onMessage = (c, d) => { for (let i = 0; i < 3; i++) c.send(`${d}/${i}`); };
  });
  const c = await h.ws(w.port);
  for (let i = 0; i < 100; i++) c.text(`m${i}`);
  const m = await c.waitMessages(300);
  const want = [];
  for (let i = 0; i < 100; i++) for (let j = 0; j < 3; j++) want.push(`m${i}/${j}`);
  assert.deepEqual(m.map((x) => x.text), want);
  assert.equal(c.anyMasked, false);
  assert.ok(c.frames.every((f) => f.fin && f.rsv === 0));
});

test('send(data, raw=true) writes bytes as they are (no frame header)', T, async (t) => {
  const h = wsHarness(t);
  let conn;
  const w = await h.serve((w) => { w.onWebSocketConnected = (c) => { conn = c; }; });
  const c = await h.ws(w.port);
  await until(() => conn, 'connected');
  // a hand-made unmasked server text frame "raw"
  conn.send(Buffer.from([0x81, 0x03, 0x72, 0x61, 0x77]), true);
  const m = await c.waitMessages(1);
  assert.equal(m[0].text, 'raw');
});

test('ping → automatic pong with the same payload (empty, short, 125 bytes, binary)', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port);
  const payloads = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(125, 0x5a), Buffer.from([0, 0xff, 0x80, 0xc0])];
  for (const p of payloads) c.ping(p);
  await c.waitFrame((f) => f.opcode === OP.PONG, 'pongs', 5000, payloads.length - 1);
  const pongs = c.frames.filter((f) => f.opcode === OP.PONG);
  assert.equal(pongs.length, payloads.length);
  payloads.forEach((p, i) => assert.ok(pongs[i].payload.equals(p), `pong ${i} payload`));
  assert.ok(pongs.every((f) => !f.masked && f.fin));
});

test('onWebSocketPing set: no automatic pong; the callback gets the payload and may answer itself', T, async (t) => {
  const h = wsHarness(t);
  const pings = [];
  const { w } = await echoServer(h, (w) => {
    w.onWebSocketPing = (c, data) => { pings.push(Buffer.from(data).toString()); };
  });
  const c = await h.ws(w.port);
  c.ping('one');
  c.ping('two');
  c.text('after');
  await c.waitMessages(1);
  await sleep(200);
  assert.deepEqual(pings, ['one', 'two']);
  assert.equal(c.frames.filter((f) => f.opcode === OP.PONG).length, 0, 'no automatic pong');
});

test('onWebSocketPong gets the pong payload (solicited and unsolicited)', T, async (t) => {
  const h = wsHarness(t);
  const pongs = [];
  let conn;
  const { w } = await echoServer(h, (w) => {
    w.onWebSocketConnected = (c) => { conn = c; };
    w.onWebSocketPong = (c, data) => { pongs.push(Buffer.from(data).toString()); };
  });
  const c = await h.ws(w.port);
  await until(() => conn, 'connected');
  c.pong('unsolicited');
  conn.ping('are you there');
  const ping = await c.waitFrame((f) => f.opcode === OP.PING, 'ping from the server');
  c.pong(ping.payload);
  await until(() => pongs.length === 2, 'two pongs');
  assert.deepEqual(pongs, ['unsolicited', 'are you there']);
});

test('connection.ping(data?) sends a ping with that payload, or empty', T, async (t) => {
  const h = wsHarness(t);
  let conn;
  const w = await h.serve((w) => { w.onWebSocketConnected = (c) => { conn = c; }; });
  const c = await h.ws(w.port);
  await until(() => conn, 'connected');
  conn.ping('x');
  conn.ping();
  conn.ping(Buffer.from([1, 2]));
  await c.waitFrame((f) => f.opcode === OP.PING, 'pings', 5000, 2);
  const pings = c.frames.filter((f) => f.opcode === OP.PING);
  assert.deepEqual(pings.map((f) => [...f.payload]), [[0x78], [], [1, 2]]);
  assert.ok(pings.every((f) => !f.masked && f.fin));
});

test('backpressure as on TCP: send() true → null → false, onBufferFull once, SEND_FAIL, onBufferDrain after the client reads; frames intact', T, async (t) => {
  const h = wsHarness(t);
  const ev = { full: 0, drain: 0, errors: [] };
  let conn;
  const w = await h.serve((w) => {
    w.websocketType = 'binary';
    w.onWebSocketConnected = (c) => { c.maxSendBufferSize = 256 * 1024; conn = c; };
    w.onBufferFull = () => { ev.full++; };
    w.onBufferDrain = () => { ev.drain++; };
    w.onError = (c, code) => { ev.errors.push(code); };
  });
  const c = await h.ws(w.port);
  await until(() => conn, 'connected');
  c.socket.pause();
  const results = [];
  const sent = [];
  for (let i = 0; i < 5000 && !results.includes(false); i++) {
    const b = Buffer.alloc(16 * 1024, i & 0xff);
    b.writeUInt32BE(i, 0);
    const r = conn.send(b);
    results.push(r);
    if (r !== false) sent.push(b);
  }
  assert.equal(results[0], true);
  assert.ok(results.includes(null), 'some sends queued (null)');
  assert.equal(results.at(-1), false, 'a send was refused at the limit');
  await until(() => ev.full === 1, 'onBufferFull');
  await until(() => ev.errors.length === 1, 'onError for the refused send');
  assert.equal(ev.errors[0], SEND_FAIL);
  assert.equal(ev.drain, 0);
  c.socket.resume();
  await until(() => ev.drain === 1, 'onBufferDrain', 10_000);
  const m = await c.waitMessages(sent.length, 10_000);
  sent.forEach((b, i) => { if (!m[i].data.equals(b)) assert.fail(`message ${i} corrupted`); });
  assert.equal(m.length, sent.length, 'the refused message was not sent');
  assert.equal(c.closeFrame, null, 'the connection stays open');
});
