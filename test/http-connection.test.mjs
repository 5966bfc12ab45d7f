// HTTP connection behaviour over raw sockets: keep-alive (1.1 and 1.0),
// Connection: close both ways, pipelining, byte-by-byte delivery, HEAD,
// Expect: 100-continue, Date and Server headers, plain string/Buffer replies,
// chunked request bodies and chunked responses, and the two timeouts.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Worker, Response, Chunk } from 'netwright';
import { harness, T, T_LONG, sleep, until } from './helpers/harness.mjs';
import {
  finals, waitResponses, httpServer, get, withBody, rawExchange, settle, assertRecovered,
} from './helpers/http-client.mjs';

const okPath = (c, r) => c.send(new Response(200, {}, `ok ${r.path}`));

// ------------------------------------------------------------------ keep-alive

test('HTTP/1.1 keeps the connection alive by default: several requests on one socket', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, okPath);
  const c = await h.connect(worker.port);
  for (let i = 0; i < 3; i++) {
    c.write(get(`/r${i}`));
    const rs = await waitResponses(c, i + 1);
    assert.equal(rs[i].status, 200);
    assert.equal(rs[i].version, '1.1');
    assert.equal(rs[i].text, `ok /r${i}`);
    assert.equal(rs[i].header('connection').toLowerCase(), 'keep-alive');
  }
  await sleep(100);
  assert.ok(!c.ended && !c.closed, 'still open');
  assert.equal(worker.connections.size, 1);
});

test('HTTP/1.0 closes after the response unless keep-alive is asked', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, okPath);
  // plain 1.0: answered, then closed
  let c = await h.connect(worker.port);
  c.write('GET /plain HTTP/1.0\r\n\r\n');
  await c.waitEnd();
  let rs = finals(c);
  assert.equal(rs.length, 1);
  assert.equal(rs[0].version, '1.0', 'HTTP/1.0 answered as 1.0');
  assert.equal(rs[0].text, 'ok /plain');
  assert.notEqual(rs[0].header('connection')?.toLowerCase(), 'keep-alive');

  // 1.0 with Connection: keep-alive (any case): kept
  c = await h.connect(worker.port);
  c.write('GET /ka1 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n');
  rs = await waitResponses(c, 1);
  assert.equal(rs[0].header('connection').toLowerCase(), 'keep-alive');
  await sleep(100);
  assert.ok(!c.ended, '1.0 keep-alive connection stays open');
  c.write('GET /ka2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  rs = await waitResponses(c, 2);
  assert.equal(rs[1].text, 'ok /ka2');
  // then a 1.0 request without the token: closed after it
  c.write('GET /last HTTP/1.0\r\n\r\n');
  await c.waitEnd();
  rs = finals(c);
  assert.equal(rs.length, 3);
  assert.equal(rs[2].text, 'ok /last');
});

test('client Connection: close → response says close and the server closes', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, okPath);
  const c = await h.connect(worker.port);
  c.write(get('/bye', { Connection: 'close' }) + get('/ignored'));
  await c.waitEnd();
  await sleep(50);
  const rs = finals(c);
  assert.equal(rs.length, 1, 'nothing after the Connection: close request is answered');
  assert.equal(rs[0].header('connection').toLowerCase(), 'close');
  assert.equal(rs[0].text, 'ok /bye');
  await until(() => worker.connections.size === 0, 'server side closed');
});

test('server Connection: close header → the server closes after the response', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c, r) => c.send(new Response(200, { Connection: 'close' }, 'last')));
  const c = await h.connect(worker.port);
  c.write(get('/'));
  await c.waitEnd();
  const rs = finals(c);
  assert.equal(rs.length, 1);
  assert.equal(rs[0].text, 'last');
  assert.equal(rs[0].header('connection').toLowerCase(), 'close');
  assert.equal(rs[0].headers.connection.length, 1, 'a single Connection header');
});

test('connection.close() from the handler after sending: response delivered, then closed', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c) => { c.send('bye'); c.close(); });
  const c = await h.connect(worker.port);
  c.write(get('/'));
  await c.waitEnd();
  const rs = finals(c);
  assert.equal(rs.length, 1);
  assert.equal(rs[0].text, 'bye');
});

// ------------------------------------------------------------------ pipelining

test('10 pipelined requests in one write are answered in order', T, async (t) => {
  const h = harness(t);
  const order = [];
  const worker = await httpServer(h, (c, r) => {
    order.push(r.path);
    c.send(new Response(200, { 'X-Path': r.path }, `body of ${r.path} ${'x'.repeat(Number(r.get('n', 0)))}`));
  });
  const c = await h.connect(worker.port);
  let bytes = '';
  for (let i = 0; i < 10; i++) bytes += get(`/p${i}?n=${i * 37}`);
  c.write(bytes);
  const rs = await waitResponses(c, 10);
  assert.equal(rs.length, 10);
  rs.forEach((r, i) => {
    assert.equal(r.status, 200);
    assert.equal(r.header('x-path'), `/p${i}`);
    assert.equal(r.text, `body of /p${i} ${'x'.repeat(i * 37)}`);
  });
  assert.deepEqual(order, Array.from({ length: 10 }, (_, i) => `/p${i}`));
  await sleep(50);
  assert.equal(finals(c).length, 10, 'no extra bytes');
  assert.ok(!c.ended);
});

test('pipelined requests answered asynchronously keep their order', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c, r) => {
    setTimeout(() => c.send(`late ${r.path}`), 20);
  });
  const c = await h.connect(worker.port);
  let bytes = '';
  for (let i = 0; i < 10; i++) bytes += get(`/a${i}`);
  c.write(bytes);
  const rs = await waitResponses(c, 10);
  assert.deepEqual(rs.map((r) => r.text), Array.from({ length: 10 }, (_, i) => `late /a${i}`));
});

test('pipelined POST bodies and GETs mixed in one write', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c, r) => c.send(`${r.method} ${r.path} [${r.rawBody()}]`));
  const c = await h.connect(worker.port);
  c.write(Buffer.concat([
    withBody('POST', '/1', 'GET /fake HTTP/1.1\r\n\r\n'),
    Buffer.from(get('/2')),
    Buffer.from('PUT /3 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'),
    Buffer.from(get('/4')),
  ]));
  const rs = await waitResponses(c, 4);
  assert.deepEqual(rs.map((r) => r.text), [
    'POST /1 [GET /fake HTTP/1.1\r\n\r\n]', 'GET /2 []', 'PUT /3 [abc]', 'GET /4 []',
  ]);
});

// ------------------------------------------------------------ byte by byte

test('requests delivered byte by byte (head, Content-Length body, chunked body, pipelined)', T_LONG, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c, r) => c.send(`${r.method} ${r.uri} ${r.header('x-a')} [${r.rawBody()}]`));
  const c = await h.connect(worker.port);
  const bytes = Buffer.concat([
    Buffer.from(get('/one?q=1', { 'X-A': 'alpha' })),
    withBody('POST', '/two', 'hello body', { 'X-A': 'beta' }),
    Buffer.from('POST /three HTTP/1.1\r\nHost: t\r\nX-A: gamma\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n2;x=y\r\nef\r\n0\r\n\r\n'),
  ]);
  await c.trickle(bytes, 0);
  const rs = await waitResponses(c, 3);
  assert.deepEqual(rs.map((r) => r.text), [
    'GET /one?q=1 alpha []', 'POST /two beta [hello body]', 'POST /three gamma [abcdef]',
  ]);
});

// ------------------------------------------------------------------ HEAD

test('HEAD gets the headers of the GET but no body; the connection stays usable', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c) => c.send(new Response(200, { 'X-Kind': 'k' }, 'a body of 17 bytes')));
  const c = await h.connect(worker.port);
  c.write('HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n');
  await waitResponses(c, 1, { isHead: () => true });
  await sleep(100);
  c.write(get('/y'));
  const rs = await waitResponses(c, 2, { isHead: (i) => i === 0 });
  assert.equal(rs[0].status, 200);
  assert.equal(rs[0].header('x-kind'), 'k');
  assert.equal(rs[0].header('content-length'), '18', 'HEAD carries the GET Content-Length');
  assert.equal(rs[0].body.length, 0);
  assert.equal(rs[1].text, 'a body of 17 bytes', 'no stray HEAD body before the GET response');
});

test('HEAD with a chunked response sends no chunk bytes', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c) => {
    c.send(new Response(200, { 'Transfer-Encoding': 'chunked' }));
    c.send(new Chunk('abc'));
    c.send(new Chunk(''));
  });
  const c = await h.connect(worker.port);
  c.write('HEAD / HTTP/1.1\r\nHost: t\r\n\r\n');
  await waitResponses(c, 1, { isHead: () => true });
  await sleep(100);
  c.write(get('/after'));
  const rs = await waitResponses(c, 2, { isHead: (i) => i === 0 });
  assert.equal(rs[0].body.length, 0);
  assert.equal(rs[1].text, 'abc', 'the GET after the HEAD parses cleanly');
});

// ------------------------------------------------------------------ Expect

test('Expect: 100-continue → 100 Continue arrives before the body is sent', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c, r) => c.send(`got [${r.rawBody()}]`));
  const c = await h.connect(worker.port);
  c.write('POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n');
  await c.waitText('\r\n\r\n');
  assert.match(c.text, /^HTTP\/1\.1 100 Continue\r\n/);
  const interimLength = c.length;
  c.write('hello world');
  await c.wait((x) => finals(x).length === 1, 'final response');
  const parsed = finals(c);
  assert.equal(parsed[0].status, 200);
  assert.equal(parsed[0].text, 'got [hello world]');
  assert.ok(interimLength < c.length);
  // the same connection keeps working, and a request without Expect gets no 100
  c.write(withBody('POST', '/again', 'x'));
  await c.wait((x) => finals(x).length === 2, 'second response');
  assert.equal((c.text.match(/100 Continue/g) ?? []).length, 1);
});

// ------------------------------------------------------------------ Date / Server

const DATE_RE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

test('Date header: IMF-fixdate of the current second', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, okPath);
  const c = await h.connect(worker.port);
  // wait for the start of a second so the whole exchange fits in it
  await sleep(1000 - (Date.now() % 1000) + 20);
  const before = Date.now();
  c.write(get('/1') + get('/2'));
  const rs = await waitResponses(c, 2);
  const after = Date.now();
  for (const r of rs) {
    assert.equal(r.headers.date.length, 1);
    assert.match(r.header('date'), DATE_RE);
    const ms = Date.parse(r.header('date'));
    assert.ok(ms >= Math.floor(before / 1000) * 1000 && ms <= after, `Date ${r.header('date')} within ${new Date(before).toUTCString()}..${new Date(after).toUTCString()}`);
  }
  // a later second gets a later Date (computed once a second, not frozen)
  await sleep(1100);
  c.write(get('/3'));
  const rs2 = await waitResponses(c, 3);
  assert.ok(Date.parse(rs2[2].header('date')) > Date.parse(rs[0].header('date')), 'Date advances');
  assert.ok(Math.abs(Date.parse(rs2[2].header('date')) - Date.now()) < 2000);
});

test('Server header: netwright by default, configurable, null leaves it out, a response header wins', T, async (t) => {
  const h = harness(t);
  const w1 = await httpServer(h, okPath);
  const w2 = await httpServer(h, okPath, { serverHeader: 'custom/1.2' });
  const w3 = await httpServer(h, okPath, { serverHeader: null });
  const w4 = await httpServer(h, (c) => c.send(new Response(200, { Server: 'mine' }, 'x')));
  const server = async (w) => (await rawExchange(h, w.port, get('/'))).responses[0].headers.server;
  assert.deepEqual(await server(w1), ['netwright']);
  assert.deepEqual(await server(w2), ['custom/1.2']);
  assert.equal(await server(w3), undefined);
  assert.deepEqual(await server(w4), ['mine']);
});

// ------------------------------------------------------------------ plain replies

test('a plain string or Buffer passed to send() is a 200 text/html response', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c, r) => c.send(r.path === '/s' ? 'héllo <b>string</b>' : Buffer.from([0x62, 0x75, 0x66, 0x00, 0xff])));
  const c = await h.connect(worker.port);
  c.write(get('/s') + get('/b'));
  const rs = await waitResponses(c, 2);
  assert.equal(rs[0].status, 200);
  assert.match(rs[0].header('content-type'), /^text\/html/);
  assert.equal(rs[0].text, 'héllo <b>string</b>');
  assert.equal(rs[0].header('content-length'), String(Buffer.byteLength('héllo <b>string</b>')));
  assert.equal(rs[1].status, 200);
  assert.match(rs[1].header('content-type'), /^text\/html/);
  assert.deepEqual([...rs[1].body], [0x62, 0x75, 0x66, 0x00, 0xff]);
});

test('global fetch (undici) talks to the server: GET, POST and keep-alive reuse', T, async (t) => {
  const h = harness(t);
  const ports = new Set();
  const worker = await httpServer(h, (c, r) => { ports.add(r.remotePort); c.send(`${r.method}:${r.rawBody()}`); });
  const base = `http://127.0.0.1:${worker.port}`;
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${base}/f${i}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'GET:');
  }
  const res = await fetch(`${base}/post`, { method: 'POST', body: 'payload' });
  assert.equal(await res.text(), 'POST:payload');
  // undici may open a second socket while releasing the first (it does so against node:http
  // too), but with keep-alive honoured four requests never need four connections
  assert.ok(ports.size < 4, `fetch reused keep-alive connections (${ports.size} for 4 requests)`);
});

// ------------------------------------------------------------------ chunked responses

test('chunked response: head, chunks (string and Buffer, sent over time), terminator; connection reusable', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, async (c, r) => {
    if (r.path === '/plain') return c.send('after');
    c.send(new Response(200, { 'Transfer-Encoding': 'chunked', 'Content-Type': 'text/plain' }));
    c.send(new Chunk('first '));
    await sleep(30);
    c.send(new Chunk(Buffer.from('second ')));
    await sleep(30);
    c.send(new Chunk('dritte ü'));
    c.send(new Chunk(''));
  });
  const c = await h.connect(worker.port);
  c.write(get('/chunked'));
  const [r] = await waitResponses(c, 1);
  assert.equal(r.status, 200);
  assert.ok(r.chunked, 'Transfer-Encoding: chunked');
  assert.equal(r.header('content-length'), undefined, 'no Content-Length with chunked');
  assert.equal(r.text, 'first second dritte ü');
  // exact chunk framing on the wire
  const wireBody = c.data.subarray(c.data.indexOf('\r\n\r\n') + 4).toString('latin1');
  assert.equal(wireBody, `6\r\nfirst \r\n7\r\nsecond \r\n${Buffer.byteLength('dritte ü').toString(16)}\r\n${Buffer.from('dritte ü').toString('latin1')}\r\n0\r\n\r\n`);
  c.write(get('/plain'));
  const rs = await waitResponses(c, 2);
  assert.equal(rs[1].text, 'after');
  // and through fetch
  const res = await fetch(`http://127.0.0.1:${worker.port}/chunked`);
  assert.equal(await res.text(), 'first second dritte ü');
});

test('chunked response: the body of the opening Response is the first chunk (HTTP/1.0: raw, then close; HEAD: none)', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c) => {
    c.send(new Response(200, { 'Transfer-Encoding': 'chunked' }, 'hello'));
    c.send(new Chunk(Buffer.from(' world')));
    c.send(new Chunk(''));
  });
  const c = await h.connect(worker.port);
  c.write(get('/'));
  const [r] = await waitResponses(c, 1);
  assert.equal(r.text, 'hello world');
  assert.equal(c.data.subarray(c.data.indexOf('\r\n\r\n') + 4).toString('latin1'), '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');

  const old = await h.connect(worker.port);
  old.write(get('/', {}, '1.0'));
  await old.waitEnd();
  const raw = old.data.toString('latin1');
  assert.match(raw, /^HTTP\/1\.0 200 /);
  assert.equal(raw.slice(raw.indexOf('\r\n\r\n') + 4), 'hello world', 'HTTP/1.0: no chunk framing, the body runs to the close');

  const head = await h.connect(worker.port);
  head.write('HEAD / HTTP/1.1\r\nHost: t\r\n\r\n');
  await waitResponses(head, 1, { isHead: () => true });
  await sleep(100);
  assert.ok(head.data.toString('latin1').endsWith('\r\n\r\n'), 'HEAD: headers only');
  head.write(get('/'));
  const [, next] = await waitResponses(head, 2, { isHead: (i) => i === 0 });
  assert.equal(next.text, 'hello world', 'the connection serves the next request');
});

test('a chunked response followed by pipelined requests stays in order', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c, r) => {
    if (r.path !== '/stream') return c.send(`plain ${r.path}`);
    c.send(new Response(200, { 'Transfer-Encoding': 'chunked' }));
    setTimeout(() => { c.send(new Chunk('s1')); c.send(new Chunk('s2')); c.send(new Chunk('')); }, 30);
  });
  const c = await h.connect(worker.port);
  c.write(get('/stream'));
  const rs0 = await waitResponses(c, 1);
  c.write(get('/a') + get('/b'));
  const rs = await waitResponses(c, 3);
  assert.deepEqual([rs0[0].text, ...rs.slice(1).map((r) => r.text)], ['s1s2', 'plain /a', 'plain /b']);
});

// ------------------------------------------------------------------ timeouts

test('headersTimeout: a slow-trickle client is closed while another client is served', T_LONG, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, okPath, { headersTimeout: 1 });
  const before = await settle(worker);
  const stats0 = Worker.getStatistics();
  const slow = await h.connect(worker.port);
  const started = Date.now();
  let stop = false;
  const trickling = (async () => {
    const head = get('/slow', { 'X-Pad': 'p'.repeat(200) });
    for (let i = 0; i < head.length - 2 && !stop && !slow.ended && !slow.closed; i++) {
      slow.write(head[i]);
      await sleep(50);
    }
  })();
  // meanwhile, other clients are served promptly
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    const { client, responses } = await rawExchange(h, worker.port, get(`/fast${i}`));
    assert.equal(responses[0].text, `ok /fast${i}`);
    assert.ok(Date.now() - t0 < 500, 'a fast client is not blocked by the slow one');
    client.destroy();
    await sleep(100);
  }
  await slow.waitEnd(4000);
  const elapsed = Date.now() - started;
  stop = true;
  await trickling;
  assert.ok(elapsed >= 900 && elapsed < 3000, `closed after ~1 s of trickling (took ${elapsed} ms)`);
  const rs = finals(slow);
  assert.ok(rs.length <= 1 && rs.every((r) => r.status === 408), `at most a 408: ${JSON.stringify(slow.text.slice(0, 200))}`);
  const stats1 = Worker.getStatistics();
  assert.equal(stats1.headersTimeouts, stats0.headersTimeouts + 1, 'headersTimeouts counted');
  slow.destroy();
  await assertRecovered(h, worker, before, 'slow trickle');
});

test('headersTimeout also bounds a keep-alive connection that starts a second head and stalls', T_LONG, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, okPath, { headersTimeout: 1, keepAliveTimeout: 10 });
  const c = await h.connect(worker.port);
  c.write(get('/first'));
  await waitResponses(c, 1);
  const started = Date.now();
  c.write('GET /second HTTP/1.1\r\nHost: t\r\n'); // never finished
  await c.waitEnd(5000);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 900 && elapsed < 3000, `closed ~1 s after the partial head (took ${elapsed} ms), not after keepAliveTimeout`);
});

test('keepAliveTimeout: an idle keep-alive connection is closed; an active one is not', T_LONG, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, okPath, { keepAliveTimeout: 1 });
  const stats0 = Worker.getStatistics();
  const idle = await h.connect(worker.port);
  const busy = await h.connect(worker.port);
  idle.write(get('/idle'));
  busy.write(get('/busy0'));
  await waitResponses(idle, 1);
  const answered = Date.now();
  await waitResponses(busy, 1);
  // busy sends a request every 400 ms for 2.4 s: each resets the idle clock
  for (let i = 1; i <= 6; i++) {
    await sleep(400);
    assert.ok(!busy.ended, `active keep-alive connection still open at request ${i}`);
    busy.write(get(`/busy${i}`));
    await waitResponses(busy, i + 1);
  }
  assert.ok(idle.ended || idle.closed, 'idle connection closed');
  await idle.waitEnd(100);
  const rs = finals(idle);
  assert.equal(rs.length, 1, 'nothing sent on the idle close');
  const stats1 = Worker.getStatistics();
  assert.ok(stats1.keepAliveTimeouts >= stats0.keepAliveTimeouts + 1, 'keepAliveTimeouts counted');
  assert.ok(answered, 'ok');
});

test('keepAliveTimeout: closed not before, and not long after, the timeout', T_LONG, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, okPath, { keepAliveTimeout: 1 });
  const c = await h.connect(worker.port);
  c.write(get('/'));
  await waitResponses(c, 1);
  const t0 = Date.now();
  await c.waitEnd(4000);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 800 && elapsed < 2500, `closed after ${elapsed} ms (keepAliveTimeout 1 s)`);
  await until(() => worker.connections.size === 0, 'server side gone');
});

test('a connection that never sends anything is closed by the timeouts', T_LONG, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, okPath, { headersTimeout: 1, keepAliveTimeout: 1 });
  const c = await h.connect(worker.port);
  const t0 = Date.now();
  await c.waitEnd(4000);
  assert.ok(Date.now() - t0 < 3000);
  assert.equal(finals(c).every((r) => r.status === 408), true);
});

// ------------------------------------------------------------------ worker limits

test('maxConnections and idleTimeout apply to an HTTP worker', T_LONG, async (t) => {
  const h = harness(t);
  const limited = await httpServer(h, okPath, { maxConnections: 1 });
  const first = await h.connect(limited.port);
  first.write(get('/one'));
  await waitResponses(first, 1);
  const second = await h.connect(limited.port);
  second.write(get('/two'));
  await second.waitEnd(3000);
  assert.equal(finals(second).length, 0, 'over maxConnections: closed at accept, not answered');
  first.write(get('/again'));
  const rs = await waitResponses(first, 2);
  assert.equal(rs[1].text, 'ok /again');

  const idle = await httpServer(h, okPath, { idleTimeout: 1, keepAliveTimeout: 30, headersTimeout: 30 });
  const c = await h.connect(idle.port);
  c.write(get('/'));
  await waitResponses(c, 1);
  const t0 = Date.now();
  await c.waitEnd(4000);
  assert.ok(Date.now() - t0 < 3000, 'closed by idleTimeout');
});

test('Worker.getStatistics() has the HTTP counters', T, () => {
  const s = Worker.getStatistics();
  for (const key of ['httpErrors', 'headersTimeouts', 'keepAliveTimeouts', 'packageTooLarge', 'protocolErrors', 'headTooLarge']) {
    assert.equal(typeof s[key], 'number', key);
    assert.ok(Number.isInteger(s[key]) && s[key] >= 0, key);
  }
});
