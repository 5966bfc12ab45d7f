// websocket:// framing (RFC 6455 section 5): payload lengths across the 7/16/64-bit
// boundaries both ways, byte-by-byte and coalesced delivery, fragmentation with
// control frames in between, and every framing error that must close with 1002;
// messages over maxPackageSize → 1009 decided from the header alone.
import test from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_ERROR, PACKAGE_TOO_LARGE } from 'netwright';
import {
  T, T_LONG, wsHarness, echoServer, encodeFrame, OP, until, sleep, statDelta,
} from './helpers/ws-client.mjs';

const SIZES = [0, 125, 126, 127, 65535, 65536, 1 << 20];
const expectedForm = (n) => (n < 126 ? 7 : n < 65536 ? 16 : 64);

function pattern(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}
function asciiText(n) {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  while (s.length < n) s += chars;
  return s.slice(0, n);
}

test('echo of text and binary messages of 0/125/126/127/65535/65536/1 MiB bytes; server uses minimal lengths, no mask', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const c = await h.ws(w.port);
  let n = 0;
  for (const size of SIZES) {
    const text = asciiText(size);
    c.text(text);
    const bin = pattern(size);
    c.binary(bin);
    n += 2;
    const msgs = await c.waitMessages(n, 10_000);
    const [mt, mb] = msgs.slice(-2);
    assert.equal(mt.opcode, OP.TEXT, `text ${size}: opcode`);
    assert.equal(mt.data.length, size, `text ${size}: length`);
    assert.ok(mt.text === text, `text ${size}: content`);
    assert.equal(mb.opcode, OP.BINARY, `binary ${size}: opcode`);
    assert.ok(mb.data.equals(bin), `binary ${size}: content`);
  }
  const dataFrames = c.frames.filter((f) => f.opcode !== OP.PING);
  assert.equal(dataFrames.length, SIZES.length * 2, 'one frame per echoed message');
  dataFrames.forEach((f, i) => {
    const size = SIZES[i >> 1];
    assert.equal(f.lengthForm, expectedForm(size), `server frame for ${size} bytes uses the ${expectedForm(size)}-bit length form`);
    assert.equal(f.masked, false, 'server frames are never masked');
    assert.equal(f.fin, true);
    assert.equal(f.rsv, 0);
  });
  // what onMessage got
  const got = ev.messages;
  assert.equal(got.length, SIZES.length * 2);
  SIZES.forEach((size, i) => {
    assert.equal(typeof got[2 * i], 'string', `text ${size} → string`);
    assert.equal(got[2 * i].length, size);
    assert.ok(Buffer.isBuffer(got[2 * i + 1]), `binary ${size} → Buffer`);
    assert.equal(got[2 * i + 1].length, size);
  });
});

test('client frames with non-minimal length encodings (16- and 64-bit for small payloads) are parsed', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port);
  c.text('sixteen', { lengthForm: 16 });
  c.binary(Buffer.from('sixty-four'), { lengthForm: 64 });
  c.text('', { lengthForm: 64 });
  const m = await c.waitMessages(3);
  assert.deepEqual(m.map((x) => x.text), ['sixteen', 'sixty-four', '']);
});

test('masking: keys with zero bytes, all-0xff keys and payload lengths not a multiple of 4 or 8 unmask correctly', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port);
  const keys = [[0, 0, 0, 0], [0xff, 0xff, 0xff, 0xff], [1, 2, 3, 4], [0x80, 0, 0x7f, 0xfe]];
  const sent = [];
  for (const key of keys) {
    for (const len of [1, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 255, 1023, 4097]) {
      const p = pattern(len + key[0]);
      sent.push(p);
      c.binary(p, { maskKey: key });
    }
  }
  const m = await c.waitMessages(sent.length);
  sent.forEach((p, i) => assert.ok(m[i].data.equals(p), `message ${i} (${p.length} bytes) intact`));
});

test('byte-by-byte delivery: a 16-bit-length frame and a 7-bit one, one TCP segment per byte', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port);
  const text = 'é'.repeat(100) + '😀'; // multi-byte characters split across segments
  const bytes = Buffer.concat([encodeFrame({ opcode: OP.TEXT, payload: text }), encodeFrame({ opcode: OP.BINARY, payload: pattern(10) })]);
  await c.trickle(bytes);
  const m = await c.waitMessages(2);
  assert.equal(m[0].text, text);
  assert.ok(m[1].data.equals(pattern(10)));
});

test('byte-by-byte delivery of a 64-bit-length frame header, then the payload in odd pieces', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port);
  const p = pattern(70000);
  const f = encodeFrame({ opcode: OP.BINARY, payload: p });
  await c.trickle(f.subarray(0, 14)); // 2 + 8 + 4 header bytes
  await c.trickle(f.subarray(14), 4099, 0);
  const m = await c.waitMessages(1);
  assert.ok(m[0].data.equals(p));
});

test('many frames in one write (and split at every position) come back in order', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port);
  const payloads = [];
  const frames = [];
  for (let i = 0; i < 500; i++) {
    const s = `m${i}:` + 'x'.repeat(i % 300);
    payloads.push(s);
    frames.push(encodeFrame({ opcode: OP.TEXT, payload: s }));
  }
  c.write(Buffer.concat(frames));
  let m = await c.waitMessages(500);
  assert.deepEqual(m.map((x) => x.text), payloads);
  // two frames written with the cut at every byte offset
  const pair = Buffer.concat([encodeFrame({ opcode: OP.TEXT, payload: 'first' }), encodeFrame({ opcode: OP.TEXT, payload: 'second!' })]);
  for (let cut = 1; cut < pair.length; cut++) {
    c.write(pair.subarray(0, cut));
    await sleep(2);
    c.write(pair.subarray(cut));
  }
  m = await c.waitMessages(500 + 2 * (pair.length - 1));
  for (let i = 500; i < m.length; i += 2) {
    assert.equal(m[i].text, 'first');
    assert.equal(m[i + 1].text, 'second!');
  }
});

test('fragmented text and binary messages are reassembled, with ping and pong between fragments', T, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const c = await h.ws(w.port);
  c.send(OP.TEXT, 'Hel', { fin: false });
  c.ping('between');
  c.send(OP.CONT, 'lo, ', { fin: false });
  c.pong('unsolicited');
  c.send(OP.CONT, '', { fin: false });
  c.send(OP.CONT, 'World', { fin: true });
  const pong = await c.waitFrame((f) => f.opcode === OP.PONG, 'pong');
  assert.equal(pong.payload.toString(), 'between');
  let m = await c.waitMessages(1);
  assert.equal(m[0].text, 'Hello, World');
  assert.equal(m[0].opcode, OP.TEXT);
  const pongIdx = c.frames.indexOf(pong);
  const msgIdx = c.frames.findIndex((f) => f.opcode === OP.TEXT);
  assert.ok(pongIdx < msgIdx, 'the pong is answered before the fragmented message completes');

  // binary in 100 fragments, some empty
  const whole = pattern(5000);
  const parts = [];
  for (let off = 0, i = 0; off < whole.length; i++) {
    const n = i % 7 === 0 ? 0 : 50 + (i % 13);
    parts.push(whole.subarray(off, off + n));
    off += n;
  }
  parts.forEach((p, i) => c.send(i === 0 ? OP.BINARY : OP.CONT, p, { fin: i === parts.length - 1 }));
  m = await c.waitMessages(2);
  assert.equal(m[1].opcode, OP.BINARY);
  assert.ok(m[1].data.equals(whole));
  assert.ok(Buffer.isBuffer(ev.messages[1]));
  // a fragmented multi-byte text split inside characters
  const s = 'Grüße 😀 κόσμε';
  const b = Buffer.from(s);
  c.send(OP.TEXT, b.subarray(0, 3), { fin: false });
  for (let i = 3; i < b.length - 1; i++) c.send(OP.CONT, b.subarray(i, i + 1), { fin: false });
  c.send(OP.CONT, b.subarray(b.length - 1), { fin: true });
  m = await c.waitMessages(3);
  assert.equal(m[2].text, s);
  assert.equal(ev.messages[2], s);
});

test('a fragmented message larger than one read and fragments delivered byte by byte', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port);
  const big = pattern(300_000);
  c.send(OP.BINARY, big.subarray(0, 100_000), { fin: false });
  c.send(OP.CONT, big.subarray(100_000, 250_000), { fin: false });
  c.send(OP.CONT, big.subarray(250_000), { fin: true });
  const m = await c.waitMessages(1, 10_000);
  assert.ok(m[0].data.equals(big));
  const bytes = Buffer.concat([
    encodeFrame({ opcode: OP.TEXT, payload: 'ab', fin: false }),
    encodeFrame({ opcode: OP.PING, payload: 'p' }),
    encodeFrame({ opcode: OP.CONT, payload: 'cd', fin: true }),
  ]);
  await c.trickle(bytes);
  const m2 = await c.waitMessages(2);
  assert.equal(m2[1].text, 'abcd');
});

/**
 * Send `bytes` on a fresh connection; expect a close frame `code` and the TCP close;
 * then check that another connection still echoes.
 */
async function expectProtocolClose(h, w, ev, bytes, code, what) {
  const c = await h.ws(w.port);
  c.write(bytes);
  try {
    await c.expectClose(code);
  } catch (e) {
    throw new Error(`${what}: ${e.message}`);
  }
  assert.equal(c.anyMasked, false, `${what}: server frames unmasked`);
  return c;
}

test('framing errors close with 1002: unmasked, RSV1/2/3, reserved opcodes, bad continuation, big or fragmented control frames', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const d = statDelta();
  const cases = [
    ['unmasked text frame', encodeFrame({ opcode: OP.TEXT, payload: 'hi', mask: false })],
    ['unmasked empty ping', encodeFrame({ opcode: OP.PING, payload: '', mask: false })],
    ['unmasked close', encodeFrame({ opcode: OP.CLOSE, payload: Buffer.from([3, 232]), mask: false })],
    ['RSV1', encodeFrame({ opcode: OP.TEXT, payload: 'hi', rsv: 4 })],
    ['RSV2', encodeFrame({ opcode: OP.TEXT, payload: 'hi', rsv: 2 })],
    ['RSV3', encodeFrame({ opcode: OP.BINARY, payload: 'hi', rsv: 1 })],
    ['RSV1 on a ping', encodeFrame({ opcode: OP.PING, payload: '', rsv: 4 })],
    ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((op) => [`reserved opcode 0x${op.toString(16)}`, encodeFrame({ opcode: op, payload: 'x' })]),
    ['continuation without a start', encodeFrame({ opcode: OP.CONT, payload: 'x', fin: true })],
    ['non-final continuation without a start', encodeFrame({ opcode: OP.CONT, payload: 'x', fin: false })],
    ['new text frame during a fragmented message', Buffer.concat([encodeFrame({ opcode: OP.TEXT, payload: 'a', fin: false }), encodeFrame({ opcode: OP.TEXT, payload: 'b' })])],
    ['new binary frame during a fragmented message', Buffer.concat([encodeFrame({ opcode: OP.BINARY, payload: 'a', fin: false }), encodeFrame({ opcode: OP.BINARY, payload: 'b', fin: false })])],
    ['ping of 126 bytes', encodeFrame({ opcode: OP.PING, payload: Buffer.alloc(126, 1) })],
    ['pong of 126 bytes', encodeFrame({ opcode: OP.PONG, payload: Buffer.alloc(126, 1) })],
    ['close of 126 bytes', encodeFrame({ opcode: OP.CLOSE, payload: Buffer.concat([Buffer.from([3, 232]), Buffer.alloc(124, 0x61)]) })],
    ['ping with a 16-bit length of 5 (control frames use the 7-bit length)', encodeFrame({ opcode: OP.PING, payload: 'abcde', lengthForm: 16 })],
    ['fragmented ping', encodeFrame({ opcode: OP.PING, payload: 'x', fin: false })],
    ['fragmented close', encodeFrame({ opcode: OP.CLOSE, payload: Buffer.from([3, 232]), fin: false })],
    ['64-bit length with the most significant bit set', encodeFrame({ opcode: OP.BINARY, headerOnly: true, declaredLength: 2n ** 63n + 5n })],
  ];
    const errorsBefore = ev.errors.length;
  for (const [what, bytes] of cases) {
    if (what.startsWith('64-bit')) {
      const c = await h.ws(w.port);
      c.write(bytes);
      const cf = await c.waitCloseFrame().catch((e) => { throw new Error(`${what}: ${e.message}`); });
      assert.ok([1002, 1009].includes(cf.code), `${what}: close ${cf.code}`);
      await c.waitEnd();
      continue;
    }
    const c = await h.ws(w.port);
    const seen = ev.messages.length;
    c.text(`before ${what}`);
    c.write(bytes);
    await c.expectClose(1002).catch((e) => { throw new Error(`${what}: ${e.message}`); });
    // the valid message ahead of the bad frame reaches onMessage, and its answer goes out before the close
    assert.deepEqual(ev.messages.slice(seen), [`before ${what}`], `${what}: the valid message before the error is delivered`);
    assert.equal(c.messages[0]?.text, `before ${what}`, `${what}: the answer to the message before the error is sent before the close`);
  }
  await until(() => ev.errors.length - errorsBefore >= cases.length, 'onError for each case', 2000).catch(() => {});
  const errs = ev.errors.slice(errorsBefore);
  const delta = d();
  assert.equal(delta.protocolErrors + delta.packageTooLarge, cases.length, `counted: ${JSON.stringify({ protocolErrors: delta.protocolErrors, packageTooLarge: delta.packageTooLarge })}`);
  assert.ok(delta.protocolErrors >= cases.length - 1);
  assert.equal(ev.errors.length - errorsBefore, cases.length, 'onError once per bad connection');
  assert.ok(errs.every((e) => e.code === PROTOCOL_ERROR || e.code === PACKAGE_TOO_LARGE), `onError codes: ${JSON.stringify(errs.map((e) => e.code))}`);
  const ok = await h.ws(w.port);
  ok.text('still serving');
  await ok.waitMessages(1);
});

test('a 1002 arrives as soon as the bad frame header arrives (no waiting for its payload)', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port);
  // unmasked header announcing 1000 bytes; only the header is sent
  c.write(encodeFrame({ opcode: OP.BINARY, mask: false, headerOnly: true, declaredLength: 1000 }));
  await c.expectClose(1002);
  const c2 = await h.ws(w.port);
  c2.write(encodeFrame({ opcode: 0x3, headerOnly: true, declaredLength: 70000 }));
  await c2.expectClose(1002);
});

test('message over maxPackageSize → 1009 decided from the header alone; counted; onError PACKAGE_TOO_LARGE', T, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h, (w) => {
    w.onWebSocketConnect = (c) => { c.maxPackageSize = 1000; };
  });
  const d = statDelta();
  // within the limit
  const ok = await h.ws(w.port);
  ok.binary(pattern(900));
  await ok.waitMessages(1);
  // a header announcing 2000 bytes, no payload sent
  const c = await h.ws(w.port);
  c.write(encodeFrame({ opcode: OP.BINARY, headerOnly: true, declaredLength: 2000 }));
  await c.expectClose(1009);
  // 64-bit length of 2^40
  const c2 = await h.ws(w.port);
  c2.write(encodeFrame({ opcode: OP.TEXT, headerOnly: true, declaredLength: 2 ** 40 }));
  await c2.expectClose(1009);
  // fragments that add up to more than the limit: the second header decides
  const c3 = await h.ws(w.port);
  c3.send(OP.BINARY, pattern(600), { fin: false });
  c3.write(encodeFrame({ opcode: OP.CONT, headerOnly: true, declaredLength: 600 }));
  await c3.expectClose(1009);
  await until(() => ev.errors.length >= 3, 'onError for the three');
  assert.deepEqual(ev.errors.map((e) => e.code), [PACKAGE_TOO_LARGE, PACKAGE_TOO_LARGE, PACKAGE_TOO_LARGE]);
  assert.equal(d().packageTooLarge, 3);
  assert.equal(ev.messages.length, 1, 'nothing of the oversized messages delivered');
  ok.text('still');
  await ok.waitMessages(2);
});

test('default maxPackageSize (TcpConnection.defaultMaxPackageSize, 10 MiB) bounds websocket messages', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port);
  c.write(encodeFrame({ opcode: OP.BINARY, headerOnly: true, declaredLength: 10 * 1024 * 1024 + 1 }));
  await c.expectClose(1009);
});
