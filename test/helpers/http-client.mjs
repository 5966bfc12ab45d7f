// Helpers for the HTTP black-box suites: a strict HTTP/1.x response parser
// over a raw byte stream, an HTTP worker factory on top of the shared harness,
// raw-socket exchanges, and the process's open file descriptor count.
//
// node --test runs every .mjs under test/ as a test file, this one included:
// importing it has no side effects beyond loading netwright.
import fs from 'node:fs';
import { Response } from 'netwright';
import { connect, until, sleep } from './harness.mjs';

export const CRLF = '\r\n';

/** Open descriptors of this process (or of `pid`). */
export function fdCount(pid = 'self') {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Parse as many complete responses as `buf` holds.
 * `isHead(i)` says whether the i-th final (non-1xx) response answers a HEAD.
 * `eof`: the stream ended, so a response without a length ends here.
 * Returns { responses, rest, incomplete } where each response is
 * { version, status, reason, headers: {lower: [values]}, header(name), rawHead, body: Buffer, chunked, interim }.
 */
export function parseResponses(buf, { isHead = () => false, eof = false } = {}) {
  const responses = [];
  let off = 0;
  let finals = 0;
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n', off);
    if (headEnd < 0) break;
    const rawHead = buf.subarray(off, headEnd).toString('latin1');
    const lines = rawHead.split('\r\n');
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])} at ${off}`);
    const headers = Object.create(null);
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`bad response header line ${JSON.stringify(line)}`);
      const name = line.slice(0, colon).toLowerCase();
      (headers[name] ??= []).push(line.slice(colon + 1).trim());
    }
    const status = Number(m[2]);
    const res = {
      version: m[1], status, reason: m[3] ?? '', headers, rawHead, body: Buffer.alloc(0), chunked: false,
      interim: status < 200,
      header(name) { const v = headers[name.toLowerCase()]; return v === undefined ? undefined : v.join(', '); },
    };
    let p = headEnd + 4;
    if (res.interim) {
      responses.push(res);
      off = p;
      continue;
    }
    const head = isHead(finals);
    const noBody = head || status === 204 || status === 304;
    const te = res.header('transfer-encoding');
    const cl = res.header('content-length');
    if (noBody) {
      // nothing
    } else if (te && /chunked/i.test(te)) {
      res.chunked = true;
      const parts = [];
      let done = false;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p);
        if (lineEnd < 0) break;
        const sizeText = buf.subarray(p, lineEnd).toString('latin1').split(';')[0].trim();
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Error(`bad chunk size line ${JSON.stringify(sizeText)}`);
        const size = parseInt(sizeText, 16);
        if (size === 0) {
          // trailers (none expected) then CRLF
          const end = buf.indexOf('\r\n\r\n', lineEnd);
          if (end !== lineEnd) {
            if (end < 0) break;
          }
          p = end + 4;
          done = true;
          break;
        }
        if (buf.length < lineEnd + 2 + size + 2) break;
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        if (buf.subarray(lineEnd + 2 + size, lineEnd + 4 + size).toString('latin1') !== '\r\n') {
          throw new Error('chunk data not followed by CRLF');
        }
        p = lineEnd + 4 + size;
      }
      if (!done) return { responses, rest: buf.subarray(off), incomplete: true };
      res.body = Buffer.concat(parts);
    } else if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) throw new Error(`bad Content-Length ${cl}`);
      const n = Number(cl);
      if (buf.length - p < n) return { responses, rest: buf.subarray(off), incomplete: true };
      res.body = buf.subarray(p, p + n);
      p += n;
    } else {
      if (!eof) return { responses, rest: buf.subarray(off), incomplete: true };
      res.body = buf.subarray(p);
      p = buf.length;
    }
    res.text = res.body.toString('utf8');
    responses.push(res);
    finals++;
    off = p;
  }
  return { responses, rest: buf.subarray(off), incomplete: off < buf.length };
}

/** Final responses of a client's stream so far. */
export function finals(client, opts = {}) {
  return parseResponses(client.data, { eof: client.ended || client.closed, ...opts }).responses.filter((r) => !r.interim);
}

/** Wait until the client has received `n` final responses; returns them all. */
export async function waitResponses(client, n, { ms = 5000, ...opts } = {}) {
  let got = [];
  await client.wait((c) => {
    got = parseResponses(c.data, { eof: c.ended || c.closed, ...opts }).responses.filter((r) => !r.interim);
    return got.length >= n;
  }, `${n} HTTP responses (have ${got.length}; bytes ${JSON.stringify(client.text.slice(0, 300))})`, ms);
  return got;
}

/** Start an HTTP worker on an ephemeral port through the harness. */
export function httpServer(h, onMessage, props = {}) {
  return h.serve('http://127.0.0.1:0', (w) => {
    Object.assign(w, props);
    w.onMessage = onMessage;
  });
}

/** A handler that answers with a JSON description of the request (f may add fields). */
export function echoJson(f = () => ({})) {
  return (connection, request) => {
    const out = {
      method: request.method, path: request.path, uri: request.uri, queryString: request.queryString,
      protocolVersion: request.protocolVersion, body: request.rawBody(), ...f(request, connection),
    };
    connection.send(new Response(200, { 'Content-Type': 'application/json' }, JSON.stringify(out)));
  };
}

/**
 * Raw exchange: connect, write `bytes`, then wait for `count` final responses
 * (or for the server to close when `count` is 'close'). Returns { client, responses }.
 */
export async function rawExchange(h, port, bytes, { count = 1, ms = 5000, isHead } = {}) {
  const client = await h.connect(port);
  client.write(bytes);
  if (count === 'close') {
    await client.waitEnd(ms);
    return { client, responses: finals(client, { isHead }) };
  }
  const responses = await waitResponses(client, count, { ms, isHead });
  return { client, responses };
}

/** GET request bytes. */
export function get(path = '/', headers = {}, version = '1.1') {
  let s = `GET ${path} HTTP/${version}\r\n`;
  if (!('Host' in headers) && !('host' in headers)) s += 'Host: test\r\n';
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return s + '\r\n';
}

/** A request with a body (Content-Length set unless given). */
export function withBody(method, path, body, headers = {}) {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  let s = `${method} ${path} HTTP/1.1\r\nHost: test\r\n`;
  const lower = Object.keys(headers).map((k) => k.toLowerCase());
  if (!lower.includes('content-length') && !lower.includes('transfer-encoding')) s += `Content-Length: ${b.length}\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return Buffer.concat([Buffer.from(s + '\r\n'), b]);
}

/**
 * Wait until the worker holds `connections` connections and the fd count has
 * been stable for 100 ms; returns that count (a baseline for assertRecovered).
 */
export async function settle(worker, connections = 0) {
  await until(() => worker.connections.size === connections, `server connections back to ${connections} (have ${worker.connections.size})`, 5000);
  let last = fdCount();
  let stableSince = Date.now();
  const end = Date.now() + 3000;
  while (Date.now() - stableSince < 100 && Date.now() < end) {
    await sleep(10);
    const now = fdCount();
    if (now !== last) { last = now; stableSince = Date.now(); }
  }
  return last;
}

/**
 * After bad input: wait until the worker is back to `connections` connections
 * and the fd count is back to `before`, then prove a fresh client is still served.
 */
export async function assertRecovered(h, worker, before, what = 'bad input', connections = 0) {
  await until(() => worker.connections.size === connections, `${what}: server connections closed (have ${worker.connections.size}, expected ${connections})`, 5000);
  let now = fdCount();
  const end = Date.now() + 3000;
  while (now !== before && Date.now() < end) { await sleep(20); now = fdCount(); }
  if (now !== before) throw new Error(`${what}: fd count ${now}, expected ${before}`);
  const c = await h.connect(worker.port);
  c.write(get('/still-serving'));
  const [r] = await waitResponses(c, 1);
  c.destroy();
  if (r.status !== 200) throw new Error(`${what}: server no longer serves (status ${r.status})`);
  await until(() => worker.connections.size === connections, `${what}: probe connection closed`, 5000);
}

/** One request on its own connection, closed afterwards (and gone from the server). */
export async function once(h, worker, bytes, opts = {}) {
  const connections = worker.connections.size;
  const { client, responses } = await rawExchange(h, worker.port, bytes, opts);
  client.destroy();
  await until(() => worker.connections.size === connections, 'one-shot connection closed', 5000);
  return responses;
}

export { sleep, until };
export { connect };
