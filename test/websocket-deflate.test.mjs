// permessage-deflate (RFC 7692): netwright's server against the npm `ws`
// client and netwright's ws:// client against a `ws` server, with and without
// context takeover and at every window size 8..15 on both sides; fragmented
// compressed messages with control frames between them; the threshold; RSV1
// rules; a compression bomb (1009, bounded memory, the process keeps serving);
// corrupt data; bad negotiation both ways; broadcast compressed once per window.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import zlib from 'node:zlib';
import * as netwright from 'netwright';
import { T, T_LONG, wsHarness, echoServer, until, deadline, encodeFrame, OP, acceptFor, statDelta } from './helpers/ws-client.mjs';

const { Worker, AsyncTcpConnection, CONNECT_FAIL } = netwright;
let WebSocket;
let WebSocketServer;
try {
  ({ WebSocket, WebSocketServer } = await import('ws'));
} catch {
  WebSocket = null;
}
const requireAll = process.env.NETWRIGHT_REQUIRE_ALL === '1';
const opts = (o) => (WebSocket || requireAll ? o : { ...o, skip: 'the ws package is not installed (npm install --no-save ws)' });
const ASAN = process.env.NETWRIGHT_ASAN === '1';

/** Compressible JSON of about `bytes` bytes; `seed` makes each one different. */
function json(bytes, seed = 0) {
  const items = [];
  for (let i = 0; JSON.stringify(items).length < bytes; i++) items.push({ id: seed * 1000 + i, name: `user-${seed}-${i}`, online: i % 3 === 0, tags: ['alpha', 'beta'] });
  return JSON.stringify(items);
}

/** A message's payload as permessage-deflate sends it: raw deflate, sync-flushed, 00 00 FF FF cut. */
function deflate(data) {
  const out = zlib.deflateRawSync(Buffer.from(data), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

async function wsClient(h, url, options) {
  const ws = new WebSocket(url, options);
  const st = { ws, messages: [], pongs: [], close: null, errors: [], response: null };
  ws.on('upgrade', (res) => { st.response = res; });
  ws.on('message', (data, isBinary) => st.messages.push({ data, isBinary }));
  ws.on('pong', (d) => st.pongs.push(d));
  ws.on('close', (code) => { st.close = code; });
  ws.on('error', (e) => st.errors.push(e));
  h.onCleanup(() => ws.terminate());
  await deadline(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 5000, `ws open ${url}`);
  return st;
}

const deflateServer = (h, perMessageDeflate, setup) => echoServer(h, async (w, ev) => {
  w.perMessageDeflate = perMessageDeflate;
  if (setup) await setup(w, ev);
});

/** Sends three similar messages and expects them echoed, and that both ends compressed. */
async function echoThree(st, seed = 0) {
  const sent = [json(3000, seed), json(3000, seed + 1), json(3000, seed + 2)];
  const before = st.messages.length;
  for (const m of sent) st.ws.send(m);
  await until(() => st.messages.length === before + 3, 'three echoes');
  for (let i = 0; i < 3; i++) assert.equal(st.messages[before + i].data.toString(), sent[i]);
}

for (const takeover of [true, false]) {
  const label = takeover ? 'with context takeover' : 'without context takeover';
  test(`ws client -> netwright server, ${label}, the client asks for each window 8..15`, opts(T_LONG), async (t) => {
    const h = wsHarness(t);
    const { w, ev } = await deflateServer(h, true);
    for (let bits = 8; bits <= 15; bits++) {
      const delta = statDelta();
      const st = await wsClient(h, `ws://127.0.0.1:${w.port}/`, {
        perMessageDeflate: { serverMaxWindowBits: bits, clientMaxWindowBits: bits, serverNoContextTakeover: !takeover, clientNoContextTakeover: !takeover, threshold: 0 },
      });
      const params = st.ws._extensions['permessage-deflate'].params;
      assert.equal(params.server_max_window_bits, bits);
      assert.equal(params.server_no_context_takeover, takeover ? undefined : true);
      await echoThree(st, bits);
      assert.equal(delta().wsCompressed, 3, `bits ${bits}: the server compressed its three echoes`);
      st.ws.close();
      await until(() => st.close !== null, 'close');
    }
    assert.deepEqual(ev.errors, []);
  });

  test(`ws client -> netwright server, ${label}, the server sets each window 8..15`, opts(T_LONG), async (t) => {
    const h = wsHarness(t);
    const config = { serverMaxWindowBits: 15, clientMaxWindowBits: 15, serverNoContextTakeover: !takeover, clientNoContextTakeover: !takeover };
    const { w } = await deflateServer(h, config);
    for (let bits = 8; bits <= 15; bits++) {
      w.perMessageDeflate = { ...config, serverMaxWindowBits: bits, clientMaxWindowBits: bits };
      const st = await wsClient(h, `ws://127.0.0.1:${w.port}/`, { perMessageDeflate: { threshold: 0 } });
      const answer = st.response.headers['sec-websocket-extensions'];
      assert.match(answer, new RegExp(`server_max_window_bits=${bits}(;|$)`));
      assert.match(answer, new RegExp(`client_max_window_bits=${bits}(;|$)`));
      assert.equal(/server_no_context_takeover/.test(answer), !takeover);
      await echoThree(st, bits);
      st.ws.close();
    }
  });

  test(`netwright client -> ws server, ${label}, each window 8..15 asked by the client and set by the server`, opts(T_LONG), async (t) => {
    for (let bits = 8; bits <= 15; bits++) {
      for (const side of ['client', 'server']) {
        const wssOptions = side === 'server'
          ? { threshold: 0, serverMaxWindowBits: bits, clientMaxWindowBits: bits, serverNoContextTakeover: !takeover, clientNoContextTakeover: !takeover }
          : { threshold: 0 };
        const clientOptions = side === 'client'
          ? { serverMaxWindowBits: bits, clientMaxWindowBits: bits, serverNoContextTakeover: !takeover, clientNoContextTakeover: !takeover }
          : true;
        const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: wssOptions });
        await new Promise((resolve) => wss.once('listening', resolve));
        const agreed = [];
        wss.on('connection', (s) => {
          agreed.push(s._extensions['permessage-deflate']?.params);
          s.on('message', (m, binary) => s.send(m, { binary }));
        });
        try {
          const c = new AsyncTcpConnection(`ws://127.0.0.1:${wss.address().port}/`, { perMessageDeflate: clientOptions });
          const got = [];
          const errors = [];
          const sent = [json(3000, bits), json(3000, bits + 1), json(3000, bits + 2)];
          c.onWebSocketConnect = () => { for (const m of sent) c.send(m); };
          c.onMessage = (_, d) => got.push(d);
          c.onError = (_, code, message) => errors.push(message);
          const delta = statDelta();
          c.connect();
          await until(() => got.length === 3 || errors.length > 0, `${side} ${bits}: three echoes`);
          assert.deepEqual(errors, []);
          assert.deepEqual(got, sent);
          assert.equal(delta().wsCompressed, 3, 'the client compressed what it sent');
          assert.equal(agreed[0].server_max_window_bits, bits);
          assert.equal(agreed[0].client_max_window_bits, bits);
          assert.equal(Boolean(agreed[0].server_no_context_takeover), !takeover);
          c.close();
        } finally {
          for (const s of wss.clients) s.terminate();
          await new Promise((resolve) => wss.close(resolve));
        }
      }
    }
  });
}

test('fragmented compressed messages with pings between the fragments, both ways', opts(T), async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await deflateServer(h, { threshold: 0 });
  const st = await wsClient(h, `ws://127.0.0.1:${w.port}/`, { perMessageDeflate: { threshold: 0 } });
  const parts = [json(2000, 1), json(2000, 2), json(2000, 3)];
  st.ws.send(parts[0], { fin: false, compress: true });
  st.ws.ping('between');
  st.ws.send(parts[1], { fin: false, compress: true });
  st.ws.pong('unsolicited');
  st.ws.send(parts[2], { fin: true, compress: true });
  await until(() => st.messages.length === 1 && st.pongs.length === 1, 'the echo and the pong');
  assert.equal(ev.messages[0], parts.join(''));
  assert.equal(st.messages[0].data.toString(), parts.join(''));
  assert.equal(st.pongs[0].toString(), 'between');

  // netwright's client receives a ws server's fragmented compressed message.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
  await new Promise((resolve) => wss.once('listening', resolve));
  h.onCleanup(() => new Promise((resolve) => { for (const s of wss.clients) s.terminate(); wss.close(resolve); }));
  wss.on('connection', (s) => {
    s.send(parts[0], { fin: false, compress: true });
    s.ping('p');
    s.send(parts[1], { fin: false, compress: true });
    s.send(parts[2], { fin: true, compress: true });
  });
  const c = new AsyncTcpConnection(`ws://127.0.0.1:${wss.address().port}/`, { perMessageDeflate: true });
  const got = [];
  c.onMessage = (_, d) => got.push(d);
  c.connect();
  await until(() => got.length === 1, 'the reassembled message');
  assert.equal(got[0], parts.join(''));
  c.close();
});

test('raw frames: compressed single and fragmented messages, binary, context kept between messages', T, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await deflateServer(h, { threshold: 0, clientNoContextTakeover: false });
  const c = await h.ws(w.port, { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } });
  assert.equal(c.response.headers['sec-websocket-extensions'], 'permessage-deflate');
  // One deflate stream across messages: the second refers back into the first.
  const stream = zlib.createDeflateRaw();
  const flush = (data) => new Promise((resolve) => {
    const chunks = [];
    const onData = (d) => chunks.push(d);
    stream.on('data', onData);
    stream.write(Buffer.from(data));
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      const out = Buffer.concat(chunks);
      resolve(out.subarray(0, out.length - 4));
    });
  });
  const first = json(1500, 7);
  const one = await flush(first);
  const two = await flush(first);
  assert.ok(two.length < one.length / 4, 'the second message is mostly a reference back');
  c.write(encodeFrame({ opcode: OP.TEXT, payload: one, rsv: 4 }));
  c.write(encodeFrame({ opcode: OP.TEXT, payload: two, rsv: 4 }));
  const bin = deflate(Buffer.alloc(5000, 7));
  c.write(Buffer.concat([
    encodeFrame({ opcode: OP.BINARY, payload: bin.subarray(0, 3), rsv: 4, fin: false }),
    encodeFrame({ opcode: OP.PING, payload: 'x' }),
    encodeFrame({ opcode: OP.CONT, payload: bin.subarray(3) , fin: true }),
  ]));
  await until(() => ev.messages.length === 3, 'three messages');
  stream.close();
  assert.equal(ev.messages[0], first);
  assert.equal(ev.messages[1], first);
  assert.deepEqual(ev.messages[2], Buffer.alloc(5000, 7));
});

test('threshold: shorter messages go uncompressed (RSV1 clear), longer ones compressed (RSV1 set)', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await deflateServer(h, true); // threshold 1024, as ws
  const c = await h.ws(w.port, { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' } });
  const small = 'x'.repeat(1023);
  const large = 'x'.repeat(1024);
  const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff)).toString('base64');
  c.text(small);
  c.text(large);
  c.text(random);
  await c.waitFrame((f) => f.opcode === OP.TEXT, 'three frames', 5000, 2);
  const frames = c.frames.filter((f) => f.opcode === OP.TEXT);
  assert.equal(frames[0].rsv, 0);
  assert.equal(frames[0].payload.toString(), small);
  assert.equal(frames[1].rsv, 4);
  const inflate = (p) => zlib.inflateRawSync(Buffer.concat([p, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
  assert.equal(inflate(frames[1].payload), large);
  assert.ok(frames[1].payload.length < 64);
  // base64 of noise: compressing saves little, but what is sent decodes right either way.
  assert.equal(frames[2].rsv ? inflate(frames[2].payload) : frames[2].payload.toString(), random);
});

test('RSV1 stays a protocol error (1002) without negotiation, on continuations and on control frames', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await deflateServer(h, true);
  const cases = [
    ['no offer', {}, encodeFrame({ opcode: OP.TEXT, payload: deflate('hello'), rsv: 4 })],
    ['RSV1 on a continuation', { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
      Buffer.concat([encodeFrame({ opcode: OP.TEXT, payload: 'a', fin: false }), encodeFrame({ opcode: OP.CONT, payload: 'b', rsv: 4 })])],
    ['RSV1 on a ping', { 'Sec-WebSocket-Extensions': 'permessage-deflate' }, encodeFrame({ opcode: OP.PING, payload: '', rsv: 4 })],
    ['RSV2', { 'Sec-WebSocket-Extensions': 'permessage-deflate' }, encodeFrame({ opcode: OP.TEXT, payload: 'a', rsv: 2 })],
  ];
  for (const [what, headers, bytes] of cases) {
    const c = await h.ws(w.port, { headers });
    c.write(bytes);
    await c.expectClose(1002);
    assert.ok(true, what);
  }
});

test('a worker without perMessageDeflate answers no extension and keeps RSV1 a 1002', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const c = await h.ws(w.port, { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' } });
  assert.equal(c.response.headers['sec-websocket-extensions'], undefined);
  c.write(encodeFrame({ opcode: OP.TEXT, payload: deflate('hello'), rsv: 4 }));
  await c.expectClose(1002);
});

test('a compression bomb ends in 1009 without inflating past maxPackageSize; the process keeps serving', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await deflateServer(h, true, (w) => { w.maxPackageSize = 1 << 20; });
  // 256 sync-flushed blocks of 1 MiB of zeros: 256 MiB inflated from ~260 KB.
  const block = zlib.deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const bomb = Buffer.concat(Array.from({ length: 256 }, () => block));
  assert.ok(bomb.length < 1 << 20, 'the frame itself is under the limit');
  const delta = statDelta();
  const rssBefore = process.memoryUsage.rss();
  for (const fragmented of [false, true]) {
    const c = await h.ws(w.port, { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } });
    if (fragmented) {
      c.write(encodeFrame({ opcode: OP.BINARY, payload: bomb.subarray(0, 1000), rsv: 4, fin: false }));
      c.write(encodeFrame({ opcode: OP.CONT, payload: bomb.subarray(1000), fin: true }));
    } else {
      c.write(encodeFrame({ opcode: OP.BINARY, payload: bomb, rsv: 4 }));
    }
    await c.expectClose(1009);
  }
  const grown = process.memoryUsage.rss() - rssBefore;
  if (!ASAN) assert.ok(grown < 48 << 20, `RSS grew ${grown >> 20} MiB inflating 256 MiB bombs`);
  assert.equal(delta().packageTooLarge, 2);
  assert.equal(ev.messages.length, 0);
  // Still serving, compressed.
  const st = await wsClient(h, `ws://127.0.0.1:${w.port}/`, { perMessageDeflate: { threshold: 0 } });
  await echoThree(st);
});

test('corrupt compressed data and invalid UTF-8 inside a compressed text close with 1007', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await deflateServer(h, true);
  const invalidUtf8 = deflate(Buffer.from([0x68, 0xc3, 0x28, 0x69]));
  for (const payload of [Buffer.from([0xff, 0xff, 0xff, 0x00, 0x12]), invalidUtf8]) {
    const c = await h.ws(w.port, { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } });
    c.write(encodeFrame({ opcode: OP.TEXT, payload, rsv: 4 }));
    await c.expectClose(1007);
  }
  const st = await wsClient(h, `ws://127.0.0.1:${w.port}/`, { perMessageDeflate: true });
  await echoThree(st);
});

test('server negotiation: invalid offers are declined, the first valid one is taken', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w } = await deflateServer(h, true);
  const cases = [
    // [offer, expected answer (null: no extension)]
    ['permessage-deflate', 'permessage-deflate'],
    ['PerMessage-Deflate; Client_Max_Window_Bits', 'permessage-deflate'],
    ['permessage-deflate; client_max_window_bits=10', 'permessage-deflate'],
    ['permessage-deflate; server_max_window_bits=10', 'permessage-deflate; server_max_window_bits=10'],
    ['permessage-deflate; server_max_window_bits="9"', 'permessage-deflate; server_max_window_bits=9'],
    ['permessage-deflate; server_no_context_takeover; client_no_context_takeover',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover'],
    ['x-webkit-deflate-frame, permessage-deflate', 'permessage-deflate'],
    ['permessage-deflate; foo=1, permessage-deflate; server_max_window_bits=12', 'permessage-deflate; server_max_window_bits=12'],
    ['permessage-deflate; foo', null],
    ['permessage-deflate; server_max_window_bits', null],
    ['permessage-deflate; server_max_window_bits=16', null],
    ['permessage-deflate; server_max_window_bits=7', null],
    ['permessage-deflate; server_max_window_bits=08', null],
    ['permessage-deflate; server_max_window_bits=abc', null],
    ['permessage-deflate; client_max_window_bits=16', null],
    ['permessage-deflate; server_no_context_takeover=1', null],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', null],
    ['permessage-deflate; client_max_window_bits; client_max_window_bits=10', null],
    ['permessage-deflate;', null],
    ['permessage-deflate; =1', null],
    ['permessage-deflate; server_max_window_bits="1"0"', null],
    ['x-unknown', null],
  ];
  for (const [offer, answer] of cases) {
    const c = await h.ws(w.port, { headers: { 'Sec-WebSocket-Extensions': offer } });
    assert.equal(c.response.headers['sec-websocket-extensions'] ?? null, answer, offer);
    // What was agreed is what is used: RSV1 is accepted exactly when deflate is on.
    c.write(encodeFrame({ opcode: OP.TEXT, payload: deflate('hi there'), rsv: 4 }));
    if (answer) {
      await c.waitMessages(1);
      assert.equal(c.messages[0].data.toString(), 'hi there', offer);
    } else {
      await c.expectClose(1002);
    }
    c.destroy();
  }
  // The offer may come on two header lines.
  const raw = await h.raw(w.port);
  raw.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
    'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; foo\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=11\r\n\r\n');
  await raw.waitResponse();
  assert.equal(raw.response.headers['sec-websocket-accept'], acceptFor('dGhlIHNhbXBsZSBub25jZQ=='));
  assert.equal(raw.response.headers['sec-websocket-extensions'], 'permessage-deflate; server_max_window_bits=11');
});

test('server negotiation: clientMaxWindowBits needs an offer that allows it; serverMaxWindowBits takes the smaller', T, async (t) => {
  const h = wsHarness(t);
  const { w } = await deflateServer(h, { clientMaxWindowBits: 10, serverMaxWindowBits: 12 });
  const ask = async (offer) => (await h.ws(w.port, { headers: { 'Sec-WebSocket-Extensions': offer } })).response.headers['sec-websocket-extensions'] ?? null;
  assert.equal(await ask('permessage-deflate'), null);
  assert.equal(await ask('permessage-deflate, permessage-deflate; client_max_window_bits'),
    'permessage-deflate; server_max_window_bits=12; client_max_window_bits=10');
  assert.equal(await ask('permessage-deflate; client_max_window_bits=9; server_max_window_bits=10'),
    'permessage-deflate; server_max_window_bits=10; client_max_window_bits=9');
});

/** A fake server that answers the upgrade with `extensions` (null: no such header). */
async function fakeServer(t, extensions) {
  const seen = [];
  const server = net.createServer((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      seen.push(buf);
      const key = /sec-websocket-key: *(\S+)/i.exec(buf)[1];
      s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n` +
        (extensions === null ? '' : `Sec-WebSocket-Extensions: ${extensions}\r\n`) + '\r\n');
      buf = '';
    });
    s.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  server.unref();
  return { port: server.address().port, seen };
}

test('client negotiation: the offer sent, and answers that break it fail the connection', T_LONG, async (t) => {
  const outcome = async (answer, options = true) => {
    const { port, seen } = await fakeServer(t, answer);
    const c = new AsyncTcpConnection(`ws://127.0.0.1:${port}/`, { perMessageDeflate: options });
    const st = { errors: [], upgraded: false, closed: false };
    c.onWebSocketConnect = () => { st.upgraded = true; c.destroy(); st.closed = true; };
    c.onError = (_, code, message) => st.errors.push({ code, message });
    c.onClose = () => { st.closed = true; };
    c.connect();
    await until(() => st.closed, `closed after ${answer}`);
    return { ...st, request: seen[0] };
  };
  const ok = await outcome('permessage-deflate; server_max_window_bits=10; client_max_window_bits=9');
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.upgraded, true);
  assert.match(ok.request, /\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n/);
  const custom = await outcome(null, { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 11 });
  assert.equal(custom.upgraded, true, 'no extension in the answer: plain WebSocket');
  assert.match(custom.request, /\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11\r\n/);
  for (const [answer, options, why] of [
    ['x-foo', true, /not offered: x-foo/],
    ['permessage-deflate, permessage-deflate', true, /not offered/],
    ['permessage-deflate; foo=1', true, /invalid permessage-deflate parameters/],
    ['permessage-deflate; client_max_window_bits', true, /invalid permessage-deflate parameters/],
    ['permessage-deflate; server_max_window_bits=16', true, /invalid permessage-deflate parameters/],
    ['permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 }, /server_max_window_bits is larger/],
    ['permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 10 }, /client_max_window_bits is larger/],
    ['permessage-deflate;;', true, /invalid Sec-WebSocket-Extensions/],
    ['permessage-deflate', false, /not offered/],
  ]) {
    const r = await outcome(answer, options);
    assert.equal(r.upgraded, false, answer);
    assert.equal(r.errors.length, 1, answer);
    assert.equal(r.errors[0].code, CONNECT_FAIL);
    assert.match(r.errors[0].message, why);
  }
});

test('broadcast and publish compress once per window size; context-takeover recipients keep decoding', opts(T_LONG), async (t) => {
  const h = wsHarness(t);
  const { w } = await deflateServer(h, { threshold: 0 }, (w) => {
    w.onMessage = (c, d) => { if (d === 'sub') c.subscribe('news'); else c.send(d); };
  });
  const clients = [];
  for (let i = 0; i < 12; i++) {
    const options = i < 4 ? { perMessageDeflate: { threshold: 0 } }
      : i < 8 ? { perMessageDeflate: { threshold: 0, serverMaxWindowBits: 10 } }
        : { perMessageDeflate: false };
    clients.push(await wsClient(h, `ws://127.0.0.1:${w.port}/`, options));
  }
  for (const st of clients) st.ws.send('sub');
  await until(() => w.connections.size === 12, '12 connections');
  await new Promise((resolve) => setTimeout(resolve, 50));
  // Context first: every compressed client gets an echo that its stream remembers.
  for (const st of clients) await echoThree(st, 1);
  const delta = statDelta();
  const message = json(4000, 42);
  assert.equal(w.broadcast(message, null, { local: true }), 12);
  await until(() => clients.every((st) => st.messages.length === 4), 'the broadcast');
  for (const st of clients) assert.equal(st.messages[3].data.toString(), message);
  assert.equal(delta().wsCompressed, 2, 'one compression per window size (15 and 10)');
  const delta2 = statDelta();
  assert.equal(w.publish('news', message, { local: true }), 12);
  await until(() => clients.every((st) => st.messages.length === 5), 'the publish');
  assert.equal(delta2().wsCompressed, 2);
  // After the shared frames, each compressor starts over: the echoes still decode.
  for (const st of clients) await echoThree(st, 2);
  for (const st of clients) assert.deepEqual(st.errors, []);
});

test('perMessageDeflate options are checked where they are set', T, async () => {
  const w = new Worker('websocket://127.0.0.1:0');
  assert.equal(w.perMessageDeflate, false);
  w.perMessageDeflate = true;
  assert.deepEqual(w.perMessageDeflate, { threshold: 1024, serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: undefined, clientMaxWindowBits: undefined, memLevel: 8 });
  for (const bad of ['yes', 1, [], { threshold: -1 }, { serverMaxWindowBits: 16 }, { clientMaxWindowBits: 7 }, { memLevel: 0 }, { memLevel: 10 }, { serverNoContextTakeover: 1 }, { level: 1 }]) {
    assert.throws(() => { w.perMessageDeflate = bad; }, /perMessageDeflate/, JSON.stringify(bad));
    assert.throws(() => new Worker('websocket://127.0.0.1:0', { perMessageDeflate: bad }), /perMessageDeflate/);
    assert.throws(() => new AsyncTcpConnection('ws://127.0.0.1:1/', { perMessageDeflate: bad }), /perMessageDeflate/);
  }
  const v = new Worker('websocket://127.0.0.1:0', { perMessageDeflate: { serverMaxWindowBits: 9, memLevel: 4 } });
  assert.equal(v.perMessageDeflate.serverMaxWindowBits, 9);
  assert.equal(v.perMessageDeflate.memLevel, 4);
});

test('an http:// worker with WebSocket upgrades on its port agrees permessage-deflate the same way', opts(T), async (t) => {
  const { HttpRequest, Response } = netwright;
  const app = new Worker('http://127.0.0.1:0', { websocket: { path: '/ws' }, perMessageDeflate: true });
  app.onMessage = (c, data) => {
    if (data instanceof HttpRequest) return c.send(new Response(200, {}, 'http'));
    c.send(data);
  };
  await app.listen();
  t.after(() => app.stop());
  const h = wsHarness(t);
  const delta = statDelta();
  const st = await wsClient(h, `ws://127.0.0.1:${app.port}/ws`, { perMessageDeflate: { threshold: 0 } });
  assert.match(st.response.headers['sec-websocket-extensions'], /^permessage-deflate/);
  await echoThree(st);
  assert.equal(delta().wsCompressed, 3);
  assert.equal(await (await fetch(`http://127.0.0.1:${app.port}/`)).text(), 'http');
});
