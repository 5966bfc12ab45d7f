// websocket:// parser under mixed load: seeded random streams of fragmented
// messages, interleaved pings and arbitrary write boundaries, and many
// connections sending large messages at once in small interleaved pieces (the
// receive slab is shared; each connection keeps only its own unfinished tail).
import test from 'node:test';
import assert from 'node:assert/strict';
import { T_LONG, wsHarness, echoServer, encodeFrame, OP, sleep } from './helpers/ws-client.mjs';

/** mulberry32: a small seeded PRNG; r(n) is an integer in [0, n). */
function rng(seed) {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

const ALPHABET = ['a', 'b', 'Z', '0', ' ', 'é', 'ß', '€', '😀', '中', '\u{10FFFF}'];

const ALPHABET_BYTES = ALPHABET.map((c) => Buffer.byteLength(c));
function randomText(r, bytesAbout) {
  const parts = [];
  for (let n = 0; n < bytesAbout;) {
    const k = r(ALPHABET.length);
    parts.push(ALPHABET[k]);
    n += ALPHABET_BYTES[k];
  }
  return parts.join('');
}
function randomSize(r) {
  const k = r(10);
  if (k < 4) return r(126);
  if (k < 7) return 126 + r(2000);
  if (k < 9) return 60000 + r(10000);
  return 200000 + r(100000);
}

/** One message as frames: random fragmentation (empty fragments too) with pings in between. */
function messageFrames(r, opcode, payload, pings) {
  const frames = [];
  const nParts = r(4) === 0 ? 1 + r(6) : 1;
  let off = 0;
  for (let i = 0; i < nParts; i++) {
    const last = i === nParts - 1;
    const end = last ? payload.length : Math.min(payload.length, off + r(payload.length - off + 1));
    frames.push(encodeFrame({ opcode: i === 0 ? opcode : OP.CONT, payload: payload.subarray(off, end), fin: last }));
    off = end;
    if (!last && r(3) === 0) {
      const p = Buffer.from(`ping${pings.length}`);
      pings.push(p.toString());
      frames.push(encodeFrame({ opcode: OP.PING, payload: p }));
    }
  }
  return frames;
}

test('seeded random streams: sizes across all length forms, fragmentation, pings, arbitrary write boundaries', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w, ev } = await echoServer(h);
  for (const seed of [1, 2, 3]) {
    const r = rng(seed);
    const c = await h.ws(w.port);
    const expected = [];
    const pings = [];
    const frames = [];
    for (let i = 0; i < 120; i++) {
      const size = randomSize(r);
      if (r(2) === 0) {
        const s = randomText(r, size);
        expected.push({ opcode: OP.TEXT, data: Buffer.from(s) });
        frames.push(...messageFrames(r, OP.TEXT, Buffer.from(s), pings));
      } else {
        const b = Buffer.alloc(size);
        for (let j = 0; j < size; j += 997) b[j] = r(256);
        expected.push({ opcode: OP.BINARY, data: b });
        frames.push(...messageFrames(r, OP.BINARY, b, pings));
      }
    }
    const stream = Buffer.concat(frames);
    const fragmented = frames.filter((f) => (f[0] & 0x0f) === OP.CONT).length;
    t.diagnostic(`seed ${seed}: ${expected.length} messages, ${stream.length} bytes, ${fragmented} continuation frames, ${pings.length} pings`);
    // cut the stream at random points, small and large pieces
    for (let off = 0; off < stream.length;) {
      const n = r(4) === 0 ? 1 + r(16) : 1 + r(100000);
      c.write(stream.subarray(off, off + n));
      off += n;
      if (r(8) === 0) await sleep(1);
    }
    const got = await c.waitMessages(expected.length, 30_000);
    expected.forEach((e, i) => {
      assert.equal(got[i].opcode, e.opcode, `seed ${seed} message ${i}: opcode`);
      if (!got[i].data.equals(e.data)) assert.fail(`seed ${seed} message ${i}: ${got[i].data.length} bytes back, ${e.data.length} sent, content differs`);
    });
    const pongs = c.frames.filter((f) => f.opcode === OP.PONG).map((f) => f.payload.toString());
    assert.deepEqual(pongs, pings, `seed ${seed}: every ping answered in order`);
    assert.equal(c.closeFrame, null, `seed ${seed}: no close (${c.describeFrames().slice(0, 200)})`);
    c.destroy();
  }
  assert.ok(ev.errors.length === 0, JSON.stringify(ev.errors));
});

test('40 connections send large messages at once, interleaved in small pieces; each gets exactly its own back', T_LONG, async (t) => {
  const h = wsHarness(t);
  const { w } = await echoServer(h);
  const N = 40;
  const clients = [];
  for (let i = 0; i < N; i++) clients.push(await h.ws(w.port));
  const streams = clients.map((c, i) => {
    const msgs = [];
    const frames = [];
    for (let k = 0; k < 3; k++) {
      const b = Buffer.alloc(70000 + i * 101 + k, (i * 7 + k) & 0xff);
      b.writeUInt32BE(i, 0);
      b.writeUInt32BE(k, 4);
      msgs.push(b);
      frames.push(encodeFrame({ opcode: OP.BINARY, payload: b.subarray(0, 30000), fin: false }));
      frames.push(encodeFrame({ opcode: OP.CONT, payload: b.subarray(30000), fin: true }));
      const t8 = Buffer.from(`conn ${i} text ${k} ` + 'ü'.repeat(500 + i));
      msgs.push(t8);
      frames.push(encodeFrame({ opcode: OP.TEXT, payload: t8 }));
    }
    return { msgs, bytes: Buffer.concat(frames), off: 0 };
  });
  // round-robin 1-3 KiB pieces across all connections
  const r = rng(42);
  for (let active = N; active > 0;) {
    active = 0;
    for (let i = 0; i < N; i++) {
      const s = streams[i];
      if (s.off >= s.bytes.length) continue;
      const n = 1024 + r(2048);
      clients[i].write(s.bytes.subarray(s.off, s.off + n));
      s.off += n;
      if (s.off < s.bytes.length) active++;
    }
    await sleep(0);
  }
  for (let i = 0; i < N; i++) {
    const got = await clients[i].waitMessages(streams[i].msgs.length, 20_000);
    streams[i].msgs.forEach((m, k) => {
      if (!got[k].data.equals(m)) assert.fail(`connection ${i} message ${k}: content differs (${got[k].data.length} vs ${m.length} bytes)`);
    });
    assert.equal(got.length, streams[i].msgs.length);
  }
});
