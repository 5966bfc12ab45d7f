// websocket:// UTF-8 validation of text messages (RFC 6455 8.1, RFC 3629):
// valid 1-4 byte sequences pass, overlongs / surrogates / > U+10FFFF / stray
// continuation bytes / truncation close with 1007, across fragments too, and a
// bad fragment fails at once (the close arrives before the message is finished).
import test from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_ERROR } from 'netwright';
import { T, T_LONG, wsHarness, echoServer, OP, until, statDelta } from './helpers/ws-client.mjs';

const B = (...bytes) => Buffer.from(bytes);

const VALID = [
  ['ASCII', Buffer.from('hello')],
  ['2-byte (U+00E9)', B(0xc3, 0xa9)],
  ['U+0080 (smallest 2-byte)', B(0xc2, 0x80)],
  ['U+07FF (largest 2-byte)', B(0xdf, 0xbf)],
  ['U+0800 (smallest 3-byte)', B(0xe0, 0xa0, 0x80)],
  ['U+D7FF (just below the surrogates)', B(0xed, 0x9f, 0xbf)],
  ['U+E000 (just above the surrogates)', B(0xee, 0x80, 0x80)],
  ['U+FFFD', B(0xef, 0xbf, 0xbd)],
  ['U+FFFF (noncharacter, still valid)', B(0xef, 0xbf, 0xbf)],
  ['U+10000 (smallest 4-byte)', B(0xf0, 0x90, 0x80, 0x80)],
  ['U+1F600 emoji', Buffer.from('😀')],
  ['U+10FFFF (largest)', B(0xf4, 0x8f, 0xbf, 0xbf)],
  ['κόσμε', Buffer.from('κόσμε')],
  ['NUL byte', B(0x41, 0x00, 0x42)],
  ['mixed, long', Buffer.from('aé€😀'.repeat(5000))],
];

const INVALID = [
  ['lone continuation byte 0x80', B(0x41, 0x80)],
  ['0xBF alone', B(0xbf)],
  ['0xFF', B(0x41, 0xff)],
  ['0xFE', B(0xfe)],
  ['overlong 2-byte NUL C0 80', B(0xc0, 0x80)],
  ['overlong C1 BF', B(0xc1, 0xbf)],
  ['overlong 3-byte E0 80 80', B(0xe0, 0x80, 0x80)],
  ['overlong 3-byte E0 9F BF', B(0xe0, 0x9f, 0xbf)],
  ['overlong 4-byte F0 80 80 80', B(0xf0, 0x80, 0x80, 0x80)],
  ['overlong 4-byte F0 8F BF BF', B(0xf0, 0x8f, 0xbf, 0xbf)],
  ['overlong "/" C0 AF', B(0xc0, 0xaf)],
  ['surrogate U+D800 ED A0 80', B(0xed, 0xa0, 0x80)],
  ['surrogate U+DBFF ED AF BF', B(0xed, 0xaf, 0xbf)],
  ['surrogate U+DC00 ED B0 80', B(0xed, 0xb0, 0x80)],
  ['surrogate U+DFFF ED BF BF', B(0xed, 0xbf, 0xbf)],
  ['surrogate pair as CESU-8', B(0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80)],
  ['U+110000 F4 90 80 80', B(0xf4, 0x90, 0x80, 0x80)],
  ['F5 lead byte', B(0xf5, 0x80, 0x80, 0x80)],
  ['F8 5-byte form', B(0xf8, 0x88, 0x80, 0x80, 0x80)],
  ['FC 6-byte form', B(0xfc, 0x84, 0x80, 0x80, 0x80, 0x80)],
  ['2-byte lead then ASCII', B(0xc3, 0x41)],
  ['3-byte lead, bad second continuation', B(0xe2, 0x82, 0x41)],
  ['4-byte lead, bad third continuation', B(0xf0, 0x9f, 0x98, 0x41)],
  ['truncated 2-byte at message end', B(0x61, 0xc3)],
  ['truncated 3-byte at message end', B(0x61, 0x62, 0xe2, 0x82)],
  ['truncated 4-byte at message end', B(0x61, 0xf0, 0x9f, 0x98)],
  ['invalid after 40 valid bytes (past a SIMD block)', Buffer.concat([Buffer.from('a'.repeat(40)), B(0xff), Buffer.from('b'.repeat(40))])],
  ['invalid deep in a large message', Buffer.concat([Buffer.from('é'.repeat(50000)), B(0xed, 0xa0, 0x80), Buffer.from('z'.repeat(100))])],
];

test('valid UTF-8 text messages are delivered as strings, including 4-byte sequences', T, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const c = await h.ws(w.port);
  for (const [, bytes] of VALID) c.text(bytes);
  const m = await c.waitMessages(VALID.length);
  VALID.forEach(([what, bytes], i) => {
    assert.ok(m[i].data.equals(bytes), `${what}: echoed bytes`);
    assert.equal(ev.messages[i], bytes.toString('utf8'), `${what}: onMessage string`);
  });
  assert.equal(c.closeFrame, null);
});

test('valid multi-byte sequences split across fragments at every byte', T, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const c = await h.ws(w.port);
  const s = 'x€😀é\u{10FFFF}y';
  const bytes = Buffer.from(s);
  for (let cut = 1; cut < bytes.length; cut++) {
    c.send(OP.TEXT, bytes.subarray(0, cut), { fin: false });
    c.send(OP.CONT, bytes.subarray(cut), { fin: true });
  }
  await c.waitMessages(bytes.length - 1);
  assert.ok(ev.messages.every((x) => x === s));
  assert.equal(c.closeFrame, null);
});

test('invalid UTF-8 in a text message → close 1007 (overlongs, surrogates, > U+10FFFF, truncation, ...)', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const d = statDelta();
  for (const [what, bytes] of INVALID) {
    const c = await h.ws(w.port);
    c.text(bytes);
    await c.expectClose(1007).catch((e) => { throw new Error(`${what}: ${e.message}`); });
    assert.equal(c.messages.length, 0, `${what}: not delivered`);
  }
  assert.equal(ev.messages.length, 0, 'no invalid text reached onMessage');
  await until(() => ev.errors.length >= INVALID.length, 'onError per connection', 2000).catch(() => {});
  assert.equal(ev.errors.length, INVALID.length);
  assert.ok(ev.errors.every((e) => e.code === PROTOCOL_ERROR), `onError codes ${JSON.stringify(ev.errors.map((e) => e.code))}`);
  assert.equal(d().protocolErrors, INVALID.length, 'each counted in protocolErrors');
});

test('the same bytes in a binary message are fine', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port);
  for (const [, bytes] of INVALID) c.binary(bytes);
  const m = await c.waitMessages(INVALID.length);
  INVALID.forEach(([what, bytes], i) => assert.ok(m[i].data.equals(bytes), what));
});

test('invalid UTF-8 across fragments → 1007', T, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  const cases = [
    ['lead byte ends fragment 1, ASCII starts fragment 2', [B(0x61, 0xe2), B(0x41)]],
    ['E0 ends fragment 1, overlong continuation in fragment 2', [B(0xe0), B(0x80, 0x80)]],
    ['ED ends fragment 1, surrogate continuation in fragment 2', [B(0xed), B(0xa0, 0x80)]],
    ['F4 ends fragment 1, > U+10FFFF continuation in fragment 2', [B(0xf4), B(0x90, 0x80, 0x80)]],
    ['truncated 4-byte sequence in the final, empty-ended message', [B(0x61, 0xf0, 0x9f), B()]],
    ['truncated over three fragments', [B(0xf0), B(0x9f), B(0x98)]],
  ];
  for (const [what, parts] of cases) {
    const c = await h.ws(w.port);
    parts.forEach((p, i) => c.send(i === 0 ? OP.TEXT : OP.CONT, p, { fin: i === parts.length - 1 }));
    await c.expectClose(1007).catch((e) => { throw new Error(`${what}: ${e.message}`); });
  }
  assert.equal(ev.messages.length, 0);
});

test('fail fast: an invalid first fragment gets 1007 without the rest of the message being sent', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const firsts = [
    ['0xFF in the first fragment', B(0x61, 0xff, 0x62)],
    ['overlong C0 AF in the first fragment', B(0xc0, 0xaf)],
    ['surrogate in the first fragment', B(0x61, 0xed, 0xa0, 0x80)],
    ['U+110000 in the first fragment', B(0xf4, 0x90, 0x80, 0x80)],
    ['lead byte followed by ASCII in the first fragment', B(0xe2, 0x41)],
  ];
  for (const [what, first] of firsts) {
    const c = await h.ws(w.port);
    c.send(OP.TEXT, first, { fin: false });
    // the message is never finished: the close must come anyway
    await c.expectClose(1007).catch((e) => { throw new Error(`${what}: ${e.message}`); });
  }
  // invalid in a middle continuation
  const c = await h.ws(w.port);
  c.send(OP.TEXT, 'valid start ', { fin: false });
  c.send(OP.CONT, B(0x61, 0xc0, 0x80), { fin: false });
  await c.expectClose(1007);
  // a lead byte at the end of a non-final fragment is not an error yet
  const ok = await h.ws(w.port);
  ok.send(OP.TEXT, B(0x61, 0xf0, 0x9f), { fin: false });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(ok.closeFrame, null, 'an incomplete sequence at a fragment end is not invalid');
  ok.send(OP.CONT, B(0x98, 0x80), { fin: true });
  const m = await ok.waitMessages(1);
  assert.equal(m[0].text, 'a😀');
});
