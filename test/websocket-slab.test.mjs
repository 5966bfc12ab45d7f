// websocket:// receive slab: many connections whose bursts of masked frames (text
// and binary, often fragmented) are read in one batch, so that the shared 1 MiB
// receive slab fills and starts over within the batch. A fragmented message is
// assembled outside the slab and copied into it when its last frame arrives; that
// copy must never start the slab over under a read still being parsed, whose later
// messages are named in place and are delivered only at the end of the batch (the
// soak's "wrong bytes / invalid UTF-8 in onMessage" under pauseRecv). The server
// pauses in onBufferFull and resumes in onBufferDrain, as the soak's does. Every
// message the server is handed is checked (order and CRC), and so is every echo.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { T_LONG, wsHarness, encodeFrame, OP, parseServerFrames, acceptFor, until } from './helpers/ws-client.mjs';

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

const ALPHABET = ['a', 'q', 'Z', '0', ' ', 'é', 'ß', '€', '😀', '中'];
/** Exactly `size` bytes: random, or UTF-8 text with multi-byte characters. */
function body(r, size, binary) {
  if (binary) return crypto.randomBytes(size);
  const parts = [];
  for (let n = 0; n < size;) {
    let c = ALPHABET[r(ALPHABET.length)];
    if (Buffer.byteLength(c) > size - n) c = 'a';
    parts.push(c);
    n += Buffer.byteLength(c);
  }
  return Buffer.from(parts.join(''));
}
const crc = (b) => zlib.crc32(b).toString(16).padStart(8, '0');

/** Connection `id`'s messages, one buffer of frames each, and what each message should be. */
function makeStream(id, r, totalBytes) {
  const frames = [];
  const expected = [];
  for (let seq = 0, bytes = 0; bytes < totalBytes; seq++) {
    const binary = r(2) === 0;
    const fragmented = r(4) === 0;
    const b = body(r, 1 + r(6000), binary);
    const payload = Buffer.concat([Buffer.from(`c${id}.${seq}#${crc(b)}:`), b]);
    const opcode = binary ? OP.BINARY : OP.TEXT;
    expected.push({ opcode, payload });
    if (fragmented) {
      // Fragmented, cut anywhere (a UTF-8 sequence too), in one write.
      const parts = 2 + r(3);
      const pieces = [];
      let at = 0;
      for (let i = 0; i < parts; i++) {
        const end = i === parts - 1 ? payload.length : Math.min(payload.length, at + r(payload.length - at + 1));
        pieces.push(encodeFrame({ opcode: i === 0 ? opcode : OP.CONT, payload: payload.subarray(at, end), fin: i === parts - 1 }));
        at = end;
      }
      frames.push(Buffer.concat(pieces));
    } else {
      frames.push(encodeFrame({ opcode, payload }));
    }
    bytes += payload.length;
  }
  return { writes: frames, expected };
}

const TAG = /^c(\d+)\.(\d+)#([0-9a-f]{8}):/;
/** A problem with what arrived as message `index` of connection `id`, or null. */
function check(bytes, id, index) {
  const m = TAG.exec(bytes.subarray(0, 40).toString('latin1'));
  if (!m) return `message ${index}: no tag: ${JSON.stringify(bytes.subarray(0, 24).toString('latin1'))} (${bytes.length} B)`;
  if (Number(m[1]) !== id || Number(m[2]) !== index) return `message ${index}: got c${m[1]}.${m[2]}`;
  if (crc(bytes.subarray(m[0].length)) !== m[3]) return `message ${index} (${bytes.length} B): damaged (CRC)`;
  return null;
}

function connectRaw(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** A raw client past its 101; `frames` collects the server's frames. */
async function openClient(port) {
  const socket = await connectRaw(port);
  const key = crypto.randomBytes(16).toString('base64');
  const client = { socket, frames: [], head: null };
  let received = Buffer.alloc(0);
  const opened = new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      received = received.length ? Buffer.concat([received, chunk]) : chunk;
      if (!client.head) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        client.head = received.subarray(0, end).toString('latin1');
        received = received.subarray(end + 4);
        if (!client.head.startsWith('HTTP/1.1 101') || !client.head.includes(acceptFor(key))) reject(new Error(`bad 101: ${client.head}`));
        else resolve(client);
      }
      const { frames, rest } = parseServerFrames(received);
      received = Buffer.from(rest);
      client.frames.push(...frames);
    });
  });
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  return opened;
}

test('websocket: many connections, bursts read in one batch that fills the slab; paused on a full queue: every message intact', T_LONG, async (t) => {
  const h = wsHarness(t);
  const CONNECTIONS = 48;
  const ROUNDS = 30;
  const BURST = 56 * 1024; // fits the first receive window: one read takes a burst whole
  const problems = [];
  let failed;
  const failure = new Promise((resolve) => { failed = resolve; });
  const report = (problem) => {
    if (problems.length < 10) problems.push(problem);
    failed();
  };
  const arrived = new Map(); // server connection → { id, count }
  let total = 0;
  const w = await h.serve((w) => {
    w.websocketType = 'auto';
    w.maxSendBufferSize = 64 * 1024;
    w.onMessage = (c, data) => {
      total++;
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      let n = arrived.get(c);
      if (!n) arrived.set(c, (n = { id: Number(/^c(\d+)\./.exec(bytes.subarray(0, 12).toString('latin1'))?.[1] ?? -1), count: 0 }));
      const problem = check(bytes, n.id, n.count++);
      if (problem) report(`server, connection ${n.id}: ${problem}`);
      if (c.send(data) === false) report(`server, connection ${n.id}: a send refused`);
    };
    w.onBufferFull = (c) => c.pauseRecv();
    w.onBufferDrain = (c) => c.resumeRecv();
    w.onError = (c, code, message) => report(`server error ${code} ${message}`);
  });
  const clients = [];
  for (let id = 0; id < CONNECTIONS; id++) {
    const client = await openClient(w.port);
    h.own(client.socket);
    const { writes, expected } = makeStream(id, rng(0x5eed + id), ROUNDS * BURST);
    clients.push({ ...client, writes, expected, next: 0 });
  }
  let sent = 0;
  for (let round = 0; round < ROUNDS && !problems.length; round++) {
    // Every client writes its burst in the same tick: the server's next batch reads them all.
    for (const c of clients) {
      const burst = [];
      let bytes = 0;
      while (c.next < c.writes.length && bytes < BURST) {
        bytes += c.writes[c.next].length;
        burst.push(c.writes[c.next++]);
      }
      c.socket.write(Buffer.concat(burst));
    }
    sent = clients.reduce((n, c) => n + c.next, 0);
    await Promise.race([until(() => total >= sent, `round ${round}: ${sent} messages`, 20_000), failure]);
  }
  for (const c of problems.length ? [] : clients) {
    await Promise.race([until(() => c.frames.length >= c.next, 'the echoes', 20_000), failure]);
    c.frames.forEach((f, i) => {
      const exp = c.expected[i];
      if (!exp || f.opcode !== exp.opcode || !f.payload.equals(exp.payload)) report(`echo ${i}: ${check(f.payload, -1, i) ?? 'differs'}`);
    });
  }
  assert.deepEqual(problems, []);
});
