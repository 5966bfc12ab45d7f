// websocket:// closing handshake (RFC 6455 5.5.1, 7.4): the peer's close is
// answered with the same code (1000 when empty) and onWebSocketClose runs first;
// invalid codes / 1-byte payloads → 1002, non-UTF-8 reasons → 1007;
// connection.close(data), closeWebSocket(code, reason), closeCode/closeReason,
// and a peer that never answers our close is dropped after 5 s.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker, PROTOCOL_ERROR } from 'netwright';
import {
  T, T_LONG, wsHarness, echoServer, OP, closePayload, encodeFrame, until, sleep, statDelta,
} from './helpers/ws-client.mjs';

const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
const INVALID_CODES = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

test('peer close with a valid code: answered with the same code, onWebSocketClose(conn, code, reason) before onClose, then TCP closed', T_LONG, async (t) => {
  const h = wsHarness(t);
  const order = [];
  const { w, ev } = await echoServer(h, (w, ev) => {
    w.onWebSocketClose = (c, code, reason) => {
      ev.wsCloses.push({ id: c.id, code, reason, closeCode: c.closeCode, closeReason: c.closeReason });
      order.push(`ws:${c.id}`);
    };
    w.onClose = (c) => { ev.closes.push({ id: c.id, closeCode: c.closeCode, closeReason: c.closeReason }); order.push(`close:${c.id}`); };
  });
  for (const code of VALID_CODES) {
    const c = await h.ws(w.port);
    c.text('x');
    await c.waitMessages(1);
    c.close(code, `bye ${code}`);
    const cf = await c.waitCloseFrame().catch((e) => { throw new Error(`code ${code}: ${e.message}`); });
    assert.equal(cf.code, code, `code ${code} echoed`);
    await c.waitEnd().catch((e) => { throw new Error(`code ${code}: TCP not closed: ${e.message}`); });
  }
  await until(() => ev.closes.length === VALID_CODES.length, 'onClose for each');
  assert.deepEqual(ev.wsCloses.map((x) => x.code), VALID_CODES);
  assert.deepEqual(ev.wsCloses.map((x) => x.reason), VALID_CODES.map((c) => `bye ${c}`));
  for (let i = 0; i < VALID_CODES.length; i++) {
    const id = ev.wsCloses[i].id;
    assert.ok(order.indexOf(`ws:${id}`) < order.indexOf(`close:${id}`), 'onWebSocketClose before onClose');
    assert.equal(ev.closes[i].closeCode, VALID_CODES[i], 'closeCode holds the received code');
    assert.equal(ev.closes[i].closeReason, `bye ${VALID_CODES[i]}`, 'closeReason holds the received reason');
  }
  assert.equal(ev.errors.length, 0, 'a clean close is not an error');
});

test('peer close with an empty payload is answered with 1000; a 123-byte reason is accepted', T, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const c = await h.ws(w.port);
  c.close();
  const cf = await c.waitCloseFrame();
  assert.equal(cf.code, 1000);
  await c.waitEnd();
  await until(() => ev.wsCloses.length === 1, 'onWebSocketClose');
  assert.ok([1000, 1005].includes(ev.wsCloses[0].code), `onWebSocketClose code for an empty close: ${ev.wsCloses[0].code}`);
  assert.equal(ev.wsCloses[0].reason, '');

  const c2 = await h.ws(w.port);
  const reason = 'é'.repeat(61) + 'x'; // 123 bytes
  c2.close(4321, reason);
  const cf2 = await c2.waitCloseFrame();
  assert.equal(cf2.code, 4321);
  await until(() => ev.wsCloses.length === 2, 'second onWebSocketClose');
  assert.equal(ev.wsCloses[1].reason, reason);
});

test('invalid close codes (0, 999, 1004-1006, 1015, 1016, 2999, 5000, ...) → 1002', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const d = statDelta();
  for (const code of INVALID_CODES) {
    const c = await h.ws(w.port);
    c.close(code, 'bad');
    await c.expectClose(1002).catch((e) => { throw new Error(`code ${code}: ${e.message}`); });
  }
  assert.equal(d().protocolErrors, INVALID_CODES.length, 'counted as protocol errors');
  await until(() => ev.errors.length === INVALID_CODES.length, 'onError per bad close', 2000).catch(() => {});
  assert.equal(ev.errors.length, INVALID_CODES.length);
  assert.ok(ev.errors.every((e) => e.code === PROTOCOL_ERROR));
});

test('a 1-byte close payload → 1002; a non-UTF-8 reason → 1007', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port);
  c.send(OP.CLOSE, Buffer.from([0x03]));
  await c.expectClose(1002);
  for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x61, 0xe2, 0x82]]) {
    const c2 = await h.ws(w.port);
    c2.send(OP.CLOSE, Buffer.concat([closePayload(1000), Buffer.from(bad)]));
    await c2.expectClose(1007).catch((e) => { throw new Error(`reason bytes ${bad}: ${e.message}`); });
  }
});

test('a close in the middle of a fragmented message is honoured', T, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const c = await h.ws(w.port);
  c.send(OP.TEXT, 'partial', { fin: false });
  c.close(1000, 'done');
  const cf = await c.waitCloseFrame();
  assert.equal(cf.code, 1000);
  await c.waitEnd();
  assert.equal(ev.messages.length, 0);
});

test('frames after the peer\'s close frame are ignored', T, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const c = await h.ws(w.port);
  c.write(Buffer.concat([encodeFrame({ opcode: OP.CLOSE, payload: closePayload(1000) }), encodeFrame({ opcode: OP.TEXT, payload: 'late' })]));
  const cf = await c.waitCloseFrame();
  assert.equal(cf.code, 1000);
  await c.waitEnd();
  await sleep(50);
  assert.equal(ev.messages.length, 0);
});

test('connection.close(data): data as a last message, then close 1000; closeCode set', T, async (t) => {
  const h = wsHarness(t);
  const closed = [];
  const w = await h.serve((w) => {
    w.onMessage = (c, d) => {
      if (d === 'bye') c.close('goodbye');
      else if (d === 'quiet') c.close();
    };
    w.onClose = (c) => closed.push({ code: c.closeCode, reason: c.closeReason });
  });
  const c = await h.ws(w.port);
  c.text('bye');
  const cf = await c.expectClose(1000);
  assert.equal(cf.code, 1000);
  const dataFrames = c.frames.filter((f) => f.opcode === OP.TEXT);
  assert.equal(dataFrames.length, 1);
  assert.equal(dataFrames[0].payload.toString(), 'goodbye');
  assert.ok(c.frames.indexOf(dataFrames[0]) < c.frames.indexOf(cf.frame), 'data before the close frame');
  const c2 = await h.ws(w.port);
  c2.text('quiet');
  await c2.expectClose(1000);
  assert.equal(c2.messages.length, 0);
  await until(() => closed.length === 2, 'onClose twice');
  assert.equal(closed[0].code, 1000);
});

test('connection.closeWebSocket(4000, "bye"): close frame with that code and reason; closeCode/closeReason hold what was sent', T, async (t) => {
  const h = wsHarness(t);
  let conn;
  const closed = [];
  const w = await h.serve((w) => {
    w.onWebSocketConnected = (c) => { conn = c; };
    w.onClose = (c) => closed.push({ code: c.closeCode, reason: c.closeReason });
  });
  const c = await h.ws(w.port);
  await until(() => conn, 'connected');
  conn.closeWebSocket(4000, 'bye');
  const cf = await c.waitCloseFrame();
  assert.equal(cf.code, 4000);
  assert.equal(cf.reason, 'bye');
  assert.equal(conn.closeCode, 4000);
  assert.equal(conn.closeReason, 'bye');
  c.close(4000);
  await c.waitEnd();
  await until(() => closed.length === 1, 'onClose');
  // without a reason
  conn = null;
  const c2 = await h.ws(w.port);
  await until(() => conn, 'connected again');
  conn.closeWebSocket(1001);
  const cf2 = await c2.waitCloseFrame();
  assert.equal(cf2.code, 1001);
  assert.equal(cf2.reason, '');
  assert.equal(cf2.payload.length, 2);
});

test('after our close, the peer\'s close reply ends the connection promptly', T, async (t) => {
  const h = wsHarness(t);
  let conn;
  const w = await h.serve((w) => { w.onWebSocketConnected = (c) => { conn = c; }; });
  const c = await h.ws(w.port);
  await until(() => conn, 'connected');
  const started = Date.now();
  conn.closeWebSocket(4001, 'x');
  await c.waitCloseFrame();
  c.close(4001, 'x');
  await c.waitEnd(2000);
  assert.ok(Date.now() - started < 2000);
  await until(() => w.connections.size === 0, 'connection gone', 2000);
});

test('a peer that never answers our close is disconnected within about 5 s', T_LONG, async (t) => {
  const h = wsHarness(t);
  let conn;
  const w = await h.serve((w) => { w.onWebSocketConnected = (c) => { conn = c; }; });
  const c = await h.ws(w.port);
  await until(() => conn, 'connected');
  const d = statDelta();
  const started = Date.now();
  conn.closeWebSocket(4002);
  await c.waitCloseFrame();
  await c.waitEnd(9000);
  const took = Date.now() - started;
  assert.ok(took >= 4000, `disconnected after ${took} ms: not before the 5 s grace`);
  assert.ok(took <= 8000, `disconnected after ${took} ms`);
  assert.ok('closeTimeouts' in Worker.getStatistics(), 'getStatistics() has closeTimeouts');
  assert.equal(d().closeTimeouts, 1);
});
