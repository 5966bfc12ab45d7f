// Shared helpers for the black-box suites: bounded waits, a recording TCP
// client over node:net, frame encoding, and a per-test harness that closes
// every client and stops every worker it created.
//
// node --test runs every .mjs under test/ as a test file, this one included:
// importing it has no side effects beyond loading netwright.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after } from 'node:test';
import { Worker } from 'netwright';

export { sleep };

/** Per-test time budget for node:test (a hang fails instead of blocking). */
export const T = { timeout: 20_000 };
export const T_LONG = { timeout: 60_000 };

/** Reject with a clear message when `promise` does not settle in `ms`. */
export function deadline(promise, ms, what) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([Promise.resolve(promise), expired]).finally(() => clearTimeout(timer));
}

/** Poll `cond` until it returns a truthy value (returned) or `timeout` ms pass. */
export async function until(cond, what = 'condition', timeout = 5000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** A frame:// package: 4-byte big-endian total length (header included), then the payload. */
export function frame(payload) {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length + 4, 0);
  return Buffer.concat([head, body]);
}

/** Split a byte stream of frames into payloads; `rest` is an unfinished tail. */
export function parseFrames(buf) {
  const payloads = [];
  let off = 0;
  while (buf.length - off >= 4) {
    const len = buf.readUInt32BE(off);
    if (len < 4) throw new Error(`bad frame length ${len} at ${off}`);
    if (buf.length - off < len) break;
    payloads.push(buf.subarray(off + 4, off + len));
    off += len;
  }
  return { payloads, rest: buf.subarray(off) };
}

/** A node:net client that records everything it receives. */
export class Client {
  constructor(socket) {
    this.socket = socket;
    this.chunks = [];
    this.length = 0;
    this.ended = false;
    this.closed = false;
    this.error = null;
    this.waiters = new Set();
    socket.on('data', (d) => {
      this.chunks.push(d);
      this.length += d.length;
      this.poke();
    });
    socket.on('end', () => { this.ended = true; this.poke(); });
    socket.on('error', (e) => { this.error = e; this.poke(); });
    socket.on('close', () => { this.closed = true; this.poke(); });
  }

  get data() {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
  get text() { return this.data.toString('utf8'); }
  /** Complete \n-terminated lines received so far, without the \n. */
  get lines() {
    const parts = this.text.split('\n');
    parts.pop();
    return parts;
  }
  get localPort() { return this.socket.localPort; }

  poke() {
    for (const w of this.waiters) {
      let ok = false;
      try { ok = w.cond(this); } catch (e) { w.reject(e); this.waiters.delete(w); continue; }
      if (ok) { this.waiters.delete(w); w.resolve(this); }
    }
  }

  /** Resolve when cond(client) holds; reject after `ms`. */
  wait(cond, what = 'client condition', ms = 5000) {
    if (cond(this)) return Promise.resolve(this);
    let w;
    const p = new Promise((resolve, reject) => { w = { cond, resolve, reject }; this.waiters.add(w); });
    return deadline(p, ms, what).finally(() => this.waiters.delete(w));
  }
  waitBytes(n, ms = 5000) {
    return this.wait((c) => c.length >= n, `${n} bytes (have ${this.length})`, ms);
  }
  waitText(s, ms = 5000) {
    return this.wait((c) => c.text.includes(s), `text ${JSON.stringify(s).slice(0, 80)}`, ms);
  }
  waitLines(n, ms = 5000) {
    return this.wait((c) => c.lines.length >= n, `${n} lines`, ms);
  }
  /** The peer closed its side (FIN) or the socket closed for any reason. */
  waitEnd(ms = 5000) {
    return this.wait((c) => c.ended || c.closed, 'end of stream from the server', ms);
  }
  waitClose(ms = 5000) {
    return this.wait((c) => c.closed, 'socket close', ms);
  }

  write(data) { return this.socket.write(data); }
  end(data) { this.socket.end(data); }
  pause() { this.socket.pause(); }
  resume() { this.socket.resume(); }
  destroy() { this.socket.destroy(); }
  /** Close with an RST instead of a FIN. */
  reset() { this.socket.resetAndDestroy(); }

  /** Write `buf` one byte per TCP segment. */
  async trickle(buf, gapMs = 1) {
    const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf);
    for (let i = 0; i < b.length; i++) {
      this.socket.write(b.subarray(i, i + 1));
      await sleep(gapMs);
    }
  }
}

/** Connect with node:net. `target` is a port (127.0.0.1), or net.connect options. */
export function connect(target, ms = 5000) {
  const opts = typeof target === 'number' ? { port: target, host: '127.0.0.1' } : target;
  const socket = net.connect(opts);
  socket.setNoDelay(true);
  const client = new Client(socket);
  const p = new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('error', reject);
  });
  return deadline(p, ms, `connect ${JSON.stringify(opts)}`).catch((e) => { socket.destroy(); throw e; });
}

/** Connects, writes `bytes`, and resolves with everything received once the server closed the connection. */
export async function sendUntilClosed(target, bytes, ms = 3000) {
  const c = await connect(target, ms);
  try {
    c.write(bytes);
    await c.waitClose(ms);
    return c.data;
  } finally {
    c.destroy();
  }
}

/** Expect a connection attempt to fail; resolves with the error code. */
export async function connectFails(target, ms = 5000) {
  try {
    const c = await connect(target, ms);
    c.destroy();
  } catch (e) {
    return e.code ?? e.message;
  }
  throw new Error('connection unexpectedly succeeded');
}

/** Stop a worker, bounded; on a hang, unlisten and destroy its connections, then throw. */
export async function stopWorker(worker, ms = 5000) {
  try {
    await deadline(worker.stop(), ms, 'worker.stop()');
  } catch (e) {
    try { worker.unlisten(); } catch {}
    try { for (const c of worker.connections.values()) c.destroy(); } catch {}
    throw e;
  }
}

// Every worker a harness started, until it is stopped. After the last test of
// a file, anything left is stopped, and if the process still has not exited
// 10 s later (something keeps the loop alive), say what and exit non-zero so
// a leak fails the file instead of hanging `npm test`.
const liveWorkers = new Set();
after(async () => {
  for (const w of liveWorkers) {
    try { await stopWorker(w); } catch {}
  }
  setTimeout(() => {
    process.stderr.write(`test file did not exit 10 s after its last test; still active: ${JSON.stringify(process.getActiveResourcesInfo())}\n`);
    process.exit(1);
  }, 10_000).unref();
});

/**
 * Per-test resources: h.serve() and h.connect() register what they open;
 * after the test, clients are destroyed first, then workers are stopped.
 */
export function harness(t) {
  const clients = [];
  const workers = [];
  t.after(async () => {
    for (const c of clients) c.destroy();
    const errors = [];
    for (const w of workers) {
      try { await stopWorker(w); } catch (e) { errors.push(e); }
      liveWorkers.delete(w);
    }
    if (errors.length) throw errors[0];
  });
  return {
    /** new Worker(name, options), setup(worker), listen(); returns the worker. */
    async serve(socketName, setup = () => {}, options = undefined) {
      const worker = options === undefined ? new Worker(socketName) : new Worker(socketName, options);
      await setup(worker);
      worker.listen();
      workers.push(worker);
      liveWorkers.add(worker);
      return worker;
    },
    /** Register a worker created elsewhere for cleanup. */
    own(worker) { workers.push(worker); liveWorkers.add(worker); return worker; },
    async connect(target, ms) {
      const c = await connect(target, ms);
      clients.push(c);
      return c;
    },
    ownClient(c) { clients.push(c); return c; },
  };
}
