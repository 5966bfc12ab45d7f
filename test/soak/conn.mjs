// A client connection for the soak: a node:net socket to 127.0.0.1 that
// records every byte it receives, with bounded waits, and a global cap on how
// many are open at once.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Where two equal-length buffers differ: the first and last differing byte and how many. */
export function diffSummary(got, exp) {
  if (got.length !== exp.length) return `lengths ${got.length} and ${exp.length}`;
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== exp[i]) {
      if (first < 0) first = i;
      last = i;
      count++;
    }
  }
  return first < 0 ? 'equal' : `bytes ${first}..${last} differ (${count} of ${got.length})`;
}

/** How long any single wait may take before it counts as a failure (CPU is shared). */
export const WAIT_MS = Number(process.env.SOAK_WAIT_MS ?? 20000);

class Semaphore {
  constructor(n) {
    this.free = n;
    this.queue = [];
  }
  async acquire() {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise((resolve) => this.queue.push(resolve));
  }
  release() {
    const next = this.queue.shift();
    if (next) next();
    else this.free++;
  }
}

export const limits = { open: 0, maxOpen: 0, connected: 0 };
let slots = new Semaphore(200);
export function setMaxOpen(n) {
  slots = new Semaphore(n);
}

export class Conn {
  /** Connect (waiting for a free slot first); rejects when the connect fails. */
  static async open(port) {
    await slots.acquire();
    const conn = new Conn(port);
    try {
      await conn.connected;
    } catch (err) {
      throw new Error(`connect to ${port} failed: ${err.message}`);
    }
    return conn;
  }

  constructor(port) {
    this.port = port;
    this.chunks = [];
    this.length = 0;
    this.flat = Buffer.alloc(0);
    this.gotEnd = false; // the server's FIN
    this.isClosed = false;
    this.error = null;
    this.listeners = new Set();
    limits.open++;
    limits.maxOpen = Math.max(limits.maxOpen, limits.open);
    const sock = net.connect({ port, host: '127.0.0.1' });
    this.sock = sock;
    sock.setNoDelay(true);
    this.connected = new Promise((resolve, reject) => {
      sock.once('connect', () => {
        limits.connected++;
        resolve();
      });
      sock.once('error', reject);
    });
    this.connected.catch(() => {});
    sock.on('data', (d) => {
      this.chunks.push(d);
      this.length += d.length;
      this.notify();
    });
    sock.on('end', () => {
      this.gotEnd = true;
      this.notify();
    });
    sock.on('error', (err) => {
      this.error = err;
    });
    this.closed = new Promise((resolve) => {
      sock.once('close', () => {
        this.isClosed = true;
        limits.open--;
        slots.release();
        this.notify();
        resolve();
      });
    });
  }

  /** Every byte received so far, as one Buffer. */
  bytes() {
    if (this.chunks.length) {
      this.flat = Buffer.concat([this.flat, ...this.chunks]);
      this.chunks = [];
    }
    return this.flat;
  }

  notify() {
    for (const fn of this.listeners) fn();
  }

  /**
   * Resolve when `cond()` holds (checked on every arrival); reject after `ms` or
   * when the connection closed without it.
   */
  waitFor(cond, what, ms = WAIT_MS) {
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        let v;
        try {
          v = cond();
        } catch (err) {
          done();
          reject(err);
          return;
        }
        if (v) {
          done();
          resolve(v);
        } else if (this.isClosed) {
          done();
          reject(new Error(`connection closed while waiting for ${what}${this.error ? ` (${this.error.code ?? this.error.message})` : ''}`));
        }
      };
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      this.listeners.add(check);
      check();
    });
  }

  /** Wait for the server to close: its FIN (or a reset) and the socket closed. */
  async waitClosed(what = 'the server to close', ms = WAIT_MS) {
    await this.waitFor(() => this.isClosed, what, ms);
  }

  write(buf) {
    if (!this.sock.destroyed) this.sock.write(buf);
  }

  /** Write `buf` in random pieces, yielding between them so they leave as separate segments. */
  async writeSplit(buf, rng) {
    const pieces = rng.split(buf);
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      this.write(pieces[i]);
    }
  }

  end() {
    this.sock.end();
  }

  reset() {
    if (!this.sock.destroyed) this.sock.resetAndDestroy();
  }

  destroy() {
    this.sock.destroy();
  }

  pause() {
    this.sock.pause();
  }

  resume() {
    this.sock.resume();
  }
}

/**
 * For byte-stream echoes (tcp, text, frame): the bytes the server must send
 * back, checked against what arrives on every arrival — any byte that differs,
 * or any byte beyond what was asked for, fails at once.
 */
export class StreamExpect {
  constructor(conn) {
    this.conn = conn;
    this.expected = [];
    this.expectedLength = 0;
    this.flat = Buffer.alloc(0);
    this.checked = 0;
    this.messages = []; // cumulative end offset of each message, for the count
    this.counted = 0;
  }
  add(buf) {
    this.expected.push(buf);
    this.expectedLength += buf.length;
    this.messages.push(this.expectedLength);
  }
  flatExpected() {
    if (this.expected.length) {
      this.flat = Buffer.concat([this.flat, ...this.expected]);
      this.expected = [];
    }
    return this.flat;
  }
  /** Throws on a mismatch; returns true when everything expected has arrived. */
  verify() {
    const got = this.conn.bytes();
    if (got.length > this.checked) {
      const exp = this.flatExpected();
      if (got.length > exp.length) {
        throw new Error(`received ${got.length - exp.length} bytes more than expected (${exp.length}): ${JSON.stringify(got.subarray(exp.length, exp.length + 40).toString('latin1'))}`);
      }
      const a = got.subarray(this.checked);
      const b = exp.subarray(this.checked, got.length);
      if (!a.equals(b)) {
        let i = 0;
        while (a[i] === b[i]) i++;
        const at = this.checked + i;
        throw new Error(`byte ${at} differs: got ${JSON.stringify(got.subarray(at, at + 40).toString('latin1'))}, expected ${JSON.stringify(exp.subarray(at, at + 40).toString('latin1'))}`);
      }
      this.checked = got.length;
    }
    return this.checked === this.expectedLength;
  }
  /** Messages whose every byte has been checked (call once at the end). */
  countChecked() {
    while (this.counted < this.messages.length && this.messages[this.counted] <= this.checked) this.counted++;
    return this.counted;
  }
  async waitAll(what = 'every echo') {
    try {
      await this.conn.waitFor(() => this.verify(), what);
    } catch (err) {
      throw new Error(`${err.message}: ${this.checked} of ${this.expectedLength} bytes, ${this.countChecked()} of ${this.messages.length} messages`);
    }
  }
}
