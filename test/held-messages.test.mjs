// Messages read before pauseRecv() took effect wait in JS; an ending read
// behind them (bad input, the peer's FIN, a WebSocket close frame or protocol
// error) must not close the connection before they are delivered and their
// replies sent. And the automatic pong to the latest ping is not dropped when
// the send queue is full. Over real sockets: the client stops reading so that
// the server's queue fills and onBufferFull pauses the connection.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import { Worker, PACKAGE_TOO_LARGE, PROTOCOL_ERROR } from 'netwright';
import { T, harness, until, sleep } from './helpers/harness.mjs';

const N = 64;                 // messages in the one read
const REPLY = 256 * 1024;     // each reply: together far more than loopback buffers take (about 4 MiB)
const MAX_SEND = 256 * 1024;

function frameOf(payload) {
  const b = Buffer.alloc(payload.length + 4);
  b.writeUInt32BE(payload.length + 4);
  payload.copy(b, 4);
  return b;
}

function clientFrame(opcode, payload, mask = true) {
  const head = [0x80 | opcode];
  let ext = Buffer.alloc(0);
  const m = mask ? 0x80 : 0;
  if (payload.length < 126) head.push(m | payload.length);
  else {
    head.push(m | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(payload.length);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, payload]);
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

/** The server's frames after the 101: [{ op, payload }], and whether the bytes ended on a frame boundary. */
function serverFrames(buf) {
  let off = buf.indexOf('\r\n\r\n') + 4;
  const frames = [];
  while (off + 2 <= buf.length) {
    let len = buf[off + 1] & 0x7f;
    let at = off + 2;
    if (len === 126) { len = buf.readUInt16BE(at); at += 2; } else if (len === 127) { len = Number(buf.readBigUInt64BE(at)); at += 8; }
    if (at + len > buf.length) break;
    frames.push({ op: buf[off] & 15, payload: buf.subarray(at, at + len) });
    off = at + len;
  }
  return { frames, complete: off === buf.length };
}

/** A server that replies REPLY bytes per message and pauses on a full queue; holds the first read until the client wrote. */
function replyingServer(w, ev) {
  w.maxSendBufferSize = MAX_SEND;
  w.maxPackageSize = 65536;
  w.onMessage = (c) => {
    ev.delivered++;
    if (c.send(Buffer.alloc(REPLY, 0x62)) === false) ev.refused++;
  };
  w.onBufferFull = (c) => { ev.full++; c.pauseRecv(); };
  w.onBufferDrain = (c) => c.resumeRecv();
  w.onError = (_c, code) => ev.errors.push(code);
  w.onClose = () => { ev.closed++; };
}

/** Connects, lets the server pause reading, writes everything in one go, reads only after a while; resolves with all it got. */
function talk(port, prefix, bytes, { end = false } = {}) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const s = net.connect(port, '127.0.0.1', async () => {
      s.pause();
      if (prefix) s.write(prefix);
      await sleep(150);
      s.write(bytes);
      if (end) s.end();
      await sleep(600);
      s.resume();
    });
    s.on('data', (d) => chunks.push(d));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => { s.destroy(); }, 15000).unref();
  });
}

const frameCases = [
  ['a frame:// length below 4', () => { const b = Buffer.alloc(4); b.writeUInt32BE(2); return b; }, PROTOCOL_ERROR, false],
  ['a frame:// package over maxPackageSize', () => { const b = Buffer.alloc(4); b.writeUInt32BE(65537); return b; }, PACKAGE_TOO_LARGE, false],
  ["the peer's FIN", () => Buffer.alloc(0), undefined, true],
];

for (const [name, bad, code, end] of frameCases) {
  test(`frame://: replies to messages held by pauseRecv() go out before ${name} closes the connection`, T, async (t) => {
    const h = harness(t);
    const ev = { delivered: 0, refused: 0, full: 0, errors: [], closed: 0 };
    const w = await h.serve('frame://127.0.0.1:0', (w) => {
      replyingServer(w, ev);
      // Nothing is read before the client wrote everything: one read holds it all.
      w.onConnect = (c) => { c.pauseRecv(); setTimeout(() => c.resumeRecv(), 100); };
    });
    const good = [];
    for (let i = 0; i < N; i++) good.push(frameOf(Buffer.alloc(100, 0x61)));
    const got = await talk(w.port, null, Buffer.concat([...good, bad()]), { end });
    await until(() => ev.closed === 1, 'onClose');
    assert.ok(ev.full >= 1, 'the queue filled (the scenario needs pauseRecv to hold messages)');
    assert.equal(ev.delivered, N);
    assert.equal(ev.refused, 0);
    assert.deepEqual(ev.errors, code === undefined ? [] : [code]);
    assert.equal(got.length, N * (REPLY + 4));
  });
}

const wsCases = [
  ['a close frame', () => clientFrame(8, Buffer.from([0x03, 0xe8])), 1000, []],
  ['a protocol error (unmasked frame)', () => clientFrame(2, Buffer.from('x'), false), 1002, [PROTOCOL_ERROR]],
];

for (const [name, tail, closeCode, errors] of wsCases) {
  test(`websocket://: echoes of messages held by pauseRecv() go out before ${name} ends the connection, then the close frame`, T, async (t) => {
    const h = harness(t);
    const ev = { delivered: 0, refused: 0, full: 0, errors: [], closed: 0 };
    const w = await h.serve('websocket://127.0.0.1:0', (w) => {
      replyingServer(w, ev);
      w.websocketType = 'binary';
      w.onWebSocketConnected = (c) => { c.pauseRecv(); setTimeout(() => c.resumeRecv(), 100); };
    });
    const key = crypto.randomBytes(16).toString('base64');
    const head = `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`;
    const good = [];
    for (let i = 0; i < N; i++) good.push(clientFrame(2, Buffer.alloc(100, 0x61)));
    const got = await talk(w.port, head, Buffer.concat([...good, tail()]));
    await until(() => ev.closed === 1, 'onClose');
    assert.ok(ev.full >= 1, 'the queue filled');
    assert.equal(ev.delivered, N);
    assert.equal(ev.refused, 0);
    assert.deepEqual(ev.errors, errors);
    const { frames, complete } = serverFrames(got);
    assert.ok(complete);
    assert.equal(frames.filter((f) => f.op === 2 && f.payload.length === REPLY).length, N);
    const last = frames.at(-1);
    assert.equal(last.op, 8, 'the close frame comes last');
    assert.equal(last.payload.readUInt16BE(0), closeCode);
  });
}

test('websocket://: the automatic pong to the latest ping is sent once a full queue drains (RFC 6455 5.5.3)', T, async (t) => {
  const h = harness(t);
  let conn;
  let filled = false;
  const w = await h.serve('websocket://127.0.0.1:0', (w) => {
    w.maxSendBufferSize = MAX_SEND;
    w.websocketType = 'binary';
    w.onError = () => {};
    w.onWebSocketConnected = (c) => {
      conn = c;
      // Fill the queue to its limit: the client does not read.
      const chunk = Buffer.alloc(64 * 1024, 0x63);
      for (let i = 0; i < 2000 && c.send(chunk) !== false; i++);
      filled = c.getSendBufferQueueSize() >= MAX_SEND;
    };
  });
  const key = crypto.randomBytes(16).toString('base64');
  const chunks = [];
  const s = net.connect(w.port, '127.0.0.1');
  s.on('data', (d) => chunks.push(d));
  s.on('error', () => {});
  s.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`);
  s.pause();
  await until(() => conn !== undefined, 'onWebSocketConnected');
  assert.ok(filled, 'the queue is at maxSendBufferSize');
  s.write(Buffer.concat([clientFrame(9, Buffer.from('older')), clientFrame(9, Buffer.from('latest'))]));
  await sleep(200);
  s.resume();
  let pongs = [];
  await until(() => {
    const { frames } = serverFrames(Buffer.concat(chunks));
    pongs = frames.filter((f) => f.op === 10).map((f) => f.payload.toString());
    return pongs.length > 0 && conn.getSendBufferQueueSize() === 0;
  }, 'a pong', 8000);
  await sleep(100);
  const { frames } = serverFrames(Buffer.concat(chunks));
  pongs = frames.filter((f) => f.op === 10).map((f) => f.payload.toString());
  s.destroy();
  assert.deepEqual(pongs, ['latest']);
  assert.equal(conn.status, 'established');
});

test('websocket://: the automatic pong never fills the queue behind the sends: a message after it is echoed, not refused', T, async (t) => {
  const h = harness(t);
  const ev = { refused: 0, full: 0, errors: [], queueAtEcho: -1, conn: undefined };
  const PAD_TO = MAX_SEND - 3; // the pong (2 + 4 bytes) would take the queue over the limit
  const w = await h.serve('websocket://127.0.0.1:0', (w) => {
    w.maxSendBufferSize = MAX_SEND;
    w.websocketType = 'binary';
    w.onError = (_c, code) => ev.errors.push(code);
    w.onBufferFull = () => { ev.full++; };
    w.onMessage = (c, data) => {
      if (String(data) === 'fill') {
        // The client does not read: fill the kernel's buffers until sends queue, then
        // pad the queue to PAD_TO bytes exactly.
        const chunk = Buffer.alloc(16 * 1024, 0x63);
        for (let i = 0; i < 2000 && c.send(chunk) === true; i++);
        const frame = PAD_TO - c.getSendBufferQueueSize();
        const header = frame - 2 < 126 ? 2 : frame - 4 < 65536 ? 4 : 10;
        if (c.send(Buffer.alloc(frame - header, 0x70)) === false) ev.refused++;
        return;
      }
      ev.conn = c;
      ev.queueAtEcho = c.getSendBufferQueueSize();
      if (c.send(data) === false) ev.refused++;
    };
  });
  const key = crypto.randomBytes(16).toString('base64');
  const chunks = [];
  const s = net.connect(w.port, '127.0.0.1');
  s.on('data', (d) => chunks.push(d));
  s.on('error', () => {});
  s.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`);
  await until(() => Buffer.concat(chunks).includes('\r\n\r\n'), 'the 101');
  s.pause();
  s.write(clientFrame(2, Buffer.from('fill')));
  await sleep(200);
  // The ping and a message in one read: the pong is due first, the echo right behind it.
  s.write(Buffer.concat([clientFrame(9, Buffer.from('ping')), clientFrame(2, Buffer.from('after the ping'))]));
  await sleep(200);
  s.resume();
  await until(() => serverFrames(Buffer.concat(chunks)).frames.some((f) => f.op === 10) && ev.conn.getSendBufferQueueSize() === 0, 'the pong', 8000);
  await sleep(100);
  s.destroy();
  assert.ok(ev.queueAtEcho >= PAD_TO, `the queue stayed full while the message arrived (${ev.queueAtEcho} bytes)`);
  assert.equal(ev.refused, 0);
  assert.deepEqual(ev.errors, []);
  assert.equal(ev.full, 1, 'the echo filled the queue: onBufferFull');
  const { frames, complete } = serverFrames(Buffer.concat(chunks));
  assert.ok(complete);
  assert.deepEqual(frames.filter((f) => f.op === 10).map((f) => f.payload.toString()), ['ping']);
  // The pong waits for room below the limit, so it follows the echo.
  assert.deepEqual(frames.slice(-2).map((f) => [f.op, f.payload.toString()]), [[2, 'after the ping'], [10, 'ping']]);
});

test('websocket://: a keep-alive ping that fills the queue tells the user with onBufferFull', T, async (t) => {
  const h = harness(t);
  const ev = { full: 0, conn: undefined, queued: -1 };
  const w = await h.serve('websocket://127.0.0.1:0', (w) => {
    w.maxSendBufferSize = MAX_SEND;
    w.websocketType = 'binary';
    w.pingInterval = 0.4;
    w.onError = () => {};
    w.onBufferFull = () => { ev.full++; };
    w.onWebSocketConnected = (c) => {
      ev.conn = c;
      // The client does not read: fill the kernel's buffers, then the queue to one byte
      // below the limit, so that the ping's two bytes reach it.
      const chunk = Buffer.alloc(16 * 1024, 0x63);
      for (let i = 0; i < 2000 && c.send(chunk) === true; i++);
      const frame = MAX_SEND - 1 - c.getSendBufferQueueSize();
      c.send(Buffer.alloc(frame - (frame - 4 < 65536 ? 4 : 10), 0x70));
      ev.queued = c.getSendBufferQueueSize();
    };
  });
  const key = crypto.randomBytes(16).toString('base64');
  const s = net.connect(w.port, '127.0.0.1');
  s.on('error', () => {});
  s.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`);
  s.pause();
  await until(() => ev.conn !== undefined, 'onWebSocketConnected');
  assert.equal(ev.queued, MAX_SEND - 1);
  assert.equal(ev.full, 0);
  // The ping goes after 0.4 s of silence; the queue may drain soon after (the kernel's buffers grow).
  await until(() => ev.full === 1, 'onBufferFull', 3000);
  s.destroy();
});
