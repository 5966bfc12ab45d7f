// Soak sessions for websocket://, over raw sockets so that every byte is the
// test's: a handshake by hand, masked client frames (fragmented at times, with
// pings between fragments), and a parser for the server's frames. Every data
// message must come back whole, in order, with its type; every ping's pong
// comes back with its payload; bad frames get their close code.
import crypto from 'node:crypto';
import { Conn, diffSummary } from './conn.mjs';
import { sendInStyle, writeBulk, endPlainly } from './session.mjs';
import { MAX_PACKAGE, crc } from './stream.mjs';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };

/**
 * A client frame; `mask: false` or `declared` (a length that lies) make bad ones. (Like
 * encodeFrame in test/helpers/ws-client.mjs, which this script cannot import: that module
 * loads node:test, whose report at exit would follow the soak's last line.)
 */
export function clientFrame(opcode, payload, { fin = true, rsv = 0, mask = true, declared, headerOnly = false } = {}) {
  const len = declared ?? payload.length;
  const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode)];
  const m = mask ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (len < 126) head.push(m | len);
  else if (len < 65536) {
    head.push(m | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(len);
  } else {
    head.push(m | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(len));
  }
  const key = mask ? crypto.randomBytes(4) : Buffer.alloc(0);
  const header = Buffer.concat([Buffer.from(head), ext, key]);
  if (headerOnly) return header;
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([header, body]);
}

function closePayload(code, reason = '') {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason)]);
}

/** Whether the bytes of a wrong echo come from another message of the same connection. */
function whence(got, expected) {
  const probe = got.subarray(0, Math.min(32, got.length));
  for (let k = 0; k < expected.length; k++) {
    const at = expected[k].payload.indexOf(probe);
    if (at >= 0) return `its first ${probe.length} bytes are message ${k}'s from byte ${at}`;
  }
  return `its first ${probe.length} bytes are in no message this connection sent`;
}

/** Reads the server's side of one connection: the 101, then frames. */
class ServerFrames {
  constructor(conn) {
    this.conn = conn;
    this.offset = 0;
    this.head = null;
    this.messages = []; // { opcode, payload }
    this.pongs = [];
    this.close = null; // { code, reason }
  }
  /** Parse what arrived; throws on anything a server must not send. */
  parse() {
    const buf = this.conn.bytes();
    if (!this.head) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.head = buf.subarray(0, end).toString('latin1');
      this.offset = end + 4;
    }
    while (buf.length - this.offset >= 2) {
      if (this.close) throw new Error('bytes after the close frame');
      const b0 = buf[this.offset];
      const b1 = buf[this.offset + 1];
      if (b1 & 0x80) throw new Error('a masked server frame');
      if (b0 & 0x70) throw new Error('a server frame with RSV bits');
      if (!(b0 & 0x80)) throw new Error('a fragmented server frame (the echo sends whole messages)');
      let len = b1 & 0x7f;
      let at = this.offset + 2;
      if (len === 126) {
        if (buf.length - at < 2) return;
        len = buf.readUInt16BE(at);
        at += 2;
      } else if (len === 127) {
        if (buf.length - at < 8) return;
        len = Number(buf.readBigUInt64BE(at));
        at += 8;
      }
      if (buf.length - at < len) return;
      const payload = buf.subarray(at, at + len);
      this.offset = at + len;
      const opcode = b0 & 0x0f;
      if (opcode === OP.PONG) this.pongs.push(payload);
      else if (opcode === OP.CLOSE) this.close = { code: len >= 2 ? payload.readUInt16BE(0) : null, reason: payload.subarray(2).toString() };
      else if (opcode === OP.TEXT || opcode === OP.BINARY) this.messages.push({ opcode, payload });
      else throw new Error(`unexpected server opcode ${opcode}`);
    }
  }
}

/** Bad frames and the close code each must get. */
const badFrames = [
  ['unmasked frame', 1002, () => clientFrame(OP.TEXT, Buffer.from('unmasked'), { mask: false })],
  ['reserved opcode 3', 1002, () => clientFrame(3, Buffer.from('x'))],
  ['RSV1 without an extension', 1002, () => clientFrame(OP.TEXT, Buffer.from('x'), { rsv: 4 })],
  ['continuation without a start', 1002, () => clientFrame(OP.CONT, Buffer.from('x'))],
  ['ping over 125 bytes', 1002, () => clientFrame(OP.PING, Buffer.alloc(126, 1))],
  ['fragmented ping', 1002, () => clientFrame(OP.PING, Buffer.from('x'), { fin: false })],
  ['close code 1005', 1002, () => clientFrame(OP.CLOSE, closePayload(1005))],
  ['message over maxPackageSize', 1009, () => clientFrame(OP.BINARY, Buffer.alloc(0), { declared: MAX_PACKAGE + 1, headerOnly: true })],
  ['invalid UTF-8 (bad continuation)', 1007, () => clientFrame(OP.TEXT, Buffer.from([0x61, 0xc3, 0x28]))],
  ['invalid UTF-8 (surrogate)', 1007, () => clientFrame(OP.TEXT, Buffer.from([0xed, 0xa0, 0x80]))],
  ['invalid UTF-8 in a close reason', 1007, () => clientFrame(OP.CLOSE, Buffer.concat([closePayload(1000), Buffer.from([0xff])]))],
];

/** Bad handshakes and the status each must get. */
const badHandshakes = [
  ['no Sec-WebSocket-Key', 400, () => 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n'],
  ['Sec-WebSocket-Version 12', 426, () => `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 12\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n\r\n`],
  ['head over maxHeadSize', 431, () => `GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(17000)}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n\r\n`],
];

function handshake(key, token) {
  return `GET /soak/${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`;
}

export async function websocketSession(ctx) {
  const { rng } = ctx;
  const conn = await Conn.open(ctx.ports.websocket);
  const frames = new ServerFrames(conn);
  const expected = []; // { opcode, payload }
  const pings = [];
  let seq = 0;
  let checked = 0;
  let pongsChecked = 0;
  // Pings right behind a paused reader too, unless SOAK_KNOWN=0.
  let pingsBetweenFragments = true;
  let answered = 0; // pings[0 .. answered) are answered or skipped
  const style = rng.weighted([[3, 'echo'], [3, 'pipeline'], [1, 'slow'], [1, 'badhandshake']]);
  const ending = rng.weighted([[3, 'closeframe'], [1, 'close'], [1, 'halfclose'], [1, 'reset'], [2, 'bad']]);
  const token = ctx.token('ws', style === 'badhandshake' ? 'badhandshake' : ending);
  ctx.note(`websocket ${style} ${style === 'badhandshake' ? '' : ending}`);

  /** The frames of one message (maybe fragmented, maybe with a ping between fragments). */
  const message = (size) => {
    const binary = rng.chance(0.4);
    const body = binary ? rng.bytes(size) : Buffer.from(rng.text(size));
    const tag = `${token}.${seq++}#${crc(body)}:`;
    const payload = Buffer.concat([Buffer.from(tag), body]);
    const opcode = binary ? OP.BINARY : OP.TEXT;
    expected.push({ opcode, payload });
    if (payload.length < 4 || !rng.chance(0.25)) return clientFrame(opcode, payload);
    const parts = rng.split(payload, 3); // may cut a UTF-8 sequence: the validator must carry it over
    const out = [];
    parts.forEach((part, i) => {
      out.push(clientFrame(i === 0 ? opcode : OP.CONT, part, { fin: i === parts.length - 1 }));
      if (i < parts.length - 1 && rng.chance(0.3) && pingsBetweenFragments) {
        const p = Buffer.from(`${tag}ping${i}`);
        pings.push(p);
        out.push(clientFrame(OP.PING, p));
      }
    });
    return Buffer.concat(out);
  };
  const verify = () => {
    frames.parse();
    for (; checked < frames.messages.length; checked++) {
      const got = frames.messages[checked];
      const exp = expected[checked];
      if (!exp) throw new Error(`an unexpected message ${JSON.stringify(got.payload.subarray(0, 40).toString('latin1'))}`);
      if (got.opcode !== exp.opcode || !got.payload.equals(exp.payload)) {
        throw new Error(`message ${checked} differs: got opcode ${got.opcode} ${JSON.stringify(got.payload.subarray(0, 40).toString('latin1'))} (${got.payload.length} B), expected opcode ${exp.opcode} ${JSON.stringify(exp.payload.subarray(0, 40).toString('latin1'))} (${exp.payload.length} B); ${diffSummary(got.payload, exp.payload)}; ${whence(got.payload, expected)}`);
      }
    }
    // RFC 6455 5.5.3: a pong may answer only the most recent of several pings, so older
    // pings may go unanswered (counted), but pongs come in order and the last ping is answered.
    for (; pongsChecked < frames.pongs.length; pongsChecked++) {
      const pong = frames.pongs[pongsChecked];
      let j = answered;
      while (j < pings.length && !pings[j].equals(pong)) j++;
      if (j === pings.length) throw new Error(`pong ${pongsChecked} answers no ping sent after the last one answered: ${JSON.stringify(pong.toString('latin1'))}; ${frames.pongs.length} pongs for ${pings.length} pings`);
      ctx.skippedPong(j - answered);
      answered = j + 1;
    }
    return checked === expected.length && answered === pings.length;
  };
  const state = () => `${checked} of ${expected.length} messages, pongs for ${answered} of ${pings.length} pings (${frames.pongs.length} pongs)${frames.close ? `, close ${frames.close.code}` : ''}`;
  const waitAll = (what = 'every echo') => conn.waitFor(verify, what).catch((err) => {
    throw new Error(`${err.message}: ${state()}`);
  });

  try {
    if (style === 'badhandshake') {
      const [what, status, head] = rng.pick(badHandshakes);
      ctx.note(`websocket bad handshake: ${what}`);
      await conn.writeSplit(Buffer.from(head()), rng);
      await conn.waitFor(() => conn.bytes().includes('\r\n\r\n'), `the answer to ${what}`);
      const line = conn.bytes().toString('latin1').split('\r\n')[0];
      if (!line.startsWith(`HTTP/1.1 ${status} `)) throw new Error(`${what}: got "${line}", expected ${status}`);
      await conn.waitClosed(`the server to close after ${what}`);
      ctx.count(1);
      return;
    }

    const key = crypto.randomBytes(16).toString('base64');
    const hs = Buffer.from(handshake(key, token));
    if (rng.chance(0.3)) {
      // The handshake and the first messages in one write: bytes after the head must not be lost.
      await conn.writeSplit(Buffer.concat([hs, message(rng.size(4096))]), rng);
    } else {
      await conn.writeSplit(hs, rng);
    }
    await conn.waitFor(() => (frames.parse(), frames.head), 'the 101');
    const accept = crypto.createHash('sha1').update(key + GUID).digest('base64');
    if (!frames.head.startsWith('HTTP/1.1 101 ') || !frames.head.includes(`Sec-WebSocket-Accept: ${accept}`)) {
      throw new Error(`bad handshake answer: ${JSON.stringify(frames.head)}`);
    }

    // A ping last in the slow style: RFC 6455 lets older pings go unanswered, never the most
    // recent one. Right behind the bulk (the server's queue full), and between fragments;
    // with SOAK_KNOWN=0 only after the echoes.
    const lastPing = Buffer.from(`${token}.last-ping`);
    const ping = () => {
      pings.push(lastPing);
      conn.write(clientFrame(OP.PING, lastPing));
    };
    await sendInStyle(ctx, conn, style, {
      make: (size) => message(size),
      waitAll,
      halfclose: ending === 'halfclose',
      slowBulk: () => {
        pingsBetweenFragments = ctx.endBehindPausedReader;
        writeBulk(ctx, conn, message);
        if (ctx.endBehindPausedReader) ping();
      },
    });
    // With SOAK_KNOWN=0 a slow session ends only after its echoes (no ending read behind
    // messages the server holds for pauseRecv; see driver.mjs).
    if (style === 'slow' && !ctx.endBehindPausedReader && ending !== 'reset' && ending !== 'halfclose') {
      await waitAll('the echoes of the bulk');
      ping();
    }

    if (ending === 'closeframe') {
      const reason = `bye ${token}`;
      conn.write(clientFrame(OP.CLOSE, closePayload(1000, reason)));
      await waitAll();
      await conn.waitFor(() => (verify(), frames.close), 'the close answer');
      if (frames.close.code !== 1000) throw new Error(`close answered with ${frames.close.code}, expected 1000`);
      await conn.waitClosed('the server to close after the close handshake');
    } else if (await endPlainly(ctx, conn, ending, { waitAll, verify })) {
      // closed, half-closed or reset
    } else {
      const [what, code, bytes] = rng.pick(badFrames);
      ctx.note(`websocket bad: ${what}`);
      conn.write(bytes());
      await waitAll(`the echoes before ${what}`);
      await conn.waitFor(() => (verify(), frames.close), `the close frame after ${what}`);
      if (frames.close.code !== code) throw new Error(`${what}: closed with ${frames.close.code}, expected ${code}`);
      await conn.waitClosed(`the server to close after ${what}`);
    }
    verify();
  } finally {
    ctx.count(checked + pongsChecked);
    if (!conn.isClosed) conn.destroy();
  }
}
