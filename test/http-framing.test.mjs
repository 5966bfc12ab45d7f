// HTTP message framing beyond the head, black-box over raw sockets: chunk
// extensions and trailer sections parsed (RFC 9112 7.1.1, 7.1.2), the request
// target's form checked against the method (3.2), CONNECT, empty lines before
// a request line (2.2), optional whitespace in header values, and nothing read
// after a request or response that ends the connection (9.6). Every refusal is
// one response and a close, nothing hidden behind it is interpreted, and the
// process keeps serving with its fd count back where it was.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker, Response } from 'netwright';
import { harness, T, T_LONG } from './helpers/harness.mjs';
import { finals, waitResponses, httpServer, get, assertRecovered, once, settle, sleep, until } from './helpers/http-client.mjs';

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n';
const CHUNKED = 'POST /c HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n';

/** A worker that records each request it is handed (method, target, body) and answers "ok <path>". */
async function recordingServer(h, props = {}, answer = (c, r) => c.send(new Response(200, {}, `ok ${r.path}`))) {
  const seen = [];
  const worker = await httpServer(h, (c, r) => {
    if (r.path !== '/still-serving') seen.push({ method: r.method, uri: r.uri, path: r.path, body: r.rawBody(), request: r });
    answer(c, r);
  }, props);
  return { worker, seen };
}

/** Writes `parts` (with a pause between them, so that each is read on its own) on a fresh connection. */
async function send(h, worker, parts) {
  const c = await h.connect(worker.port);
  for (let i = 0; i < parts.length; i++) {
    if (i) await sleep(3);
    if (parts[i].length) c.write(parts[i]);
  }
  return c;
}

/** Exactly one response with `status`, then the close; nothing reached onMessage; the process recovers. */
async function expectRejected(h, srv, parts, status, what) {
  const { worker, seen } = srv;
  const before = await settle(worker);
  const seenBefore = seen.length;
  const c = await send(h, worker, Array.isArray(parts) ? parts : [parts]);
  await c.waitEnd(5000).catch((e) => { throw new Error(`${what}: server did not close (${e.message}); got ${JSON.stringify(c.text.slice(0, 200))}`); });
  await sleep(30);
  const responses = finals(c);
  assert.equal(responses.length, 1, `${what}: exactly one response: ${JSON.stringify(c.text.slice(0, 400))}`);
  assert.equal(responses[0].status, status, `${what}: status; got ${JSON.stringify(c.text.slice(0, 200))}`);
  assert.equal(responses[0].header('connection')?.toLowerCase(), 'close', `${what}: Connection: close`);
  assert.deepEqual(seen.slice(seenBefore).map((s) => s.uri), [], `${what}: no request reached onMessage`);
  c.destroy();
  await assertRecovered(h, worker, before, what);
  return responses[0];
}

/** Every way of cutting `bytes` in two. */
function twoPartSplits(bytes) {
  const splits = [];
  for (let k = 1; k < bytes.length; k++) splits.push([bytes.slice(0, k), bytes.slice(k)]);
  return splits;
}

// ------------------------------------------------------------ chunk extensions

test('chunk extensions that follow the grammar are accepted and ignored', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const bodies = [
    '5;a=b\r\nhello\r\n0\r\n\r\n',
    '5;a\r\nhello\r\n0;last\r\n\r\n',
    '5 ;a = b ;\tc=\t"q \\" ;\\\\ \x80"\r\nhello\r\n0\r\n\r\n', // BWS, quoted string, quoted pairs, obs-text
    '2;a="";b=x;c\r\nhe\r\n3;z="\\""\r\nllo\r\n0\r\n\r\n',
  ];
  for (const body of bodies) {
    const [r] = await once(h, srv.worker, Buffer.from(CHUNKED + body, 'latin1'));
    assert.equal(r.status, 200, JSON.stringify(body));
    assert.equal(srv.seen.at(-1).body, 'hello', JSON.stringify(body));
  }
  assert.equal(srv.seen.length, bodies.length);
});

const BAD_EXTENSIONS = [
  ['empty extension', '2;\r\naa\r\n0\r\n\r\n'],
  ['empty extension between two', '2;a;;b\r\naa\r\n0\r\n\r\n'],
  ['extension without a name', '2;=b\r\naa\r\n0\r\n\r\n'],
  ['extension with "=" and no value', '2;a=\r\naa\r\n0\r\n\r\n'],
  ['two tokens in a value', '2;a=b c\r\naa\r\n0\r\n\r\n'],
  ['whitespace before the line end', '2;a \r\naa\r\n0\r\n\r\n'],
  ['whitespace after a value before the line end', '2;a=b \r\naa\r\n0\r\n\r\n'],
  ['whitespace after the size and no extension', '2 \r\naa\r\n0\r\n\r\n'],
  ['control byte in a name', '2;a\x01b\r\naa\r\n0\r\n\r\n'],
  ['control byte in a token value', '2;a=b\x7f\r\naa\r\n0\r\n\r\n'],
  ['NUL in a quoted string', '2;a="b\x00"\r\naa\r\n0\r\n\r\n'],
  ['control byte after a backslash', '2;a="\\\x01"\r\naa\r\n0\r\n\r\n'],
  ['bare CR in an extension', '2;a\rb\r\naa\r\n0\r\n\r\n'],
  ['bare LF in an extension', '2;a\naa\r\n0\r\n\r\n'],
  ['bare LF after the size', '2\naa\r\n0\r\n\r\n'],
  ['extension on the last chunk with an unclosed quote', '0;a="x\r\n\r\n'],
  ['text after a quoted value', '2;a="b"c\r\naa\r\n0\r\n\r\n'],
];

for (const [what, body] of BAD_EXTENSIONS) {
  test(`chunk extension: ${what} → 400, nothing behind it read`, T, async (t) => {
    const h = harness(t);
    const srv = await recordingServer(h);
    await expectRejected(h, srv, Buffer.from(CHUNKED + body + SMUGGLED, 'latin1'), 400, what);
  });
}

test('chunk extension with an unclosed quoted string → 400 at every split of the bytes (a quote-aware peer frames it differently)', T_LONG, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const bytes = CHUNKED + '5;a="abc\r\nhello\r\n0\r\n\r\n' + SMUGGLED;
  const from = CHUNKED.length - 2;
  for (const [a, b] of twoPartSplits(bytes)) {
    if (a.length < from || a.length > CHUNKED.length + 30) continue;
    await expectRejected(h, srv, [a, b], 400, `split at ${a.length}`);
  }
});

test('chunk extensions are bounded: 16 KiB of them → 400 at once (not read until a timeout), memory and fds back', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h, { headersTimeout: 60, bodyTimeout: 60 });
  const before = await settle(srv.worker);
  const rss = process.memoryUsage().rss;
  const c = await h.connect(srv.worker.port);
  c.write(CHUNKED + '1;a=');
  const started = Date.now();
  const piece = 'x'.repeat(64 * 1024);
  // Up to 64 MiB of one extension: the server answers and closes long before.
  for (let sent = 0; sent < 64 * 1024 * 1024 && !c.ended && !c.closed; sent += piece.length) {
    if (!c.write(piece)) await Promise.race([new Promise((r) => c.socket.once('drain', r)), c.waitEnd(2000).catch(() => {})]);
  }
  await c.waitEnd(5000);
  assert.ok(Date.now() - started < 4000, 'refused without waiting for a timeout');
  const [r] = finals(c);
  assert.equal(r?.status, 400, c.text.slice(0, 200));
  assert.match(r.text, /chunk extensions too long/);
  assert.ok(process.memoryUsage().rss - rss < 32 * 1024 * 1024, 'the extension was not buffered');
  c.destroy();
  await assertRecovered(h, srv.worker, before, 'long extension');
});

test('chunk extension bytes add up over one body: many chunks each with a 1 KiB extension → 400', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const ext = `;e=${'y'.repeat(1024)}`;
  let body = '';
  for (let i = 0; i < 20; i++) body += `1${ext}\r\nz\r\n`;
  await expectRejected(h, srv, CHUNKED + body + '0\r\n\r\n', 400, '20 KiB of extensions');
});

// ------------------------------------------------------------ trailers

test('a trailer section of valid fields is accepted (and not part of the body); the next request is served', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const c = await h.connect(srv.worker.port);
  c.write(CHUNKED + '5\r\nhello\r\n0\r\nX-Checksum: abc\r\nEmpty:\r\nX-Tab:\tv\t\r\n\r\n' + get('/next'));
  const rs = await waitResponses(c, 2);
  assert.deepEqual(rs.map((r) => r.status), [200, 200]);
  assert.deepEqual(srv.seen.map((s) => [s.uri, s.body]), [['/c', 'hello'], ['/next', '']]);
});

const BAD_TRAILERS = [
  ['a line that is no field', '0\r\nfoo\r\n\r\n'],
  ['a field without a name', '0\r\n: v\r\n\r\n'],
  ['whitespace before the colon', '0\r\nX-T : v\r\n\r\n'],
  ['a tab before the colon', '0\r\nX-T\t: v\r\n\r\n'],
  ['NUL in a name', '0\r\nX\x00T: v\r\n\r\n'],
  ['NUL in a value', '0\r\nX-T: a\x00b\r\n\r\n'],
  ['a control byte in a value', '0\r\nX-T: a\x1bb\r\n\r\n'],
  ['DEL in a value', '0\r\nX-T: a\x7f\r\n\r\n'],
  ['obsolete line folding', '0\r\nX-T: a\r\n b\r\n\r\n'],
  ['a bare LF ending a field', '0\r\nX-T: a\n\r\n'],
  ['a bare LF as the last line', '0\r\n\n'],
  ['a bare CR in a value', '0\r\nX-T: a\rb\r\n\r\n'],
];

for (const [what, trailer] of BAD_TRAILERS) {
  test(`trailer: ${what} → 400, the request behind it is not answered`, T, async (t) => {
    const h = harness(t);
    const srv = await recordingServer(h);
    await expectRejected(h, srv, Buffer.from(CHUNKED + '5\r\nhello\r\n' + trailer + SMUGGLED, 'latin1'), 400, what);
  });
}

test('a trailer line that is no field → 400 at every split of the bytes', T_LONG, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const bytes = CHUNKED + '0\r\nfoo\r\n\r\n' + SMUGGLED;
  for (const [a, b] of twoPartSplits(bytes)) {
    if (a.length < CHUNKED.length) continue;
    await expectRejected(h, srv, [a, b], 400, `split at ${a.length}`);
  }
});

test('the trailer section is bounded by maxHeadSize: a larger one → 400, fds back', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h, { maxHeadSize: 4096 });
  let trailer = '0\r\n';
  for (let i = 0; i < 10; i++) trailer += `X-T${i}: ${'v'.repeat(500)}\r\n`;
  const r = await expectRejected(h, srv, CHUNKED + trailer + '\r\n', 400, '5 KB trailer');
  assert.match(r.text, /trailer section too large/);
});

// ------------------------------------------------------------ request targets

const BAD_TARGETS = [
  ['a relative path', 'GET ../../etc/passwd HTTP/1.1'],
  ['a bare name', 'GET index.html HTTP/1.1'],
  ['authority-form for GET', 'GET other.example:80 HTTP/1.1'],
  ['authority-form for POST', 'POST other.example:80 HTTP/1.1'],
  ['asterisk-form for GET', 'GET * HTTP/1.1'],
  ['a scheme other than http(s)', 'GET ftp://other.example/x HTTP/1.1'],
  ['absolute-form without a host', 'GET http:///x HTTP/1.1'],
  ['absolute-form with userinfo', 'GET http://user@other.example/x HTTP/1.1'],
  ['absolute-form with a bad port', 'GET http://other.example:99999/ HTTP/1.1'],
  ['absolute-form with a bad host', 'GET http://a"b/ HTTP/1.1'],
  ['CONNECT with origin-form', 'CONNECT /x HTTP/1.1'],
  ['CONNECT without a port', 'CONNECT other.example HTTP/1.1'],
  ['CONNECT with absolute-form', 'CONNECT http://other.example:80/ HTTP/1.1'],
];

for (const [what, line] of BAD_TARGETS) {
  test(`request target: ${what} → 400`, T, async (t) => {
    const h = harness(t);
    const srv = await recordingServer(h);
    await expectRejected(h, srv, `${line}\r\nHost: test\r\n\r\n${SMUGGLED}`, 400, what);
  });
}

test('absolute-form: its host wins over Host and request.path is its path; asterisk-form for OPTIONS', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const [a] = await once(h, srv.worker, 'GET http://Other.Example:8080/p/q?x=1 HTTP/1.1\r\nHost: test\r\n\r\n');
  assert.equal(a.status, 200);
  let r = srv.seen.at(-1).request;
  assert.equal(r.path, '/p/q');
  assert.equal(r.queryString, 'x=1');
  assert.equal(r.get('x'), '1');
  assert.equal(r.uri, 'http://Other.Example:8080/p/q?x=1');
  assert.equal(r.host(), 'Other.Example:8080');
  assert.equal(r.host(true), 'Other.Example');
  assert.equal(r.header('host'), 'Other.Example:8080');
  await once(h, srv.worker, 'GET https://[::1]:8443 HTTP/1.1\r\nHost: test\r\n\r\n');
  r = srv.seen.at(-1).request;
  assert.equal(r.path, '/');
  assert.equal(r.host(true), '[::1]');
  await once(h, srv.worker, 'GET http://h?only=query HTTP/1.1\r\nHost: test\r\n\r\n');
  assert.equal(srv.seen.at(-1).request.path, '/');
  assert.equal(srv.seen.at(-1).request.get('only'), 'query');
  const [o] = await once(h, srv.worker, 'OPTIONS * HTTP/1.1\r\nHost: test\r\n\r\n');
  assert.equal(o.status, 200);
  assert.equal(srv.seen.at(-1).method, 'OPTIONS');
  assert.equal(srv.seen.at(-1).uri, '*');
});

// ------------------------------------------------------------ CONNECT

test('CONNECT → 405 with Allow, and nothing after it is read', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const stats = Worker.getStatistics();
  const r = await expectRejected(h, srv, `CONNECT other.example:443 HTTP/1.1\r\nHost: other.example:443\r\n\r\n${SMUGGLED}`, 405, 'CONNECT');
  assert.match(r.header('allow'), /GET/);
  assert.doesNotMatch(r.header('allow'), /CONNECT/);
  assert.ok(Worker.getStatistics().httpErrors > stats.httpErrors);
  // A CONNECT with a body is not framed by anyone the same way: 400.
  await expectRejected(h, srv, `CONNECT other.example:443 HTTP/1.1\r\nHost: x\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`, 400, 'CONNECT with a body');
});

test('worker.allowConnect: CONNECT reaches onMessage; nothing after it is read; the connection closes after the response', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h, { allowConnect: true }, (c, r) =>
    c.send(r.method === 'CONNECT' ? new Response(407, { 'Proxy-Authenticate': 'Basic' }, 'auth') : 'ok'));
  const before = await settle(srv.worker);
  const c = await h.connect(srv.worker.port);
  c.write(`CONNECT other.example:443 HTTP/1.1\r\nHost: other.example:443\r\n\r\n${SMUGGLED}garbage\r\n\r\n`);
  await c.waitEnd();
  await sleep(30);
  const rs = finals(c);
  assert.deepEqual(rs.map((x) => x.status), [407]);
  assert.equal(rs[0].header('proxy-authenticate'), 'Basic');
  assert.equal(rs[0].header('connection'), 'close');
  assert.deepEqual(srv.seen.map((s) => `${s.method} ${s.uri}`), ['CONNECT other.example:443']);
  c.destroy();
  await assertRecovered(h, srv.worker, before, 'allowed CONNECT');
});

// ------------------------------------------------------------ empty lines before the request line

test('empty lines before a request line are ignored (an old client\'s CRLF after a POST body), at every split', T_LONG, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const [r] = await once(h, srv.worker, '\r\n' + get('/one'));
  assert.equal(r.status, 200);
  const [r2] = await once(h, srv.worker, '\r\n\r\n\r\n' + get('/three'));
  assert.equal(r2.status, 200);
  const bytes = 'POST /p HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\nab\r\n' + get('/after');
  const bodyEnd = bytes.indexOf('ab') + 2;
  for (const [a, b] of twoPartSplits(bytes)) {
    if (a.length < bodyEnd - 1 || a.length > bodyEnd + 6) continue;
    srv.seen.length = 0;
    const c = await send(h, srv.worker, [a, b]);
    const rs = await waitResponses(c, 2);
    assert.deepEqual(rs.map((x) => x.status), [200, 200], `split at ${a.length}`);
    assert.deepEqual(srv.seen.map((s) => [s.uri, s.body]), [['/p', 'ab'], ['/after', '']], `split at ${a.length}`);
    c.destroy();
  }
});

test('empty lines before a request line are bounded (8), and a bare LF is still refused', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const [ok] = await once(h, srv.worker, '\r\n'.repeat(8) + get('/eight'));
  assert.equal(ok.status, 200);
  srv.seen.length = 0;
  await expectRejected(h, srv, '\r\n'.repeat(9) + get('/nine'), 400, 'nine empty lines');
  await expectRejected(h, srv, ['\r\n'.repeat(5), '\r\n'.repeat(4) + get('/nine')], 400, 'nine empty lines in two reads');
  await expectRejected(h, srv, '\n' + get('/lf'), 400, 'a bare LF');
  await expectRejected(h, srv, '\r\r\n' + get('/cr'), 400, 'a bare CR');
});

// ------------------------------------------------------------ header values

test('request.header() strips only SP and HTAB around a value (not NBSP or other Unicode spaces)', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  await once(h, srv.worker, Buffer.from('GET / HTTP/1.1\r\nHost: test\r\nX-A: \t \xa0v\xa0\t \r\nX-B:\x85w\x85\r\nX-C: \t\r\n\r\n', 'latin1'));
  const r = srv.seen.at(-1).request;
  assert.equal(r.header('x-a'), '\u00a0v\u00a0');
  assert.equal(r.header('x-b'), '\u0085w\u0085');
  assert.equal(r.header('x-c'), '');
});

// ------------------------------------------------------------ nothing read after the last request

test('after a request with Connection: close (or an HTTP/1.0 one), nothing after it is parsed or answered', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h);
  const cases = [
    ['Connection: close, then a request', get('/a', { Connection: 'close' }) + get('/b')],
    ['Connection: close, then garbage', get('/a', { Connection: 'close' }) + 'garbage\r\n\r\n'],
    ['HTTP/1.0, then a request', get('/a', {}, '1.0') + get('/b')],
    ['Connection: close with a body, then garbage', 'POST /a HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx\x01\x02 nonsense\r\n\r\n'],
  ];
  for (const [what, bytes] of cases) {
    srv.seen.length = 0;
    const before = await settle(srv.worker);
    const c = await h.connect(srv.worker.port);
    c.write(bytes);
    await c.waitEnd();
    await sleep(30);
    assert.deepEqual(finals(c).map((r) => r.status), [200], `${what}: ${JSON.stringify(c.text)}`);
    assert.deepEqual(srv.seen.map((s) => s.uri), ['/a'], what);
    c.destroy();
    await assertRecovered(h, srv.worker, before, what);
  }
});

test('after a response with Connection: close, what the client pipelined behind it is neither parsed nor answered', T, async (t) => {
  const h = harness(t);
  const srv = await recordingServer(h, {}, (c, r) => c.send(new Response(200, { Connection: 'close' }, `bye ${r.path}`)));
  for (const tail of [get('/b'), 'garbage\r\n\r\n', get('/b') + 'garbage\r\n\r\n']) {
    srv.seen.length = 0;
    const before = await settle(srv.worker);
    const c = await h.connect(srv.worker.port);
    c.write(get('/a') + tail);
    await c.waitEnd();
    await sleep(30);
    const rs = finals(c);
    assert.deepEqual(rs.map((r) => r.status), [200], JSON.stringify(c.text));
    assert.equal(rs[0].text, 'bye /a');
    assert.deepEqual(srv.seen.map((s) => s.uri), ['/a']);
    c.destroy();
    await assertRecovered(h, srv.worker, before, JSON.stringify(tail));
  }
  // An asynchronous close response: a request read meanwhile gets nothing after it.
  const later = await recordingServer(h, {}, (c, r) => setTimeout(() => c.send(new Response(200, { Connection: 'close' }, 'late')), 20));
  const c = await h.connect(later.worker.port);
  c.write(get('/a'));
  await sleep(5);
  c.write(get('/b'));
  await c.waitEnd();
  await sleep(50);
  assert.deepEqual(finals(c).map((r) => r.text), ['late']);
  await until(() => later.worker.connections.size === 0, 'closed');
});
