// websocket:// opening handshake (RFC 6455 section 4): the 101 and its
// Sec-WebSocket-Accept, the 400 / 426 / 431 refusals (and every refusal of the
// HTTP head parser, which upgrades share: bare LF, smuggling, bad fields, 414,
// 505, 417), handshakeTimeout, and
// the onWebSocketConnect / onWebSocketConnected hooks (request object, async
// accept, rejections, extra headers, subprotocol choice).
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'netwright';
import {
  T, wsHarness, wsConnect, rawConnect, handshakeRequest, acceptFor, randomKey,
  until, sleep, statDelta, OP,
} from './helpers/ws-client.mjs';

/** A server that accepts everything and echoes. */
async function acceptingServer(h, setup = () => {}) {
  return h.serve(async (w) => {
    w.onMessage = (c, d) => c.send(d);
    await setup(w);
  });
}

/** Send a request (string/Buffer), expect a response with `status`, then the server closing. */
async function expectRefusal(h, port, request, status, what) {
  const c = h.own(await rawConnect(port));
  c.write(typeof request === 'string' ? request : request.text ?? request);
  await c.waitResponse().catch((e) => { throw new Error(`${what}: ${e.message}; got ${JSON.stringify(c.raw.toString('latin1').slice(0, 200))}`); });
  assert.equal(c.response.status, status, `${what}: status line ${c.response.statusLine}`);
  await c.waitEnd().catch((e) => { throw new Error(`${what}: the server did not close after ${status}: ${e.message}`); });
  return c;
}

test('worker defaults: maxHeadSize 16384, handshakeTimeout 10, pingInterval 0, websocketType auto (strings as text frames, bytes as binary)', T, async () => {
  const w = new Worker('websocket://127.0.0.1:0');
  assert.equal(w.maxHeadSize, 16384);
  assert.equal(w.handshakeTimeout, 10);
  assert.equal(w.pingInterval, 0);
  assert.equal(w.websocketType, 'auto');
  assert.equal(w.idleTimeout, 0);
  assert.equal(w.protocol, 'websocket');
});

test('valid handshake: 101 Switching Protocols with the right Sec-WebSocket-Accept', T, async (t) => {
  const h = wsHarness(t);
  const w = await acceptingServer(h);
  const c = await h.ws(w.port); // wsConnect checks Upgrade, Connection and the accept value
  assert.match(c.response.statusLine, /^HTTP\/1\.1 101 /);
  assert.equal(c.response.headers['sec-websocket-protocol'], undefined, 'no subprotocol when none offered');
  // the RFC's own example key
  const r = handshakeRequest({ key: 'dGhlIHNhbXBsZSBub25jZQ==' });
  const c2 = await h.raw(w.port);
  c2.write(r.text);
  await c2.waitResponse();
  assert.equal(c2.response.status, 101);
  assert.equal(c2.response.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  // and the connection works
  c.text('hello');
  await c.waitMessages(1);
  assert.equal(c.messages[0].text, 'hello');
});

test('browser-style headers: Connection "keep-alive, Upgrade", mixed case names and values, extra headers', T, async (t) => {
  const h = wsHarness(t);
  const w = await acceptingServer(h);
  for (const connection of ['keep-alive, Upgrade', 'Upgrade, keep-alive', 'upgrade', 'UPGRADE', 'keep-alive,upgrade']) {
    const c = await h.ws(w.port, { connection, upgrade: 'WebSocket', headers: { Origin: 'http://127.0.0.1', 'User-Agent': 'test', 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' } });
    assert.equal(c.response.status, 101, `Connection: ${connection}`);
    assert.equal(c.response.headers['sec-websocket-extensions'], undefined, 'no extension is accepted');
  }
  // lower-case header names
  const key = randomKey();
  const raw = await h.raw(w.port);
  raw.write(`GET /x HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: ${key}\r\nsec-websocket-version: 13\r\n\r\n`);
  await raw.waitResponse();
  assert.equal(raw.response.status, 101);
  assert.equal(raw.response.headers['sec-websocket-accept'], acceptFor(key));
});

test('handshake delivered one byte at a time', T, async (t) => {
  const h = wsHarness(t);
  const w = await acceptingServer(h);
  const c = await h.raw(w.port);
  const r = handshakeRequest({ path: '/slow?x=1' });
  await c.trickle(r.text);
  await c.waitResponse();
  assert.equal(c.response.status, 101);
  assert.equal(c.response.headers['sec-websocket-accept'], acceptFor(r.key));
});

test('refusals: missing/invalid key → 400, wrong version → 426 with Sec-WebSocket-Version: 13, not GET / no Upgrade / no upgrade token → 400; each closed', T, async (t) => {
  const h = wsHarness(t);
  let connects = 0;
  const w = await acceptingServer(h, (w) => { w.onWebSocketConnect = () => { connects++; }; });
  const d = statDelta();
  const cases = [
    ['missing key', handshakeRequest({ key: null }).text, 400],
    ['key not base64', handshakeRequest({ key: 'not base64 at all!!' }).text, 400],
    ['key of 15 bytes', handshakeRequest({ key: Buffer.alloc(15, 1).toString('base64') }).text, 400],
    ['key of 17 bytes', handshakeRequest({ key: Buffer.alloc(17, 1).toString('base64') }).text, 400],
    ['empty key', handshakeRequest({ key: '' }).text, 400],
    ['not GET (POST)', handshakeRequest({ method: 'POST' }).text, 400],
    ['not GET (PUT)', handshakeRequest({ method: 'PUT' }).text, 400],
    ['no Upgrade header', handshakeRequest({ upgrade: null }).text, 400],
    ['Upgrade: h2c', handshakeRequest({ upgrade: 'h2c' }).text, 400],
    ['no Connection header', handshakeRequest({ connection: null }).text, 400],
    ['Connection without upgrade token', handshakeRequest({ connection: 'keep-alive' }).text, 400],
    ['Connection: upgrades (not the token)', handshakeRequest({ connection: 'upgrades' }).text, 400],
    ['garbage request line', 'HELLO\r\n\r\n', 400],
  ];
  for (const [what, req, status] of cases) await expectRefusal(h, w.port, req, status, what);
  for (const version of ['8', '12', '14', 'x']) {
    const c = await expectRefusal(h, w.port, handshakeRequest({ version }).text, 426, `version ${version}`);
    assert.match(c.response.headers['sec-websocket-version'] ?? '', /(^|,\s*)13(\s*,|$)/, `426 carries Sec-WebSocket-Version: 13 (version ${version})`);
  }
  // a missing version is refused, with 400 or 426
  const mv = await h.raw(w.port);
  mv.write(handshakeRequest({ version: null }).text);
  await mv.waitResponse();
  assert.ok([400, 426].includes(mv.response.status), `missing version: ${mv.response.statusLine}`);
  await mv.waitEnd();
  assert.equal(connects, 0, 'onWebSocketConnect is not called for a refused handshake');
  const delta = d();
  console.log('# handshake refusal counters:', JSON.stringify(Object.fromEntries(Object.entries(delta).filter(([, v]) => v))));
  assert.ok('handshakeErrors' in Worker.getStatistics(), 'getStatistics() has handshakeErrors');
  assert.equal(delta.handshakeErrors, cases.length + 5, 'each refused handshake is counted');
  // the server still serves
  const ok = await h.ws(w.port);
  ok.text('still');
  await ok.waitMessages(1);
});

/** A valid upgrade request with its CRLFs turned into bare LFs. */
function bareLf(text) {
  return text.replaceAll('\r\n', '\n');
}

test('the HTTP head rules hold for upgrades: bare LF, smuggling, bad fields, long lines and versions are refused with the HTTP statuses; nothing reaches onWebSocketConnect', T, async (t) => {
  // One head parser for HTTP requests and upgrades (native/protocol/http/head.h): the upgrade
  // used to take a bare LF as a line end and let through what an HTTP request is refused for.
  const h = wsHarness(t);
  let connects = 0;
  const w = await acceptingServer(h, (w) => { w.onWebSocketConnect = () => { connects++; }; });
  const d = statDelta();
  const valid = handshakeRequest().text;
  const withLines = (extra) => valid.slice(0, -2) + extra + '\r\n';
  const cases = [
    ['bare LF line ends', bareLf(valid), 400],
    ['one bare LF among CRLFs', withLines('X-A: 1\n'), 400],
    ['two Host headers', handshakeRequest({ headers: { Host: 'other.example' } }).text, 400],
    ['no Host header', handshakeRequest({ host: null }).text, 400],
    ['Content-Length with Transfer-Encoding', handshakeRequest({ headers: { 'Content-Length': '5', 'Transfer-Encoding': 'chunked' } }).text, 400],
    ['a body (Content-Length: 5): it would be read as frames', handshakeRequest({ headers: { 'Content-Length': '5' } }).text + 'hello', 400],
    ['differing Content-Lengths', handshakeRequest({ headers: { 'Content-Length': '0', 'content-length': '5' } }).text, 400],
    ['obsolete line folding', withLines('X-Folded: a\r\n b\r\n'), 400],
    ['space inside a header name', withLines('Bad Name: x\r\n'), 400],
    ['whitespace before the colon', withLines('Upgrade : websocket\r\n'), 400],
    ['NUL in a header value', withLines('X-A: a\x00b\r\n'), 400],
    ['control byte in a header value', withLines('X-A: a\x01b\r\n'), 400],
    ['CR alone in a header value', withLines('X-A: a\rb\r\n'), 400],
    ['control byte in the target', handshakeRequest({ path: '/a\x01b' }).text, 400],
    ['HTTP/1.0', handshakeRequest({ httpVersion: 'HTTP/1.0' }).text, 400],
    ['HTTP/1.2', handshakeRequest({ httpVersion: 'HTTP/1.2' }).text, 505],
    ['an unknown expectation', handshakeRequest({ headers: { Expect: 'the-unexpected' } }).text, 417],
  ];
  for (const [what, req, status] of cases) await expectRefusal(h, w.port, req, status, what);
  // Decided at the first bare LF, without waiting for a blank line that may never come.
  await expectRefusal(h, w.port, 'GET / HTTP/1.1\nHost: 127.0.0.1\n', 400, 'a bare LF before the head ends');
  const delta = d();
  assert.equal(delta.handshakeErrors, cases.length + 1, `each refused upgrade is counted: ${JSON.stringify(delta)}`);
  // The limits are the HTTP ones too: a request line over 8 KiB is 414, more than 100 fields 431.
  const d2 = statDelta();
  await expectRefusal(h, w.port, handshakeRequest({ path: '/' + 'a'.repeat(8300) }).text, 414, 'request line of 8.3 KB');
  const fields = {};
  for (let i = 0; i < 100; i++) fields[`X-H${i}`] = '1';
  await expectRefusal(h, w.port, handshakeRequest({ headers: fields }).text, 431, '105 header lines in 2 KB');
  assert.equal(d2().headTooLarge, 2, '414 and 431 counted in headTooLarge');
  assert.equal(connects, 0, 'onWebSocketConnect is not called for a refused upgrade');
  // What the rules allow still upgrades: an empty body, OWS around values, tabs inside them.
  const ok = await h.raw(w.port);
  const r = handshakeRequest({ headers: { 'Content-Length': '0', 'X-Tab': 'a\tb', 'X-Spaces': '  v  ' } });
  ok.write(r.text);
  await ok.waitResponse();
  assert.equal(ok.response.status, 101);
  assert.equal(ok.response.headers['sec-websocket-accept'], acceptFor(r.key));
});

test('a refused upgrade in pieces gets the same answer as whole: bare LF, folding, two Hosts, one byte at a time', T, async (t) => {
  const h = wsHarness(t);
  const w = await acceptingServer(h);
  for (const [what, text] of [
    ['bare LF', bareLf(handshakeRequest().text)],
    ['folding', handshakeRequest({ headers: { 'X-A': '1\r\n b' } }).text],
    ['two Hosts', handshakeRequest({ headers: { Host: 'b' } }).text],
  ]) {
    const c = h.own(await rawConnect(w.port));
    // One byte at a time until the answer comes (a bare LF is refused before the head ends).
    for (let i = 0; i < text.length && c.raw.length === 0 && !c.ended; i++) {
      c.socket.write(text[i], 'latin1');
      await sleep(1);
    }
    await c.waitResponse().catch((e) => { throw new Error(`${what}: ${e.message}`); });
    assert.equal(c.response.status, 400, `${what}: ${c.response.statusLine}`);
    await c.waitEnd();
  }
});

test('head over maxHeadSize (16384) → 431 and close, even before the head ends; under it → 101', T, async (t) => {
  const h = wsHarness(t);
  const w = await acceptingServer(h);
  // 16000 bytes total: accepted
  const base = handshakeRequest({ headers: { 'X-Pad': 'a' } }).text;
  const padOk = 'a'.repeat(16000 - base.length + 1);
  const okReq = handshakeRequest({ headers: { 'X-Pad': padOk } });
  assert.ok(okReq.text.length <= 16000);
  const ok = await h.raw(w.port);
  ok.write(okReq.text);
  await ok.waitResponse();
  assert.equal(ok.response.status, 101, 'a 16000-byte head is accepted');
  // 17000 bytes: 431
  const d = statDelta();
  const big = handshakeRequest({ headers: { 'X-Pad': 'b'.repeat(17000) } }).text;
  await expectRefusal(h, w.port, big, 431, 'head of 17000 bytes');
  // a head that never ends: 431 once 16384 bytes have arrived without CRLFCRLF
  const c = await h.raw(w.port);
  c.write('GET / HTTP/1.1\r\nX-Long: ' + 'c'.repeat(20000));
  await c.waitResponse().catch((e) => { throw new Error(`unterminated 20000-byte head: ${e.message}`); });
  assert.equal(c.response.status, 431);
  await c.waitEnd();
  // many small header lines
  const many = {};
  for (let i = 0; i < 1000; i++) many[`X-H${i}`] = 'v'.repeat(20);
  await expectRefusal(h, w.port, handshakeRequest({ headers: many }).text, 431, '1000 header lines');
  assert.ok('headTooLarge' in Worker.getStatistics(), 'getStatistics() has headTooLarge');
  assert.equal(d().headTooLarge, 3, 'each 431 counted in headTooLarge');
});

test('maxHeadSize can be changed on the worker', T, async (t) => {
  const h = wsHarness(t);
  const w = await acceptingServer(h, (w) => { w.maxHeadSize = 1024; });
  assert.equal(w.maxHeadSize, 1024);
  await expectRefusal(h, w.port, handshakeRequest({ headers: { 'X-Pad': 'x'.repeat(1100) } }).text, 431, 'head of ~1300 bytes with maxHeadSize 1024');
  const ok = await h.ws(w.port, { headers: { 'X-Pad': 'x'.repeat(500) } });
  assert.equal(ok.response.status, 101);
});

test('handshakeTimeout: a client that never finishes the head is closed', T, async (t) => {
  const h = wsHarness(t);
  const w = await acceptingServer(h, (w) => { w.handshakeTimeout = 1; });
  assert.equal(w.handshakeTimeout, 1);
  const d = statDelta();
  const silent = await h.raw(w.port);
  const partial = await h.raw(w.port);
  partial.write('GET / HTTP/1.1\r\nHost: x\r\n');
  const started = Date.now();
  // a client that completes in time is not affected
  const ok = await h.ws(w.port);
  await Promise.all([silent.waitEnd(4000), partial.waitEnd(4000)]);
  const took = Date.now() - started;
  assert.ok(took >= 700, `closed after ${took} ms, not before the timeout`);
  assert.ok(!silent.response || silent.response.status >= 400, 'no 101 for the silent client');
  assert.ok(!ok.ended, 'the completed connection stays open');
  ok.text('alive');
  await ok.waitMessages(1);
  const delta = d();
  assert.ok('handshakeTimeouts' in Worker.getStatistics(), 'getStatistics() has handshakeTimeouts');
  assert.equal(delta.handshakeTimeouts, 2, `two handshake timeouts counted: ${JSON.stringify(delta)}`);
});

test('onWebSocketConnect gets request {method, path, query, headers, remoteAddress, remotePort}; onWebSocketConnected after the 101', T, async (t) => {
  const h = wsHarness(t);
  const seen = [];
  const w = await acceptingServer(h, (w) => {
    w.onWebSocketConnect = (c, req) => {
      seen.push({ ev: 'connect', c, req, status: c.status });
    };
    w.onWebSocketConnected = (c, req) => {
      seen.push({ ev: 'connected', c, req });
      c.send('welcome');
    };
  });
  const c = await h.ws(w.port, { path: '/chat/room?name=alice&x=1&x=2&e=%20%C3%A9', headers: { 'X-Custom-Thing': 'Value', Origin: 'http://example.test' } });
  await c.waitMessages(1);
  assert.equal(c.messages[0].text, 'welcome', 'send() from onWebSocketConnected arrives after the 101');
  await until(() => seen.length === 2, 'both hooks');
  assert.deepEqual(seen.map((s) => s.ev), ['connect', 'connected']);
  const { req } = seen[0];
  assert.equal(req.method, 'GET');
  assert.equal(req.path, '/chat/room');
  assert.ok(req.query instanceof URLSearchParams, 'query is a URLSearchParams');
  assert.equal(req.query.get('name'), 'alice');
  assert.deepEqual(req.query.getAll('x'), ['1', '2']);
  assert.equal(req.query.get('e'), ' é');
  assert.equal(req.headers['x-custom-thing'], 'Value', 'header names lower-case, values as sent');
  assert.equal(req.headers.origin, 'http://example.test');
  assert.equal(req.headers.upgrade, 'websocket');
  assert.equal(req.headers['sec-websocket-version'], '13');
  assert.equal(req.headers['X-Custom-Thing'], undefined, 'no mixed-case names');
  assert.equal(req.remoteAddress, '127.0.0.1');
  assert.equal(req.remotePort, c.localPort);
  assert.equal(seen[1].c, seen[0].c, 'same connection object in both hooks');
  assert.equal(seen[1].req.path, '/chat/room');
});

test('path without a query: query is an empty URLSearchParams', T, async (t) => {
  const h = wsHarness(t);
  let req;
  const w = await acceptingServer(h, (w) => { w.onWebSocketConnect = (c, r) => { req = r; }; });
  await h.ws(w.port, { path: '/' });
  await until(() => req, 'onWebSocketConnect');
  assert.equal(req.path, '/');
  assert.ok(req.query instanceof URLSearchParams);
  assert.equal([...req.query].length, 0);
});

test('onWebSocketConnect returning a Promise delays the 101 until it resolves', T, async (t) => {
  const h = wsHarness(t);
  let release;
  const w = await acceptingServer(h, (w) => {
    w.onWebSocketConnect = () => new Promise((resolve) => { release = resolve; });
  });
  const c = await h.raw(w.port);
  const r = handshakeRequest();
  c.write(r.text);
  await until(() => release, 'onWebSocketConnect called');
  await sleep(300);
  assert.equal(c.raw.length, 0, 'nothing sent while the Promise is pending');
  release();
  await c.waitResponse();
  assert.equal(c.response.status, 101);
  assert.equal(c.response.headers['sec-websocket-accept'], acceptFor(r.key));
  c.text('after');
  await c.waitMessages(1);
  assert.equal(c.messages[0].text, 'after');
});

test('refusing in onWebSocketConnect: false, resolve false, connection.close() → 403 and close, nothing reported', T, async (t) => {
  const h = wsHarness(t);
  const uncaught = [];
  const onUncaught = (e) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  t.after(() => process.off('uncaughtException', onUncaught));
  const connected = [];
  const w = await acceptingServer(h, (w) => {
    w.onWebSocketConnect = (c, req) => {
      switch (req.query.get('how')) {
        case 'false': return false;
        case 'resolve-false': return new Promise((resolve) => setTimeout(() => resolve(false), 10));
        case 'close': c.close(); return undefined;
        default: return undefined;
      }
    };
    w.onWebSocketConnected = (c, req) => connected.push(req.query.get('how'));
  });
  for (const how of ['false', 'resolve-false', 'close']) {
    const c = await h.raw(w.port);
    c.write(handshakeRequest({ path: `/?how=${how}` }).text);
    await c.waitResponse().catch((e) => { throw new Error(`${how}: ${e.message}`); });
    assert.equal(c.response.status, 403, `${how}: ${c.response.statusLine}`);
    await c.waitEnd().catch((e) => { throw new Error(`${how}: not closed after 403: ${e.message}`); });
  }
  assert.deepEqual(connected, [], 'onWebSocketConnected not called for a refused handshake');
  const ok = await h.ws(w.port, { path: '/?how=accept' });
  assert.equal(ok.response.status, 101);
  await until(() => connected.length === 1, 'onWebSocketConnected for the accepted one');
  assert.deepEqual(uncaught.map(String), [], 'a refusal is not an uncaught exception');
});

// The hook throwing (or its Promise rejecting) is a bug, not a refusal: the client gets 500
// and the error is raised as any callback's is. In a child process, so that the uncaught
// exception and the unhandled rejection reach that process's handlers, not the test runner.
const THROWING_HOOK_SERVER = `
  const { Worker } = await import('netwright');
  process.on('uncaughtException', (e) => process.stdout.write('CAUGHT ' + e.message + '\\n'));
  process.on('unhandledRejection', (e) => process.stdout.write('REJECTED ' + e.message + '\\n'));
  const w = new Worker('websocket://127.0.0.1:0');
  w.onMessage = (c, d) => c.send(d);
  w.onWebSocketConnect = (c, req) => {
    if (req.get('how') === 'throw') throw new Error('hook-threw');
    if (req.get('how') === 'async-throw') return (async () => { await null; throw new Error('hook-rejected'); })();
    if (req.get('how') === 'thenable') return { then: (ok, fail) => setTimeout(() => fail(new Error('thenable-failed')), 5) };
  };
  w.listen();
  process.stdout.write('PORT ' + w.port + '\\n');
`;

// The arm64 run (test/arm64-qemu.test.mjs) sets NETWRIGHT_EMULATED: an emulated Node cannot start
// a copy of itself there (no binfmt_misc), and this test needs a process of its own to crash.
const NEEDS_CHILD = process.env.NETWRIGHT_EMULATED ? { ...T, skip: `needs a child process, which cannot start under ${process.env.NETWRIGHT_EMULATED}` } : T;

test('a throwing or rejecting onWebSocketConnect answers 500 and is reported: uncaughtException, unhandledRejection', NEEDS_CHILD, async (t) => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--input-type=module', '-e', THROWING_HOOK_SERVER], { stdio: ['ignore', 'pipe', 'pipe'], cwd: process.cwd() });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const port = Number((await until(() => /PORT (\d+)/.exec(out), `the child to listen (${err})`))[1]);
  const h = wsHarness(t);
  for (const [how, report] of [['throw', 'CAUGHT hook-threw'], ['async-throw', 'REJECTED hook-rejected'], ['thenable', 'REJECTED thenable-failed']]) {
    const c = await h.raw(port);
    c.write(handshakeRequest({ path: `/?how=${how}` }).text);
    await c.waitResponse().catch((e) => { throw new Error(`${how}: ${e.message}`); });
    assert.equal(c.response.status, 500, `${how}: ${c.response.statusLine}`);
    await c.waitEnd().catch((e) => { throw new Error(`${how}: not closed after 500: ${e.message}`); });
    await until(() => out.includes(report), `${how}: "${report}" from the child (stdout ${JSON.stringify(out)})`);
  }
  // The process lives on (its handlers kept it) and still upgrades.
  const ok = await h.ws(port, { path: '/?how=accept' });
  ok.text('still here');
  await ok.waitMessages(1);
  assert.equal(ok.messages[0].text, 'still here');
  assert.equal(child.exitCode, null);
});

test('request.reject(status, body, headers) answers with that status, body and headers, then closes', T, async (t) => {
  const h = wsHarness(t);
  const w = await acceptingServer(h, (w) => {
    w.onWebSocketConnect = (c, req) => {
      if (req.path === '/async') return sleep(20).then(() => req.reject(503));
      if (req.path === '/auth') return req.reject(401, '{"error":"login"}', { 'WWW-Authenticate': 'Bearer realm="chat"', 'Content-Type': 'application/json', 'X-Multi': ['a', 'b'] });
      req.reject(401, 'nope');
      return undefined;
    };
  });
  const c = await h.raw(w.port);
  c.write(handshakeRequest({ path: '/private' }).text);
  await c.waitResponse();
  assert.equal(c.response.status, 401);
  await c.waitEnd();
  assert.equal(c.body.toString(), 'nope');
  if (c.response.headers['content-length'] !== undefined) assert.equal(c.response.headers['content-length'], '4');
  const c2 = await h.raw(w.port);
  c2.write(handshakeRequest({ path: '/async' }).text);
  await c2.waitResponse();
  assert.equal(c2.response.status, 503);
  await c2.waitEnd();
  const c3 = await h.raw(w.port);
  c3.write(handshakeRequest({ path: '/auth' }).text);
  await c3.waitResponse();
  await c3.waitEnd();
  const head = c3.raw.toString('latin1');
  assert.match(head, /^HTTP\/1\.1 401 /);
  assert.match(head, /\r\nWWW-Authenticate: Bearer realm="chat"\r\n/);
  assert.match(head, /\r\nX-Multi: a\r\nX-Multi: b\r\n/);
  assert.equal((head.match(/\r\ncontent-type:/gi) ?? []).length, 1, 'the user\'s Content-Type replaces the plain-text one');
  assert.match(head, /\r\nContent-Type: application\/json\r\n/);
  assert.equal(c3.body.toString(), '{"error":"login"}');
});

test('request.reject() checks its status and headers where it is called; the bad call throws, the server goes on', T, async (t) => {
  const h = wsHarness(t);
  const thrown = [];
  const w = await acceptingServer(h, (w) => {
    w.onWebSocketConnect = (c, req) => {
      const attempts = [
        () => req.reject(302),
        () => req.reject(600),
        () => req.reject(401.5),
        () => req.reject('401'),
        () => req.reject(401, '', { 'Bad Name': 'x' }),
        () => req.reject(401, '', { 'X-Split': 'a\r\nSet-Cookie: evil=1' }),
        () => req.reject(401, '', { 'X-Lf': 'a\nb' }),
        () => req.reject(401, '', { 'Content-Length': '0' }),
        () => req.reject(401, '', { Connection: 'keep-alive' }),
      ];
      for (const attempt of attempts) {
        try { attempt(); thrown.push(null); } catch (e) { thrown.push(e.constructor.name); }
      }
      return req.reject(400, 'checked');
    };
  });
  const c = await h.raw(w.port);
  c.write(handshakeRequest().text);
  await c.waitResponse();
  assert.equal(c.response.status, 400);
  await c.waitEnd();
  assert.equal(c.body.toString(), 'checked');
  assert.deepEqual(thrown, ['RangeError', 'RangeError', 'RangeError', 'RangeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
  assert.doesNotMatch(c.raw.toString('latin1'), /evil/);
});

test('the request has Workerman 5\'s get(name) and header(name): query parameters, headers stripped of SP/HTAB only', T, async (t) => {
  const h = wsHarness(t);
  const seen = [];
  const w = await acceptingServer(h, (w) => {
    w.onWebSocketConnect = (c, req) => {
      seen.push({
        token: req.get('token'), missing: req.get('nope'), fallback: req.get('nope', 'dflt'), list: req.get('ids'), all: req.get(),
        header: req.header('X-Token'), lower: req.header('x-token'), nbsp: req.header('x-nbsp'), none: req.header('x-none'),
        dflt: req.header('x-none', 'd'), host: req.header().host,
      });
    };
  });
  const c = await h.raw(w.port);
  c.write(Buffer.from(handshakeRequest({ path: '/chat?token=abc&ids[]=1&ids[]=2', headers: { 'X-Token': ' \tsecret\t ', 'X-Nbsp': 'v\xa0' } }).text, 'latin1'));
  await c.waitResponse();
  assert.equal(c.response.status, 101);
  assert.equal(seen.length, 1);
  const s = seen[0];
  assert.equal(s.token, 'abc');
  assert.equal(s.missing, undefined);
  assert.equal(s.fallback, 'dflt');
  assert.deepEqual(s.list, ['1', '2']);
  assert.equal(s.all.token, 'abc');
  assert.equal(s.header, 'secret');
  assert.equal(s.lower, 'secret');
  assert.equal(s.nbsp, 'v\xa0', 'a NO-BREAK SPACE is not optional whitespace');
  assert.equal(s.none, undefined);
  assert.equal(s.dflt, 'd');
  assert.equal(s.host, '127.0.0.1');
});

test('connection.headers adds response headers to the 101', T, async (t) => {
  const h = wsHarness(t);
  const w = await acceptingServer(h, (w) => {
    w.onWebSocketConnect = (c) => { c.headers = { 'X-Server': 'netwright', 'Set-Cookie': 'sid=1; HttpOnly' }; };
  });
  const c = await h.ws(w.port);
  assert.equal(c.response.headers['x-server'], 'netwright');
  assert.equal(c.response.headers['set-cookie'], 'sid=1; HttpOnly');
});

test('connection.websocketProtocol picks one of the offered subprotocols', T, async (t) => {
  const h = wsHarness(t);
  const offered = [];
  const w = await acceptingServer(h, (w) => {
    w.onWebSocketConnect = (c, req) => {
      offered.push(req.headers['sec-websocket-protocol']);
      if (req.path === '/chat') c.websocketProtocol = 'chat';
    };
  });
  const c = await h.ws(w.port, { path: '/chat', protocols: ['superchat', 'chat'] });
  assert.equal(c.response.headers['sec-websocket-protocol'], 'chat');
  assert.equal(offered[0], 'superchat, chat');
  // not chosen → no Sec-WebSocket-Protocol in the 101
  const c2 = await h.ws(w.port, { path: '/other', protocols: ['superchat'] });
  assert.equal(c2.response.headers['sec-websocket-protocol'], undefined);
  c.text('x');
  await c.waitMessages(1);
});

test('a data frame sent right after the 101 and one from onWebSocketConnected both work; server frames unmasked', T, async (t) => {
  const h = wsHarness(t);
  const w = await acceptingServer(h, (w) => {
    w.onWebSocketConnected = (c) => { c.send('hi'); };
  });
  const c = await h.ws(w.port);
  c.text('echo me');
  await c.waitMessages(2);
  assert.deepEqual(c.messages.map((m) => m.text), ['hi', 'echo me']);
  assert.equal(c.anyMasked, false);
  assert.equal(c.frames[0].opcode, OP.TEXT);
});

test('a client that leaves while onWebSocketConnect is pending: no 101, no onWebSocketConnected, cleaned up once it settles', T, async (t) => {
  const h = wsHarness(t);
  let release;
  let connected = 0;
  const closes = [];
  const w = await acceptingServer(h, (w) => {
    w.onWebSocketConnect = () => new Promise((resolve) => { release = resolve; });
    w.onWebSocketConnected = () => { connected++; };
    w.onClose = (c) => closes.push(c.id);
  });
  const c = await h.raw(w.port);
  c.write(handshakeRequest().text);
  await until(() => release, 'onWebSocketConnect');
  c.reset();
  await sleep(50);
  release();
  await until(() => closes.length === 1, 'onClose');
  await sleep(50);
  assert.equal(connected, 0);
  assert.equal(w.connections.size, 0);
  release = null;
  const c2 = await h.raw(w.port);
  c2.write(handshakeRequest().text);
  await until(() => release, 'second onWebSocketConnect');
  release();
  await c2.waitResponse();
  assert.equal(c2.response.status, 101);
  await until(() => connected === 1, 'onWebSocketConnected for the one that stayed');
});

test('clients that leave (FIN or RST) while onWebSocketConnect never settles are closed at once (no fd held by a hung hook)', T, async (t) => {
  const h = wsHarness(t);
  const closes = [];
  const w = await acceptingServer(h, (w) => {
    w.onWebSocketConnect = () => new Promise(() => {}); // never settles
    w.onClose = (c) => closes.push(c.id);
  });
  const fin = await h.raw(w.port);
  fin.write(handshakeRequest().text);
  const rst = await h.raw(w.port);
  rst.write(handshakeRequest().text);
  await until(() => w.connections.size === 2, 'two pending handshakes');
  await sleep(50);
  fin.destroy(); // FIN
  rst.reset(); // RST
  await until(() => closes.length === 2, `onClose for both (have ${closes.length})`, 3000);
  assert.equal(w.connections.size, 0);
});
