// A raw-socket WebSocket client for the conformance suites (RFC 6455): it does
// the opening handshake by hand, builds client frames bit by bit (masked or
// not, any RSV bits / opcode / FIN, 7-, 16- or 64-bit lengths, lengths that
// lie), and parses every server frame, recording whether it was masked and
// which length form it used. Nothing here trusts netwright: it is the peer.
//
// node --test runs every .mjs under test/ as a test file, this one included:
// importing it has no side effects beyond loading node modules.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'netwright';

export { sleep };

export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const OP = { CONT: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa };

/** Per-test time budgets for node:test (a hang fails instead of blocking). */
import { deadline, until } from './harness.mjs';

export { T, T_LONG } from './harness.mjs';
export { deadline, until };

export function acceptFor(key) {
  return crypto.createHash('sha1').update(key + GUID).digest('base64');
}
export function randomKey() {
  return crypto.randomBytes(16).toString('base64');
}

/** Open file descriptors of this process (the server runs in the test process). */
export function fdCount() {
  return fs.readdirSync('/proc/self/fd').length;
}

export function toBuf(x) {
  if (x === undefined || x === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(x)) return x;
  if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  if (Array.isArray(x)) return Buffer.from(x);
  return Buffer.from(String(x), 'utf8');
}

/**
 * Encode one client frame.
 *  opcode, payload (string/Buffer/byte array), fin (default true), rsv (0..7, the RSV1..3 bits),
 *  mask (default true), maskKey (4 bytes; random by default),
 *  lengthForm: 7 | 16 | 64 to force an encoding (default: minimal),
 *  declaredLength: the length written in the header (default payload.length): a header may lie,
 *  headerOnly: return only the header (announce a payload that is never sent).
 */
export function encodeFrame({
  opcode = OP.TEXT, payload, fin = true, rsv = 0, mask = true, maskKey,
  lengthForm, declaredLength, headerOnly = false,
} = {}) {
  const body = toBuf(payload);
  const len = declaredLength ?? body.length;
  const form = lengthForm ?? (len < 126 ? 7 : len < 65536 ? 16 : 64);
  const head = [((fin ? 1 : 0) << 7) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  let ext;
  if (form === 7) {
    head.push(maskBit | len);
    ext = Buffer.alloc(0);
  } else if (form === 16) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(len);
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(len));
  }
  const key = mask ? (maskKey ? toBuf(maskKey) : crypto.randomBytes(4)) : Buffer.alloc(0);
  const header = Buffer.concat([Buffer.from(head), ext, key]);
  if (headerOnly) return header;
  const out = Buffer.from(body);
  if (mask) for (let i = 0; i < out.length; i++) out[i] ^= key[i & 3];
  return Buffer.concat([header, out]);
}

/** A close frame payload: 2-byte code (if given) + reason bytes. */
export function closePayload(code, reason = '') {
  if (code === undefined) return Buffer.alloc(0);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, toBuf(reason)]);
}

/**
 * Parse server frames from `buf` starting at 0. Returns { frames, rest }.
 * Each frame: { fin, rsv, opcode, masked, lengthForm, length, payload }.
 */
export function parseServerFrames(buf) {
  const frames = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < 2) break;
    const b0 = buf[off];
    const b1 = buf[off + 1];
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;
    let p = off + 2;
    let lengthForm = 7;
    if (len === 126) {
      if (buf.length - p < 2) break;
      len = buf.readUInt16BE(p);
      p += 2;
      lengthForm = 16;
    } else if (len === 127) {
      if (buf.length - p < 8) break;
      const big = buf.readBigUInt64BE(p);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`server frame length ${big} is absurd`);
      len = Number(big);
      p += 8;
      lengthForm = 64;
    }
    let key = null;
    if (masked) {
      if (buf.length - p < 4) break;
      key = buf.subarray(p, p + 4);
      p += 4;
    }
    if (buf.length - p < len) break;
    let payload = Buffer.from(buf.subarray(p, p + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, lengthForm, length: len, payload });
    off = p + len;
  }
  return { frames, rest: buf.subarray(off) };
}

/** Split an HTTP response head off `buf`: { status, reason, headers (lower-case), head, rest } or null. */
export function parseHttpHead(buf) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1');
  const [statusLine, ...lines] = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
  const headers = {};
  const rawHeaders = [];
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`bad header line ${JSON.stringify(line)}`);
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    rawHeaders.push([name, value]);
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { status: Number(m[1]), reason: m[2] ?? '', statusLine, headers, rawHeaders, head, rest: buf.subarray(end + 4) };
}

/** Build an opening-handshake request. Unset fields get valid defaults; `null` omits a header. */
export function handshakeRequest({
  method = 'GET', path = '/', host = '127.0.0.1', key = randomKey(), version = '13',
  upgrade = 'websocket', connection = 'Upgrade', protocols, headers = {}, httpVersion = 'HTTP/1.1',
} = {}) {
  const lines = [`${method} ${path} ${httpVersion}`];
  if (host !== null) lines.push(`Host: ${host}`);
  if (upgrade !== null) lines.push(`Upgrade: ${upgrade}`);
  if (connection !== null) lines.push(`Connection: ${connection}`);
  if (key !== null) lines.push(`Sec-WebSocket-Key: ${key}`);
  if (version !== null) lines.push(`Sec-WebSocket-Version: ${version}`);
  if (protocols) lines.push(`Sec-WebSocket-Protocol: ${[].concat(protocols).join(', ')}`);
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return { text: lines.join('\r\n') + '\r\n\r\n', key };
}

/**
 * A raw TCP peer that speaks WebSocket as a client. Everything received is kept:
 * `response` (the parsed HTTP head once complete), `frames` (all server frames
 * in order), `ended` / `closed` for the TCP side.
 */
export class WsClient {
  constructor(socket) {
    this.socket = socket;
    this.raw = Buffer.alloc(0); // everything received, in order
    this.buf = Buffer.alloc(0); // unparsed tail
    this.response = null;
    this.frames = [];
    this.ended = false;
    this.closed = false;
    this.error = null;
    this.parseError = null;
    this.autoPong = false;
    this.waiters = new Set();
    this.key = null;
    this._messages = [];
    this._fragments = null; // { opcode, parts } of a message in progress
    this.bytesReceived = 0;
    socket.on('data', (d) => {
      this.bytesReceived += d.length;
      // `raw` keeps the HTTP part only (everything when the answer is not a 101)
      if (!this.response || this.response.status !== 101) this.raw = Buffer.concat([this.raw, d]);
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.parse();
      this.poke();
    });
    socket.on('end', () => { this.ended = true; this.poke(); });
    socket.on('error', (e) => { this.error = e; this.poke(); });
    socket.on('close', () => { this.closed = true; this.poke(); });
  }

  parse() {
    try {
      if (!this.response) {
        const r = parseHttpHead(this.buf);
        if (!r) return;
        this.response = r;
        this.buf = Buffer.from(r.rest);
        if (r.status !== 101) return; // the rest is a body, not frames
      }
      if (this.response.status !== 101) return;
      const { frames, rest } = parseServerFrames(this.buf);
      this.buf = rest;
      for (const f of frames) {
        this.frames.push(f);
        this.assemble(f);
        if (this.autoPong && f.opcode === OP.PING) this.send(OP.PONG, f.payload);
      }
    } catch (e) {
      this.parseError = e;
    }
  }

  /** Body bytes after a non-101 head, or bytes after the 101 head not yet parsed as frames. */
  get body() {
    if (!this.response) return Buffer.alloc(0);
    return this.response.status === 101 ? this.buf : this.raw.subarray(this.raw.indexOf('\r\n\r\n') + 4);
  }
  get localPort() { return this.socket.localPort; }

  poke() {
    for (const w of this.waiters) {
      let ok = false;
      try { ok = w.cond(this); } catch (e) { w.reject(e); this.waiters.delete(w); continue; }
      if (ok) { this.waiters.delete(w); w.resolve(ok); }
    }
  }

  /** Resolve with cond(client)'s truthy value; reject after `ms`. */
  wait(cond, what = 'client condition', ms = 5000) {
    const v = cond(this);
    if (v) return Promise.resolve(v);
    let w;
    const p = new Promise((resolve, reject) => { w = { cond, resolve, reject }; this.waiters.add(w); });
    return deadline(p, ms, what).finally(() => this.waiters.delete(w));
  }
  waitResponse(ms = 5000) {
    return this.wait((c) => {
      if (c.response) return c.response;
      if (c.ended || c.closed) {
        throw new Error(`the server closed without a response head (received ${JSON.stringify(c.raw.toString('latin1').slice(0, 120))})`);
      }
      return null;
    }, 'HTTP response head', ms);
  }
  /** TCP end or close from the server side. */
  waitEnd(ms = 5000) {
    return this.wait((c) => c.ended || c.closed, 'end of stream from the server', ms);
  }
  waitClosed(ms = 5000) {
    return this.wait((c) => c.closed, 'socket close', ms);
  }
  /** Wait for the n-th frame (0-based) matching `pred`; returns it. */
  waitFrame(pred = () => true, what = 'a frame', ms = 5000, index = 0) {
    return this.wait((c) => c.frames.filter(pred)[index], what, ms);
  }
  /** Reassemble data frames into messages as they arrive. */
  assemble(f) {
    if (f.opcode >= 0x8) return;
    if (f.opcode !== OP.CONT) this._fragments = { opcode: f.opcode, parts: [f.payload] };
    else if (this._fragments) this._fragments.parts.push(f.payload);
    else return;
    if (f.fin) {
      const data = this._fragments.parts.length === 1 ? this._fragments.parts[0] : Buffer.concat(this._fragments.parts);
      const opcode = this._fragments.opcode;
      this._messages.push({ opcode, data, get text() { return data.toString('utf8'); } });
      this._fragments = null;
    }
  }
  /** Data messages (text/binary), reassembled from fragments: [{ opcode, data: Buffer, text }]. */
  get messages() {
    return this._messages;
  }
  waitMessages(n, ms = 5000) {
    return this.wait((c) => c.messages.length >= n && c.messages, `${n} messages`, ms)
      .catch((e) => { throw new Error(`${e.message} (have ${this.messages.length})`); });
  }
  /** The first close frame: { code, reason, payload } (code undefined for an empty payload). */
  get closeFrame() {
    const f = this.frames.find((x) => x.opcode === OP.CLOSE);
    if (!f) return null;
    return {
      code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : undefined,
      reason: f.payload.subarray(2).toString('utf8'),
      payload: f.payload,
      frame: f,
    };
  }
  waitCloseFrame(ms = 5000) {
    return this.wait((c) => c.closeFrame, 'a close frame from the server', ms);
  }
  /**
   * Wait for the server's close frame and the TCP close that follows (we answer
   * the close if `answer`, as a polite peer does). Returns the close frame.
   */
  async expectClose(code, ms = 5000, { answer = true } = {}) {
    let cf;
    try {
      cf = await this.waitCloseFrame(ms);
    } catch (e) {
      throw new Error(`expected close ${code}: ${e.message}; got frames ${this.describeFrames()}, ended=${this.ended}`);
    }
    if (code !== undefined && cf.code !== code) {
      throw new Error(`expected close code ${code}, got ${cf.code} (reason ${JSON.stringify(cf.reason)})`);
    }
    if (answer && !this.closed) this.send(OP.CLOSE, closePayload(cf.code === undefined ? undefined : cf.code));
    await this.waitEnd(ms);
    return cf;
  }
  describeFrames() {
    return JSON.stringify(this.frames.map((f) => ({
      op: f.opcode, fin: f.fin, len: f.length,
      ...(f.opcode === OP.CLOSE && f.payload.length >= 2 ? { code: f.payload.readUInt16BE(0) } : {}),
    })));
  }
  /** No server frame was masked (RFC 6455 5.1: a server MUST NOT mask). */
  get anyMasked() {
    return this.frames.some((f) => f.masked);
  }

  write(data) {
    if (this.socket.destroyed) return false;
    return this.socket.write(toBuf(data));
  }
  /** Send one frame; `opts` are encodeFrame options. */
  send(opcode, payload, opts = {}) {
    return this.write(encodeFrame({ opcode, payload, ...opts }));
  }
  text(s, opts) { return this.send(OP.TEXT, s, opts); }
  binary(b, opts) { return this.send(OP.BINARY, b, opts); }
  ping(p, opts) { return this.send(OP.PING, p, opts); }
  pong(p, opts) { return this.send(OP.PONG, p, opts); }
  close(code, reason, opts) { return this.send(OP.CLOSE, closePayload(code, reason), opts); }

  /** Write `buf` in pieces of `step` bytes (default 1), one TCP segment each. */
  async trickle(buf, step = 1, gapMs = 1) {
    const b = toBuf(buf);
    for (let i = 0; i < b.length && !this.socket.destroyed; i += step) {
      this.socket.write(b.subarray(i, i + step));
      await sleep(gapMs);
    }
  }
  end() { this.socket.end(); }
  destroy() { this.socket.destroy(); }
  reset() { if (!this.socket.destroyed) this.socket.resetAndDestroy(); }
}

/** A bare TCP connection with the WsClient recorder (no handshake sent yet). */
export function rawConnect(port, ms = 5000) {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.setNoDelay(true);
  const client = new WsClient(socket);
  const p = new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('error', reject);
  });
  return deadline(p, ms, `connect 127.0.0.1:${port}`).catch((e) => { socket.destroy(); throw e; });
}

/**
 * Connect, send the opening handshake (handshakeRequest options), wait for the
 * response head. With `expect101` (default) asserts a correct 101.
 */
export async function wsConnect(port, opts = {}) {
  const { expect101 = true, ms = 5000, ...req } = opts;
  const c = await rawConnect(port, ms);
  const { text, key } = handshakeRequest(req);
  c.key = key;
  c.write(text);
  try {
    await c.waitResponse(ms);
  } catch (e) {
    c.destroy();
    throw e;
  }
  if (expect101) {
    const r = c.response;
    const problems = [];
    if (r.status !== 101) problems.push(`status ${r.status} (${r.statusLine})`);
    if ((r.headers.upgrade ?? '').toLowerCase() !== 'websocket') problems.push(`Upgrade: ${r.headers.upgrade}`);
    if (!/(^|,)\s*upgrade\s*(,|$)/i.test(r.headers.connection ?? '')) problems.push(`Connection: ${r.headers.connection}`);
    if (r.headers['sec-websocket-accept'] !== acceptFor(key)) {
      problems.push(`Sec-WebSocket-Accept ${r.headers['sec-websocket-accept']} != ${acceptFor(key)}`);
    }
    if (problems.length) {
      c.destroy();
      throw new Error(`bad handshake response: ${problems.join('; ')}\n${r.head}`);
    }
  }
  return c;
}

/** Send raw bytes as a request, wait for the response head (and, with waitEnd, the close). */
export async function rawRequest(port, bytes, { ms = 5000, waitEnd = true } = {}) {
  const c = await rawConnect(port, ms);
  c.write(bytes);
  try {
    await c.waitResponse(ms);
    if (waitEnd) await c.waitEnd(ms);
  } finally {
    if (!waitEnd) { /* caller owns it */ } else c.destroy();
  }
  return c;
}

export async function stopWorker(worker, ms = 8000) {
  try {
    await deadline(worker.stop(), ms, 'worker.stop()');
  } catch (e) {
    try { worker.unlisten(); } catch {}
    try { for (const c of worker.connections.values()) c.destroy(); } catch {}
    throw e;
  }
}

/**
 * Per-test resources: every raw client is destroyed and every worker stopped
 * (bounded) after the test, clients first.
 */
export function wsHarness(t) {
  const clients = [];
  const workers = [];
  const extra = [];
  t.after(async () => {
    for (const c of clients) { try { c.destroy(); } catch {} }
    for (const fn of extra) { try { await fn(); } catch {} }
    const errors = [];
    for (const w of workers) {
      try { await stopWorker(w); } catch (e) { errors.push(e); }
    }
    if (errors.length) throw errors[0];
  });
  return {
    /** new Worker(socketName), setup(worker), listen(); returns the worker. */
    async serve(setup = () => {}, socketName = 'websocket://127.0.0.1:0') {
      const worker = new Worker(socketName);
      workers.push(worker); // stopped after the test even if listen() throws half-way
      await setup(worker);
      worker.listen();
      return worker;
    },
    own(x) { if (x instanceof Worker) workers.push(x); else clients.push(x); return x; },
    onCleanup(fn) { extra.push(fn); },
    async ws(port, opts) { return this.own(await wsConnect(port, opts)); },
    async raw(port) { return this.own(await rawConnect(port)); },
    async request(port, bytes, opts) { return this.own(await rawRequest(port, bytes, opts)); },
  };
}

/** An echo worker: text stays text, binary stays binary ('auto'); records events. */
export async function echoServer(h, setup = () => {}) {
  const ev = { messages: [], errors: [], closes: [], wsCloses: [], conns: [] };
  const w = await h.serve(async (w) => {
    w.websocketType = 'auto';
    w.onWebSocketConnected = (c) => { ev.conns.push(c); };
    w.onMessage = (c, d) => { ev.messages.push(d); c.send(d); };
    w.onError = (c, code, message) => { ev.errors.push({ id: c.id, code, message }); };
    w.onClose = (c) => { ev.closes.push(c.id); };
    w.onWebSocketClose = (c, code, reason) => { ev.wsCloses.push({ id: c.id, code, reason }); };
    await setup(w, ev);
  });
  return { w, ev };
}

/** Worker.getStatistics() counter deltas: const d = statDelta(); ...; d().protocolErrors */
export function statDelta() {
  const before = Worker.getStatistics();
  return () => {
    const now = Worker.getStatistics();
    const out = {};
    for (const k of Object.keys(now)) out[k] = now[k] - (before[k] ?? 0);
    return out;
  };
}
