// Soak sessions for http://, over raw sockets: keep-alive requests one at a
// time or pipelined (GET, POST with Content-Length or chunked, HEAD), every
// response parsed and its body compared with "<method> <uri>\n<body>" of the
// request it answers, in order; bad requests get their status, after the
// responses to the requests before them, and the connection closes.
import { Conn, diffSummary } from './conn.mjs';
import { sendInStyle, endPlainly } from './session.mjs';
import { MAX_PACKAGE } from './stream.mjs';

/** Parses responses from the start of the stream. */
class Responses {
  constructor(conn) {
    this.conn = conn;
    this.offset = 0;
    this.list = []; // { status, headers, body }
    this.pending = null;
  }
  /** `heads[i]` says whether response i answers a HEAD (no body). */
  parse(heads) {
    const buf = this.conn.bytes();
    for (;;) {
      if (!this.pending) {
        const end = buf.indexOf('\r\n\r\n', this.offset);
        if (end < 0) return;
        const lines = buf.subarray(this.offset, end).toString('latin1').split('\r\n');
        const m = /^HTTP\/1\.1 (\d{3}) /.exec(lines[0]);
        if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
        const headers = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
        }
        if (headers['transfer-encoding']) throw new Error('an echo response in chunks (expected Content-Length)');
        const isHead = heads[this.list.length] === true;
        const length = isHead ? 0 : Number(headers['content-length'] ?? NaN);
        if (!Number.isFinite(length)) throw new Error(`a response without Content-Length: ${lines[0]}`);
        this.pending = { status: Number(m[1]), headers, length, bodyAt: end + 4 };
        this.offset = end + 4;
      }
      const p = this.pending;
      if (buf.length - p.bodyAt < p.length) return;
      this.list.push({ status: p.status, headers: p.headers, body: buf.subarray(p.bodyAt, p.bodyAt + p.length) });
      this.offset = p.bodyAt + p.length;
      this.pending = null;
    }
  }
}

const badRequests = [
  ['a malformed request line', 400, () => 'GARBAGE\r\n\r\n'],
  ['no Host in HTTP/1.1', 400, () => 'GET / HTTP/1.1\r\nX-A: b\r\n\r\n'],
  ['two Host headers', 400, () => 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
  ['Content-Length and Transfer-Encoding', 400, () => 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ['differing Content-Lengths', 400, () => 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n'],
  ['a negative Content-Length', 400, () => 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n'],
  ['whitespace before the colon', 400, () => 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'],
  ['obsolete line folding', 400, () => 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n'],
  ['a bad chunk size', 400, () => 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
  ['Transfer-Encoding gzip', 501, () => 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n'],
  ['Expect other than 100-continue', 417, () => 'GET / HTTP/1.1\r\nHost: a\r\nExpect: tea\r\n\r\n'],
  ['a body over maxPackageSize', 413, () => `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${MAX_PACKAGE + 1}\r\n\r\n`],
  ['a request line over 8 KiB', 414, () => `GET /${'u'.repeat(9000)} HTTP/1.1\r\nHost: a\r\n\r\n`],
  ['a head over maxHeadSize', 431, () => `GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ${'p'.repeat(17000)}\r\n\r\n`],
];

function chunked(body, rng) {
  const parts = rng.split(body, 4).filter((p) => p.length);
  const out = [];
  for (const p of parts) out.push(Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n'));
  out.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(out);
}

export async function httpSession(ctx) {
  const { rng } = ctx;
  const conn = await Conn.open(ctx.ports.http);
  const responses = new Responses(conn);
  const expected = []; // { status, body } ; heads[i]: a HEAD request
  const heads = [];
  let seq = 0;
  let checked = 0;
  const style = rng.weighted([[3, 'echo'], [3, 'pipeline'], [1, 'slow']]);
  const ending = rng.weighted([[3, 'close'], [2, 'connclose'], [1, 'halfclose'], [1, 'reset'], [2, 'bad']]);
  const token = ctx.token('http', ending);
  ctx.note(`http ${style} ${ending}`);

  const request = (size, { last = false } = {}) => {
    const method = rng.weighted([[3, 'GET'], [3, 'POST'], [1, 'HEAD']]);
    const uri = `/soak/${token}/${seq++}?q=${rng.int(0, 1e9)}`;
    const conn = last ? 'Connection: close\r\n' : '';
    let wire;
    let body = Buffer.alloc(0);
    if (method === 'POST') {
      body = Buffer.from(rng.text(size));
      if (rng.chance(0.3)) wire = Buffer.concat([Buffer.from(`POST ${uri} HTTP/1.1\r\nHost: 127.0.0.1\r\n${conn}Transfer-Encoding: chunked\r\n\r\n`), chunked(body, rng)]);
      else wire = Buffer.concat([Buffer.from(`POST ${uri} HTTP/1.1\r\nHost: 127.0.0.1\r\n${conn}Content-Length: ${body.length}\r\n\r\n`), body]);
    } else {
      wire = Buffer.from(`${method} ${uri} HTTP/1.1\r\nHost: 127.0.0.1\r\n${conn}\r\n`);
    }
    expected.push({ status: 200, body: method === 'HEAD' ? Buffer.alloc(0) : Buffer.concat([Buffer.from(`${method} ${uri}\n`), body]) });
    heads.push(method === 'HEAD');
    return wire;
  };
  const verify = () => {
    responses.parse(heads);
    for (; checked < responses.list.length; checked++) {
      const got = responses.list[checked];
      const exp = expected[checked];
      if (!exp) throw new Error(`an unexpected response ${got.status} ${JSON.stringify(got.body.subarray(0, 60).toString('latin1'))}`);
      if (got.status !== exp.status) throw new Error(`response ${checked}: status ${got.status}, expected ${exp.status} (${JSON.stringify(got.body.subarray(0, 60).toString('latin1'))})`);
      if (exp.body && !got.body.equals(exp.body)) {
        throw new Error(`response ${checked} differs: got ${JSON.stringify(got.body.subarray(0, 60).toString('latin1'))} (${got.body.length} B), expected ${JSON.stringify(exp.body.subarray(0, 60).toString('latin1'))} (${exp.body.length} B); ${diffSummary(got.body, exp.body)}`);
      }
    }
    return checked === expected.length;
  };
  const waitAll = (what = 'every response') => conn.waitFor(verify, what).catch((err) => {
    throw new Error(`${err.message}: ${checked} of ${expected.length} responses`);
  });

  try {
    const lastIsClose = ending === 'connclose';
    await sendInStyle(ctx, conn, style, {
      make: (size, last) => request(size, { last: lastIsClose && last }),
      waitAll,
      halfclose: ending === 'halfclose',
      slowBulk: () => {
        // 16 to 96 requests of up to 16 KiB; now and then 600 to 900, more than the
        // kernel's buffers hold.
        const n = rng.chance(0.25) ? rng.int(600, 900) : rng.int(16, 96);
        for (let i = 0; i < n; i++) conn.write(request(rng.int(1024, 16384), { last: lastIsClose && i === n - 1 }));
      },
    });
    // With SOAK_KNOWN=0 a slow session ends only after its echoes (no ending read behind
    // messages the server holds for pauseRecv; see driver.mjs).
    if (style === 'slow' && !ctx.endBehindPausedReader && ending === 'bad') await waitAll('the responses to the bulk');

    if (ending === 'connclose') {
      await waitAll();
      await conn.waitClosed('the server to close after Connection: close');
    } else if (await endPlainly(ctx, conn, ending, { waitAll, verify })) {
      // closed, half-closed or reset
    } else {
      const [what, status, bytes] = rng.pick(badRequests);
      ctx.note(`http bad: ${what}`);
      expected.push({ status, body: null });
      heads.push(false);
      conn.write(Buffer.from(bytes()));
      await waitAll(`the responses up to ${what}`);
      const last = responses.list[responses.list.length - 1];
      if (!/close/i.test(last.headers.connection ?? '')) throw new Error(`${what}: the ${status} does not say Connection: close`);
      await conn.waitClosed(`the server to close after ${what}`);
    }
    verify();
  } finally {
    ctx.count(checked);
    if (!conn.isClosed) conn.destroy();
  }
}
