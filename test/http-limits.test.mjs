// HTTP hard limits, malformed requests and request smuggling, black-box over raw
// sockets: 431 / 414 / 413 / 400, each answered once and followed by a close;
// after every bad input the process keeps serving and its fd count is unchanged.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker, TcpConnection, Response } from 'netwright';
import { harness, T } from './helpers/harness.mjs';
import {
  fdCount, finals, waitResponses, httpServer, get, withBody, assertRecovered, once, settle, sleep,
} from './helpers/http-client.mjs';

/** A worker that records every request it is handed and answers "ok <path>". */
async function recordingServer(h, props = {}) {
  const seen = [];
  const worker = await httpServer(h, (c, r) => {
    if (r.path !== '/still-serving') seen.push(`${r.method} ${r.uri}`);
    c.send(new Response(200, {}, `ok ${r.path}`));
  }, props);
  return { worker, seen };
}

/**
 * Send `bytes` on a fresh connection; expect exactly one response with
 * `status`, then the server closing; nothing reaches onMessage unless allowed;
 * then the process still serves and the fd count is back to its baseline.
 */
async function expectRejected(h, srv, bytes, status, what, { allowSeen = false } = {}) {
  const { worker, seen } = srv;
  const before = await settle(worker);
  const seenBefore = seen.length;
  const c = await h.connect(worker.port);
  c.write(bytes);
  await c.waitEnd(5000).catch((e) => { throw new Error(`${what}: server did not close (${e.message}); got ${JSON.stringify(c.text.slice(0, 200))}`); });
  await sleep(50); // anything a broken server would still send after the first response
  const responses = finals(c);
  assert.equal(responses.length, 1, `${what}: exactly one response, got ${responses.length}: ${JSON.stringify(c.text.slice(0, 400))}`);
  assert.equal(responses[0].status, status, `${what}: status; got ${JSON.stringify(c.text.slice(0, 200))}`);
  assert.equal(responses[0].header('connection')?.toLowerCase(), 'close', `${what}: Connection: close`);
  if (!allowSeen) assert.deepEqual(seen.slice(seenBefore), [], `${what}: no request reached onMessage`);
  assert.ok(!seen.some((s) => s.includes('smuggled')), `${what}: a hidden request was interpreted: ${seen}`);
  c.destroy();
  await assertRecovered(h, worker, before, what);
  return responses[0];
}

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n';

test('Worker HTTP limit properties have the documented defaults', T, () => {
  const w = new Worker('http://127.0.0.1:0');
  assert.equal(w.maxHeadSize, 16384);
  assert.equal(w.headersTimeout, 30);
  assert.equal(w.keepAliveTimeout, 5);
  assert.equal(w.serverHeader, 'netwright');
  assert.equal(TcpConnection.defaultMaxPackageSize, 10485760);
});

test('head over maxHeadSize (default 16384) → 431 and close; a head just under it is served', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const stats0 = Worker.getStatistics();
  // ~15 000-byte head: accepted
  const responses = await once(h, srv.worker, get('/under', { 'X-Big': 'a'.repeat(15000) }));
  assert.equal(responses[0].status, 200);
  await expectRejected(h, srv, get('/over', { 'X-Big': 'a'.repeat(17000) }), 431, 'head 17 KiB');
  // many moderate headers adding up over the limit
  const many = {};
  for (let i = 0; i < 40; i++) many[`X-H${i}`] = 'b'.repeat(500);
  await expectRejected(h, srv, get('/over2', many), 431, 'head 20 KB in 40 headers');
  // 431 decided without waiting for the end of the head
  await expectRejected(h, srv, `GET / HTTP/1.1\r\nHost: test\r\nX-Big: ${'c'.repeat(20000)}`, 431, 'unterminated 20 KB head');
  const stats1 = Worker.getStatistics();
  assert.ok(stats1.headTooLarge >= stats0.headTooLarge + 3, 'headTooLarge counted');
  assert.ok(stats1.httpErrors >= stats0.httpErrors + 3, 'httpErrors counted');
});

test('maxHeadSize is configurable per worker', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h, { maxHeadSize: 1024 });
  const responses = await once(h, srv.worker, get('/small', { 'X-A': 'a'.repeat(500) }));
  assert.equal(responses[0].status, 200);
  await expectRejected(h, srv, get('/big', { 'X-A': 'a'.repeat(2000) }), 431, 'head over 1024');
});

test('request line over 8 KiB → 414; just under is served', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const responses = await once(h, srv.worker, get('/' + 'a'.repeat(8000)));
  assert.equal(responses[0].status, 200, 'request line of ~8 KB is fine');
  const stats0 = Worker.getStatistics();
  await expectRejected(h, srv, get('/' + 'a'.repeat(8300)), 414, 'request line 8.3 KB');
  await expectRejected(h, srv, `GET /${'a'.repeat(9000)}`, 414, 'unterminated 9 KB request line');
  // The answer does not depend on how the bytes arrive: whole, the head ends and the line is
  // malformed (bare LF), but its length is what a trickled one is refused for.
  await expectRejected(h, srv, `GET /${'a'.repeat(9000)} HTTP/1.1\nHost: t\r\n\r\n`, 414, '9 KB request line ending in a bare LF');
  assert.ok(Worker.getStatistics().httpErrors >= stats0.httpErrors + 2);
});

test('100 headers are accepted, 101 → 431', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const hundred = {};
  for (let i = 0; i < 99; i++) hundred[`X-H${i}`] = String(i); // + Host = 100
  const responses = await once(h, srv.worker, get('/100', hundred));
  assert.equal(responses[0].status, 200, '100 headers');
  const over = { ...hundred, 'X-Extra': 'x' }; // 101
  await expectRejected(h, srv, get('/101', over), 431, '101 headers');
  const lots = {};
  for (let i = 0; i < 500; i++) lots[`X-L${i}`] = '1';
  await expectRejected(h, srv, get('/500', lots), 431, '500 headers');
});

test('body over maxPackageSize → 413 decided from Content-Length, before the body is sent', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  srv.worker.onConnect = (c) => { c.maxPackageSize = 1000; };
  // exactly the limit is not over it
  let responses = await once(h, srv.worker, withBody('POST', '/limit', 'x'.repeat(1000)));
  assert.equal(responses[0].status, 200, 'a body of exactly maxPackageSize is accepted');
  responses = await once(h, srv.worker, withBody('POST', '/small', 'x'.repeat(800)));
  assert.equal(responses[0].status, 200);
  const stats0 = Worker.getStatistics();
  // only the head: the answer must come without a single body byte
  await expectRejected(h, srv, 'POST /big HTTP/1.1\r\nHost: test\r\nContent-Length: 1001\r\n\r\n', 413, 'CL 1001, no body sent');
  await expectRejected(h, srv, 'POST /huge HTTP/1.1\r\nHost: test\r\nContent-Length: 5000000000\r\n\r\n', 413, 'CL 5 GB, no body sent');
  await expectRejected(h, srv,
    'POST /big HTTP/1.1\r\nHost: test\r\nContent-Length: 2000\r\nExpect: 100-continue\r\n\r\n', 413, 'CL 2000 with Expect');
  const stats1 = Worker.getStatistics();
  assert.ok(stats1.packageTooLarge >= stats0.packageTooLarge + 3, 'packageTooLarge counted');
});

test('TcpConnection.defaultMaxPackageSize bounds bodies', T, async (t) => {
  const h = harness(t);
  const saved = TcpConnection.defaultMaxPackageSize;
  TcpConnection.defaultMaxPackageSize = 4096;
  t.after(() => { TcpConnection.defaultMaxPackageSize = saved; });
  const srv = await recordingServer(h);
  const responses = await once(h, srv.worker, withBody('POST', '/ok', 'x'.repeat(4000)));
  assert.equal(responses[0].status, 200);
  await expectRejected(h, srv, 'POST /big HTTP/1.1\r\nHost: test\r\nContent-Length: 4097\r\n\r\n', 413, 'CL over default limit');
});

test('worker.maxPackageSize bounds the bodies of that worker only', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  assert.equal(srv.worker.maxPackageSize, TcpConnection.defaultMaxPackageSize, 'the default until set');
  srv.worker.maxPackageSize = 2048;
  const other = await recordingServer(h);
  const responses = await once(h, srv.worker, withBody('POST', '/ok', 'x'.repeat(2048)));
  assert.equal(responses[0].status, 200);
  await expectRejected(h, srv, 'POST /big HTTP/1.1\r\nHost: test\r\nContent-Length: 2049\r\n\r\n', 413, 'CL over the worker limit');
  const elsewhere = await once(h, other.worker, withBody('POST', '/ok', 'x'.repeat(4096)));
  assert.equal(elsewhere[0].status, 200, 'another worker keeps the default');
  assert.throws(() => { srv.worker.maxPackageSize = -1; }, RangeError);
});

test('chunked body growing over maxPackageSize → 413 and close', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  srv.worker.onConnect = (c) => { c.maxPackageSize = 1000; };
  const piece = 'x'.repeat(600);
  const chunks = `258\r\n${piece}\r\n258\r\n${piece}\r\n258\r\n${piece}\r\n0\r\n\r\n`;
  await expectRejected(h, srv, `POST /c HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}`, 413, 'chunked 1800 bytes');
});

// ------------------------------------------------------------ malformed → 400

const MALFORMED = [
  ['garbage bytes', '\x00\x01\x02\x03\r\n\r\n'],
  ['request line without version', 'GET /\r\nHost: test\r\n\r\n'],
  ['request line with extra token', 'GET / HTTP/1.1 extra\r\nHost: test\r\n\r\n'],
  ['bad version token', 'GET / HTTP/1.x\r\nHost: test\r\n\r\n'],
  ['lower-case protocol name', 'GET / http/1.1\r\nHost: test\r\n\r\n'],
  ['space in method', 'G T / HTTP/1.1\r\nHost: test\r\n\r\n'],
  ['control character in target', 'GET /a\x01b HTTP/1.1\r\nHost: test\r\n\r\n'],
  ['header line without colon', 'GET / HTTP/1.1\r\nHost test\r\n\r\n'],
  ['empty header name', 'GET / HTTP/1.1\r\nHost: test\r\n: value\r\n\r\n'],
  ['space inside header name', 'GET / HTTP/1.1\r\nHost: test\r\nBad Name: x\r\n\r\n'],
  ['NUL in header value', 'GET / HTTP/1.1\r\nHost: test\r\nX-A: a\x00b\r\n\r\n'],
  ['CR alone inside a header value', 'GET / HTTP/1.1\r\nHost: test\r\nX-A: a\rb\r\n\r\n'],
  ['non-numeric Content-Length', 'POST / HTTP/1.1\r\nHost: test\r\nContent-Length: abc\r\n\r\n'],
  ['two Host headers in HTTP/1.1', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
  ['two Host headers in HTTP/1.0 (RFC 9112 3.2: any version)', 'GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n'],
];

test('malformed requests → 400 and close; the process keeps serving, fds unchanged', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const stats0 = Worker.getStatistics();
  const failures = [];
  for (const [what, bytes] of MALFORMED) {
    try {
      await expectRejected(h, srv, bytes, 400, what);
    } catch (e) {
      failures.push(`${what}: ${e.message.split('\n')[0]}`);
    }
  }
  assert.deepEqual(failures, []);
  const stats1 = Worker.getStatistics();
  assert.ok(stats1.protocolErrors >= stats0.protocolErrors + MALFORMED.length, 'protocolErrors counted');
  assert.ok(stats1.httpErrors >= stats0.httpErrors + MALFORMED.length, 'httpErrors counted');
});

test('bare LF line ends → 400 at once, whole or before the head ends (lines end in CRLF: the one head parser, as for upgrades)', T, async (t) => {
  // These used to wait for a CRLFCRLF, to be answered 408 after headersTimeout or 431.
  const h = harness(t);
  const srv = await recordingServer(h);
  await expectRejected(h, srv, 'GET / HTTP/1.1\nHost: test\n\n', 400, 'a head in bare LFs');
  await expectRejected(h, srv, 'GET / HTTP/1.1\r\nHost: test\nX-A: 1\r\n\r\n', 400, 'one bare LF among CRLFs');
  await expectRejected(h, srv, 'GET / HTTP/1.1\r\nHost: test\r\n\n', 400, 'a bare LF as the blank line');
  await expectRejected(h, srv, 'GET / HTTP/1.1\nHost: test', 400, 'a bare LF, the head unfinished');
  // after a good request on the same connection: the first is answered, then 400 and close
  const before = await settle(srv.worker);
  const c = await h.connect(srv.worker.port);
  c.write(get('/good') + 'GET /bad HTTP/1.1\nHost: test\n\n');
  await c.waitEnd();
  await sleep(50);
  assert.deepEqual(finals(c).map((r) => r.status), [200, 400]);
  c.destroy();
  await assertRecovered(h, srv.worker, before);
});

test('a malformed request after a good one on the same connection: first answered, then 400 and close', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const before = await settle(srv.worker);
  const c = await h.connect(srv.worker.port);
  c.write(get('/good') + 'GET / HTTP/1.1\r\nHost test\r\n\r\n' + get('/after'));
  await c.waitEnd();
  await sleep(50);
  const rs = finals(c);
  assert.deepEqual(rs.map((r) => r.status), [200, 400]);
  assert.equal(rs[0].text, 'ok /good');
  assert.deepEqual(srv.seen, ['GET /good']);
  c.destroy();
  await assertRecovered(h, srv.worker, before);
});

// ------------------------------------------------------------ smuggling → 400

const SMUGGLING = [
  ['Content-Length and Transfer-Encoding',
    `POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['Transfer-Encoding then Content-Length',
    `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['differing duplicate Content-Length',
    `POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
  ['differing duplicate Content-Length (larger first)',
    `POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: ${SMUGGLED.length}\r\nContent-Length: 0\r\n\r\n${SMUGGLED}`],
  ['differing Content-Length list in one header',
    `POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 0, ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
  ['negative Content-Length', `POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: -1\r\n\r\n${SMUGGLED}`],
  ['signed Content-Length', `POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: +0\r\n\r\n${SMUGGLED}`],
  ['overflowing Content-Length (2^64)', `POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 18446744073709551616\r\n\r\n${SMUGGLED}`],
  ['overflowing Content-Length (2^64 + 4)', `POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 18446744073709551620\r\n\r\n${SMUGGLED}`],
  ['overflowing Content-Length (30 digits)', `POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 999999999999999999999999999999\r\n\r\n${SMUGGLED}`],
  ['hex Content-Length', `POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 0x10\r\n\r\n${SMUGGLED}`],
  ['non-hex chunk size', `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n${SMUGGLED}`],
  ['negative chunk size', `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`],
  ['signed chunk size', `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`],
  ['overflowing chunk size', `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n${SMUGGLED}`],
  ['chunk size with 0x prefix', `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`],
  ['empty chunk size line', `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n${SMUGGLED}`],
  ['chunk data longer than its size', `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n${SMUGGLED}`],
  ['obsolete line folding', `POST /a HTTP/1.1\r\nHost: test\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n${SMUGGLED}`],
  ['obsolete line folding with a tab', `POST /a HTTP/1.1\r\nHost: test\r\nX-Folded: a\r\n\tContent-Length: 5\r\n\r\n${SMUGGLED}`],
  ['folded Transfer-Encoding', `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['whitespace before the colon (Content-Length)', `POST /a HTTP/1.1\r\nHost: test\r\nContent-Length : ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`],
  ['whitespace before the colon (Transfer-Encoding)', `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['tab before the colon', `POST /a HTTP/1.1\r\nHost: test\r\nContent-Length\t: 0\r\n\r\n${SMUGGLED}`],
];

for (const [what, bytes] of SMUGGLING) {
  test(`smuggling: ${what} → 400, no second response`, T, async (t) => {
    const h = harness(t);
    const srv = await recordingServer(h);
    await expectRejected(h, srv, bytes, 400, what);
  });
}

test('smuggling: unknown or non-final chunked Transfer-Encoding is refused, never read as no body', T, async (t) => {
  // RFC 9112 §6.3: a request whose final transfer coding is not chunked has no reliable
  // length: refuse it (400; 501 for a coding the server does not implement).
  const h = harness(t);
  const srv = await recordingServer(h);
  const cases = [
    ['Transfer-Encoding: chunked, identity', `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ['Transfer-Encoding: xchunked', `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ['Transfer-Encoding: gzip', `POST /a HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\n\r\n${SMUGGLED}`],
  ];
  const failures = [];
  for (const [what, bytes] of cases) {
    const before = await settle(srv.worker);
    const c = await h.connect(srv.worker.port);
    c.write(bytes);
    try {
      await c.waitEnd();
      await sleep(50);
      const rs = finals(c);
      assert.equal(rs.length, 1, `one response: ${JSON.stringify(c.text.slice(0, 300))}`);
      assert.ok(rs[0].status === 400 || rs[0].status === 501, `status 400/501, got ${rs[0].status}`);
      assert.deepEqual(srv.seen, []);
    } catch (e) {
      failures.push(`${what}: ${e.message.split('\n')[0]}`);
    }
    c.destroy();
    await assertRecovered(h, srv.worker, before, what);
  }
  assert.deepEqual(failures, []);
});

test('a valid chunked body with a request pipelined after it: both answered, the body is not a request', T, async (t) => {
  const h = harness(t);
  const bodies = [];
  const worker = await httpServer(h, (c, r) => {
    bodies.push([r.path, r.rawBody()]);
    c.send(`ok ${r.path}`);
  });
  const c = await h.connect(worker.port);
  c.write('POST /one HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n'
    + '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n' + get('/two'));
  const rs = await waitResponses(c, 2);
  assert.deepEqual(rs.map((r) => r.text), ['ok /one', 'ok /two']);
  assert.deepEqual(bodies, [['/one', 'hello world'], ['/two', '']]);
});

test('bad input on one connection never disturbs another in flight', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const good = await h.connect(srv.worker.port);
  good.write('POST /slow HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nhello');
  const bad = await h.connect(srv.worker.port);
  bad.write(`POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n`);
  await bad.waitEnd();
  good.write('world');
  const [r] = await waitResponses(good, 1);
  assert.equal(r.status, 200);
  assert.equal(r.text, 'ok /slow');
});

// ------------------------------------------------------------ clients that leave

test('clients that leave mid-request (FIN or RST in the head or the body) leak nothing', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const cases = [
    ['FIN inside the head', 'GET / HTTP/1.1\r\nHost: te', 'end'],
    ['RST inside the head', 'GET / HTTP/1.1\r\nHost: te', 'reset'],
    ['FIN inside a Content-Length body', 'POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly ten..', 'end'],
    ['RST inside a chunked body', 'POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc', 'reset'],
    ['RST right after pipelined requests', get('/1') + get('/2') + get('/3'), 'reset'],
    ['FIN right after a request', get('/fin'), 'end'],
  ];
  for (const [what, bytes, how] of cases) {
    const before = await settle(srv.worker);
    const c = await h.connect(srv.worker.port);
    c.write(bytes);
    await sleep(20);
    if (how === 'end') c.end(); else c.reset();
    await sleep(50);
    c.destroy();
    await assertRecovered(h, srv.worker, before, what);
  }
  assert.ok(!srv.seen.includes('POST /b'), 'an incomplete body never reaches onMessage');
});
