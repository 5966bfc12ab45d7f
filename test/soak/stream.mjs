// Soak sessions for the byte-stream protocols (tcp://, text://, frame://):
// every byte the server sends back is compared with what it must send, in
// order, per connection; each message carries its connection's token.
import { crc32 } from 'node:zlib';
import { Conn, StreamExpect } from './conn.mjs';
import { sendInStyle, writeBulk, endPlainly } from './session.mjs';

export const MAX_PACKAGE = Number(process.env.SOAK_MAX_PACKAGE ?? 65536);

function frame(payload) {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length + 4);
  return Buffer.concat([head, payload]);
}

/** The CRC-32 of a message's body, in its tag: the server checks what it received (server.mjs). */
export const crc = (body) => crc32(body).toString(16).padStart(8, '0');

/** wire: what the client writes; echo: what must come back. */
export const codecs = {
  tcp(rng, token, size) {
    const data = Buffer.concat([Buffer.from(`${token}:`), rng.bytes(size)]);
    return { wire: data, echo: data };
  },
  text(rng, token, size) {
    const body = rng.text(size);
    const line = `${token}#${crc(Buffer.from(body))}:${body}`;
    return { wire: Buffer.from(line + (rng.chance(0.2) ? '\r\n' : '\n')), echo: Buffer.from(`${line}\n`) };
  },
  frame(rng, token, size) {
    const body = rng.bytes(size);
    const data = frame(Buffer.concat([Buffer.from(`${token}#${crc(body)}:`), body]));
    return { wire: data, echo: data };
  },
};

/** Bad input per protocol: the bytes, all of which the server must read to decide. */
const badInputs = {
  text: [['line over maxPackageSize', () => Buffer.alloc(MAX_PACKAGE, 0x61)]],
  frame: [
    ['frame length below 4', () => Buffer.from([0, 0, 0, 2])],
    ['frame length over maxPackageSize', () => { const b = Buffer.alloc(4); b.writeUInt32BE(MAX_PACKAGE + 1); return b; }],
  ],
};

/**
 * One connection's life: some echoes (one at a time, pipelined, or behind a
 * paused reader), then an ending: close after the echoes, half-close right
 * after the last write, reset, or bad input.
 */
export async function streamSession(ctx, proto) {
  const { rng } = ctx;
  const conn = await Conn.open(ctx.ports[proto]);
  const expect = new StreamExpect(conn);
  let seq = 0;
  const message = (size) => {
    const m = codecs[proto](rng, `${token}.${seq++}`, size);
    expect.add(m.echo);
    return m.wire;
  };
  const style = rng.weighted([[3, 'echo'], [3, 'pipeline'], [1, 'slow']]);
  const ending = rng.weighted([[4, 'close'], [2, 'halfclose'], [1, 'reset'], [1, 'destroy'], [proto === 'tcp' ? 0 : 1, 'bad']]);
  const token = ctx.token(proto, ending);
  const counts = () => ctx.count(expect.countChecked());
  try {
    ctx.note(`${proto} ${style} ${ending}`);
    const waitAll = (what) => expect.waitAll(what);
    await sendInStyle(ctx, conn, style, {
      make: (size) => message(size),
      waitAll,
      halfclose: ending === 'halfclose',
      slowBulk: () => writeBulk(ctx, conn, message),
    });
    // With SOAK_KNOWN=0 a slow session ends only after its echoes (no ending read behind
    // messages the server holds for pauseRecv; see driver.mjs).
    if (style === 'slow' && !ctx.endBehindPausedReader && ending === 'bad') await waitAll('the echoes of the bulk');

    if (!(await endPlainly(ctx, conn, ending, { waitAll, verify: () => expect.verify() }))) {
      const [what, bytes] = rng.pick(badInputs[proto]);
      ctx.note(`${proto} bad: ${what}`);
      conn.write(bytes());
      await expect.waitAll(`the echoes before ${what}`);
      await conn.waitClosed(`the server to close after ${what}`);
      expect.verify();
    }
  } finally {
    counts();
    if (!conn.isClosed) conn.destroy();
  }
}

/** A short connection in a burst of many: one or two messages, checked, then a close or a reset. */
export async function burstConnection(ctx, proto) {
  const { rng } = ctx;
  const reset = rng.chance(0.2);
  const conn = await Conn.open(ctx.ports[proto]);
  const token = ctx.token(proto, reset ? 'reset' : 'close');
  const expect = new StreamExpect(conn);
  try {
    const n = rng.int(1, 2);
    const wire = [];
    for (let i = 0; i < n; i++) {
      const m = codecs[proto](rng, `${token}.${i}`, rng.int(0, 64));
      expect.add(m.echo);
      wire.push(m.wire);
    }
    conn.write(Buffer.concat(wire));
    await expect.waitAll();
    if (reset) conn.reset();
    else conn.end();
    await conn.waitClosed();
  } finally {
    ctx.count(expect.countChecked());
    if (!conn.isClosed) conn.destroy();
  }
}
