// The Response API on the wire: status, headers, cookies, bodies; withFile()
// (whole, offset/length, Range/206, 416, If-Modified-Since/304, content types,
// HEAD), pipelined file responses in order, a 20 MB file streamed to a
// slow reader without the server's memory growing by the file size, and
// server-sent events.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Response, Chunk, ServerSentEvents } from 'netwright';
import { harness, T, T_LONG, sleep, until, deadline } from './helpers/harness.mjs';
import { waitResponses, httpServer, get, rawExchange, settle, fdCount } from './helpers/http-client.mjs';

const UNDER_ASAN = process.env.NETWRIGHT_ASAN === '1'; // set by scripts/test-asan.sh

function tmpDir(t, name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nw-http-${name}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function ask(h, worker, bytes, opts) {
  const { client, responses } = await rawExchange(h, worker.port, bytes, opts);
  client.destroy();
  return responses[0];
}

// ------------------------------------------------------------------ Response object

test('Response: constructor defaults and accessors', T, () => {
  const r = new Response();
  assert.equal(r.getStatusCode(), 200);
  assert.deepEqual(r.getHeaders(), {});
  assert.equal(r.getHeader('x'), undefined);
  const r2 = new Response(201, { 'X-A': '1', 'Content-Type': 'text/plain' }, 'made');
  assert.equal(r2.getStatusCode(), 201);
  assert.equal(r2.getHeader('x-a'), '1', 'getHeader is case-insensitive');
  assert.equal(r2.getHeader('content-type'), 'text/plain');
  assert.deepEqual(r2.getHeaders(), { 'X-A': '1', 'Content-Type': 'text/plain' });
  // with* return the same response (chainable)
  assert.equal(r2.withStatus(404), r2);
  assert.equal(r2.withHeader('X-B', '2'), r2);
  assert.equal(r2.withHeaders({ 'X-C': '3' }), r2);
  assert.equal(r2.withoutHeader('X-A'), r2);
  assert.equal(r2.withBody('x'), r2);
  assert.equal(r2.cookie('c', 'v'), r2);
  assert.equal(r2.getStatusCode(), 404);
  assert.equal(r2.getHeader('X-A'), undefined);
  assert.equal(r2.getHeader('x-b'), '2');
  assert.equal(r2.getHeader('x-c'), '3');
  assert.match(r2.getHeader('set-cookie'), /^c=v/);
});

test('Response refuses header injection', T, () => {
  assert.throws(() => new Response(200, { 'X-A': 'a\r\nX-Evil: 1' }), TypeError);
  assert.throws(() => new Response().withHeader('X-A', 'a\nb'), TypeError);
  assert.throws(() => new Response().withHeader('Bad Name', 'v'), TypeError);
  assert.throws(() => new Response().withHeader('X\r\nEvil', 'v'), TypeError);
  assert.throws(() => new Response().cookie('a', 'b\r\nSet-Cookie: evil=1'), TypeError);
});

test('Response on the wire: status, reason, headers, withoutHeader, withBody, cookies', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c, r) => {
    switch (r.path) {
      case '/created':
        return c.send(new Response(201, { 'X-A': '1', 'X-Multi': ['a', 'b'], 'Content-Type': 'text/plain; charset=utf-8' }, 'créé'));
      case '/chain':
        return c.send(new Response(200, { 'X-Gone': 'x', 'X-Keep': 'k' }, 'old')
          .withStatus(404).withHeader('X-New', 'n').withHeaders({ 'X-One': '1', 'X-Two': 2 })
          .withoutHeader('x-gone').withHeader('X-Keep', 'replaced').withBody('new body'));
      case '/reason':
        return c.send(new Response().withStatus(299, 'Custom Reason').withBody('r'));
      case '/cookies':
        return c.send(new Response(200, {}, 'c')
          .cookie('plain', 'v1')
          .cookie('full', 'v2', { maxAge: 60, path: '/x', domain: 'example.com', secure: true, httpOnly: true, sameSite: 'Strict' }));
      case '/buffer':
        return c.send(new Response(200, { 'Content-Type': 'application/octet-stream' }, Buffer.from([1, 2, 3])));
      case '/empty':
        return c.send(new Response(200));
      case '/204':
        return c.send(new Response(204, {}, 'ignored'));
      default:
        return c.send(new Response(500));
    }
  });
  const c = await h.connect(worker.port);
  c.write(['/created', '/chain', '/reason', '/cookies', '/buffer', '/empty', '/204', '/after'].map((p) => get(p)).join(''));
  const [created, chain, reason, cookies, buffer, empty, noContent, after] = await waitResponses(c, 8);

  assert.equal(created.status, 201);
  assert.equal(created.reason, 'Created');
  assert.equal(created.header('x-a'), '1');
  assert.deepEqual(created.headers['x-multi'], ['a', 'b'], 'an array value → one header line per value');
  assert.equal(created.header('content-type'), 'text/plain; charset=utf-8');
  assert.equal(created.header('content-length'), String(Buffer.byteLength('créé')));
  assert.equal(created.text, 'créé');

  assert.equal(chain.status, 404);
  assert.equal(chain.reason, 'Not Found');
  assert.equal(chain.header('x-gone'), undefined);
  assert.equal(chain.header('x-new'), 'n');
  assert.equal(chain.header('x-one'), '1');
  assert.equal(chain.header('x-two'), '2');
  assert.deepEqual(chain.headers['x-keep'], ['replaced'], 'withHeader replaces');
  assert.equal(chain.text, 'new body');

  assert.equal(reason.status, 299);
  assert.equal(reason.reason, 'Custom Reason');

  const sc = cookies.headers['set-cookie'];
  assert.equal(sc.length, 2, 'one Set-Cookie line per cookie');
  assert.equal(sc[0], 'plain=v1');
  assert.match(sc[1], /^full=v2; /);
  for (const attr of ['Max-Age=60', 'Path=/x', 'Domain=example.com', 'Secure', 'HttpOnly', 'SameSite=Strict']) {
    assert.ok(sc[1].split('; ').includes(attr), `${attr} in ${sc[1]}`);
  }

  assert.deepEqual([...buffer.body], [1, 2, 3]);
  assert.equal(buffer.header('content-type'), 'application/octet-stream');
  assert.equal(empty.header('content-length'), '0');
  assert.equal(empty.body.length, 0);
  assert.equal(noContent.status, 204);
  assert.equal(noContent.header('content-length'), undefined, '204 has no Content-Length');
  assert.equal(after.status, 500, 'the response after 204 parses cleanly (no body was sent with 204)');
});

// ------------------------------------------------------------------ withFile

function makeFiles(t) {
  const dir = tmpDir(t, 'files');
  const bin = Buffer.alloc(100_000);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 7 + (i >> 8)) & 0xff;
  const files = {
    'hello.txt': 'hello file\n',
    'page.html': '<!doctype html><title>t</title>',
    'style.css': 'body{color:red}',
    'data.json': '{"a":1}',
    'app.js': 'console.log(1)',
    'image.png': Buffer.from('89504e470d0a1a0a', 'hex'),
    'blob.bin': bin,
    'noext': 'no extension',
  };
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
  return { dir, bin, files };
}

function fileServer(h, dir) {
  return httpServer(h, (c, r) => {
    const name = r.path.slice(1);
    const offset = r.get('offset');
    const length = r.get('length');
    const res = new Response();
    if (offset !== undefined) res.withFile(path.join(dir, name), Number(offset), length === undefined ? undefined : Number(length));
    else res.withFile(path.join(dir, name));
    c.send(res);
  });
}

test('withFile: whole file, Content-Length, Last-Modified, content type from the extension', T, async (t) => {
  const h = harness(t);
  const { dir, bin, files } = makeFiles(t);
  const worker = await fileServer(h, dir);
  const types = {
    'hello.txt': /^text\/plain/, 'page.html': /^text\/html/, 'style.css': /^text\/css/, 'data.json': /^application\/json/,
    'app.js': /^(text|application)\/javascript/, 'image.png': /^image\/png$/, 'blob.bin': /^application\/octet-stream$/,
    'noext': /^application\/octet-stream$/,
  };
  const c = await h.connect(worker.port);
  const names = Object.keys(types);
  c.write(names.map((n) => get(`/${n}`)).join(''));
  const rs = await waitResponses(c, names.length);
  names.forEach((name, i) => {
    const r = rs[i];
    const expected = Buffer.isBuffer(files[name]) ? files[name] : Buffer.from(files[name]);
    assert.equal(r.status, 200, name);
    assert.match(r.header('content-type'), types[name], `${name}: ${r.header('content-type')}`);
    assert.equal(r.header('content-length'), String(expected.length), name);
    assert.ok(r.body.equals(expected), `${name} body`);
    const mtime = fs.statSync(path.join(dir, name)).mtime;
    assert.equal(r.header('last-modified'), new Date(Math.floor(mtime.getTime() / 1000) * 1000).toUTCString(), `${name} Last-Modified`);
  });
  assert.ok(rs[6].body.equals(bin));
});

test('withFile(path, offset, length) sends that slice', T, async (t) => {
  const h = harness(t);
  const { dir, bin } = makeFiles(t);
  const worker = await fileServer(h, dir);
  let r = await ask(h, worker, get('/blob.bin?offset=10&length=20'));
  assert.equal(r.status, 200);
  assert.equal(r.header('content-length'), '20');
  assert.ok(r.body.equals(bin.subarray(10, 30)));
  r = await ask(h, worker, get('/blob.bin?offset=99990'));
  assert.equal(r.header('content-length'), '10');
  assert.ok(r.body.equals(bin.subarray(99990)));
  r = await ask(h, worker, get('/blob.bin?offset=0&length=70000'));
  assert.ok(r.body.equals(bin.subarray(0, 70000)), 'slice spanning several pieces');
});

test('withFile with Range: 206 and Content-Range (first bytes, suffix, open end, via fetch)', T, async (t) => {
  const h = harness(t);
  const { dir, bin } = makeFiles(t);
  const worker = await fileServer(h, dir);
  const size = bin.length;
  let r = await ask(h, worker, get('/blob.bin', { Range: 'bytes=0-99' }));
  assert.equal(r.status, 206);
  assert.equal(r.header('content-range'), `bytes 0-99/${size}`);
  assert.equal(r.header('content-length'), '100');
  assert.ok(r.body.equals(bin.subarray(0, 100)));
  r = await ask(h, worker, get('/blob.bin', { Range: 'bytes=-50' }));
  assert.equal(r.status, 206);
  assert.equal(r.header('content-range'), `bytes ${size - 50}-${size - 1}/${size}`);
  assert.ok(r.body.equals(bin.subarray(size - 50)));
  r = await ask(h, worker, get('/blob.bin', { Range: 'bytes=99000-' }));
  assert.equal(r.status, 206);
  assert.equal(r.header('content-range'), `bytes 99000-${size - 1}/${size}`);
  assert.ok(r.body.equals(bin.subarray(99000)));
  r = await ask(h, worker, get('/blob.bin', { Range: `bytes=5-${size + 1000}` }));
  assert.equal(r.status, 206, 'an end past the file is clamped');
  assert.equal(r.header('content-range'), `bytes 5-${size - 1}/${size}`);
  const res = await fetch(`http://127.0.0.1:${worker.port}/hello.txt`, { headers: { Range: 'bytes=6-9' } });
  assert.equal(res.status, 206);
  assert.equal(await res.text(), 'file');
});

test('withFile: unsatisfiable Range → 416 with Content-Range bytes */size; connection stays usable', T, async (t) => {
  const h = harness(t);
  const { dir, bin } = makeFiles(t);
  const worker = await fileServer(h, dir);
  const c = await h.connect(worker.port);
  c.write(get('/blob.bin', { Range: `bytes=${bin.length}-` }) + get('/blob.bin', { Range: 'bytes=200000-300000' }) + get('/hello.txt'));
  const rs = await waitResponses(c, 3);
  for (const r of rs.slice(0, 2)) {
    assert.equal(r.status, 416);
    assert.equal(r.header('content-range'), `bytes */${bin.length}`);
  }
  assert.equal(rs[2].text, 'hello file\n');
});

test('withFile: If-Modified-Since → 304 without a body; older date → 200', T, async (t) => {
  const h = harness(t);
  const { dir } = makeFiles(t);
  const mtime = new Date('2024-03-04T05:06:07Z');
  fs.utimesSync(path.join(dir, 'hello.txt'), mtime, mtime);
  const worker = await fileServer(h, dir);
  const c = await h.connect(worker.port);
  c.write(
    get('/hello.txt', { 'If-Modified-Since': mtime.toUTCString() })
    + get('/hello.txt', { 'If-Modified-Since': new Date(mtime.getTime() + 86400_000).toUTCString() })
    + get('/hello.txt', { 'If-Modified-Since': new Date(mtime.getTime() - 1000).toUTCString() })
    + get('/hello.txt', { 'If-Modified-Since': 'not a date' })
    + get('/hello.txt'),
  );
  const rs = await waitResponses(c, 5);
  assert.equal(rs[0].status, 304);
  assert.equal(rs[0].body.length, 0);
  assert.equal(rs[0].header('last-modified'), mtime.toUTCString());
  assert.equal(rs[1].status, 304, 'a later date → 304');
  assert.equal(rs[2].status, 200, 'an earlier date → 200');
  assert.equal(rs[2].text, 'hello file\n');
  assert.equal(rs[2].header('last-modified'), mtime.toUTCString());
  assert.equal(rs[3].status, 200, 'an invalid date is ignored');
  assert.equal(rs[4].text, 'hello file\n', 'nothing stray after the 304');
});

test('withFile: HEAD has the headers and no body; a missing file does not break the connection', T, async (t) => {
  const h = harness(t);
  const { dir, bin } = makeFiles(t);
  const worker = await fileServer(h, dir);
  const c = await h.connect(worker.port);
  c.write('HEAD /blob.bin HTTP/1.1\r\nHost: t\r\n\r\n' + get('/missing.txt') + get('/hello.txt'));
  const rs = await waitResponses(c, 3, { isHead: (i) => i === 0 });
  assert.equal(rs[0].status, 200);
  assert.equal(rs[0].header('content-length'), String(bin.length));
  assert.equal(rs[0].body.length, 0);
  assert.ok(rs[1].status >= 400 && rs[1].status < 500, `missing file: ${rs[1].status}`);
  assert.equal(rs[2].text, 'hello file\n');
});

test('pipelined file, string and chunked responses keep their order', T, async (t) => {
  const h = harness(t);
  const { dir, bin } = makeFiles(t);
  const worker = await httpServer(h, (c, r) => {
    if (r.path === '/file') return c.send(new Response().withFile(path.join(dir, 'blob.bin')));
    if (r.path === '/chunked') {
      c.send(new Response(200, { 'Transfer-Encoding': 'chunked' }));
      c.send(new Chunk('x'));
      return c.send(new Chunk(''));
    }
    return c.send(`text ${r.path}`);
  });
  const c = await h.connect(worker.port);
  c.write(get('/file') + get('/a') + get('/file') + get('/chunked') + get('/b'));
  const rs = await waitResponses(c, 5);
  assert.ok(rs[0].body.equals(bin));
  assert.equal(rs[1].text, 'text /a');
  assert.ok(rs[2].body.equals(bin));
  assert.equal(rs[3].text, 'x');
  assert.equal(rs[4].text, 'text /b');
});

// ------------------------------------------------------------------ large file

function gcNow() {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  gc();
  gc();
}

test('a 20 MB file is streamed to a slow reader without the server memory growing by the file size', T_LONG, async (t) => {
  const h = harness(t);
  const dir = tmpDir(t, 'large');
  const SIZE = 20 * 1024 * 1024;
  const file = path.join(dir, 'large.bin');
  const expectedHash = crypto.createHash('sha256');
  {
    const fd = fs.openSync(file, 'w');
    const piece = Buffer.alloc(1024 * 1024);
    for (let m = 0; m < SIZE / piece.length; m++) {
      for (let i = 0; i < piece.length; i += 4) piece.writeUInt32LE((m * piece.length + i) >>> 0, i);
      fs.writeSync(fd, piece);
      expectedHash.update(piece);
    }
    fs.closeSync(fd);
  }
  const expected = expectedHash.digest('hex');
  const worker = await httpServer(h, (c) => c.send(new Response().withFile(file)));
  // warm-up: one whole 2 MB slice through the same path (thread pool, slabs, stream machinery)
  // so the baseline includes the one-time costs and the comparison sees only per-file growth
  {
    const warm = await harness(t).connect(worker.port);
    warm.write(get('/large.bin', { Range: 'bytes=0-2097151' }));
    const [r] = await waitResponses(warm, 1, { ms: 10_000 });
    assert.equal(r.body.length, 2 * 1024 * 1024);
    warm.destroy();
    await until(() => worker.connections.size === 0, 'warm-up connection closed');
  }

  gcNow();
  const base = process.memoryUsage();

  // a raw socket that does not keep what it reads: only a running hash
  const socket = net.connect(worker.port, '127.0.0.1');
  t.after(() => socket.destroy());
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  let head = Buffer.alloc(0);
  let headDone = false;
  let received = 0;
  const hash = crypto.createHash('sha256');
  let contentLength = -1;
  let status = 0;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  socket.on('data', (d) => {
    if (!headDone) {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = head.subarray(0, end).toString('latin1');
      status = Number(text.split(' ')[1]);
      contentLength = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? -1);
      d = head.subarray(end + 4);
      headDone = true;
    }
    received += d.length;
    hash.update(d);
    if (received >= contentLength) done();
  });
  socket.write(get('/large.bin'));
  await until(() => headDone, 'response head', 5000);
  assert.equal(status, 200);
  assert.equal(contentLength, SIZE);

  // stop reading: the server must stop reading the file too
  socket.pause();
  await sleep(1500);
  const conn = [...worker.connections.values()][0];
  const queued = conn.getSendBufferQueueSize();
  gcNow();
  const paused = process.memoryUsage();
  const receivedWhilePaused = received;
  assert.ok(receivedWhilePaused < SIZE, 'the reader really is behind');
  assert.ok(queued <= 2 * 1024 * 1024, `server send queue bounded while the reader is stalled: ${queued} bytes`);
  const growth = (paused.rss - base.rss) / 1048576;
  const bufGrowth = (paused.arrayBuffers + paused.external - base.arrayBuffers - base.external) / 1048576;
  // Under ASan freed memory sits in its quarantine, so RSS says nothing there.
  if (!UNDER_ASAN) assert.ok(growth < 10, `RSS grew ${growth.toFixed(1)} MB for a 20 MB file`);
  assert.ok(bufGrowth < 10, `Buffer memory grew ${bufGrowth.toFixed(1)} MB for a 20 MB file`);

  // now read slowly: 100 ms pauses every ~2 MB, sampling memory and the send queue
  let maxQueued = queued;
  let maxRss = paused.rss;
  let nextPause = received + 2 * 1024 * 1024;
  socket.resume();
  const slow = (async () => {
    while (received < SIZE) {
      if (received >= nextPause) {
        socket.pause();
        maxQueued = Math.max(maxQueued, conn.getSendBufferQueueSize());
        gcNow(); // what is read and dropped is garbage until collected: measure what is live
        maxRss = Math.max(maxRss, process.memoryUsage().rss);
        await sleep(100);
        nextPause = received + 2 * 1024 * 1024;
        socket.resume();
      }
      await sleep(5);
    }
  })();
  await deadline(finished, 40_000, 'the whole 20 MB file');
  await slow;
  assert.equal(received, SIZE);
  assert.equal(hash.digest('hex'), expected, 'file content intact');
  assert.ok(maxQueued <= 2 * 1024 * 1024, `send queue stayed bounded: max ${maxQueued}`);
  t.diagnostic(`RSS: base ${(base.rss / 1048576).toFixed(1)} MB, paused +${growth.toFixed(1)} MB, max while streaming +${((maxRss - base.rss) / 1048576).toFixed(1)} MB; max send queue ${maxQueued}`);
  if (!UNDER_ASAN) assert.ok((maxRss - base.rss) / 1048576 < 10, `RSS growth while streaming: ${((maxRss - base.rss) / 1048576).toFixed(1)} MB`);
});

test('a client leaving in the middle of a file download: the file descriptor is closed, nothing leaks', T_LONG, async (t) => {
  const h = harness(t);
  const dir = tmpDir(t, 'leave');
  const file = path.join(dir, 'big.bin');
  fs.writeFileSync(file, Buffer.alloc(8 * 1024 * 1024, 7));
  const worker = await httpServer(h, (c) => c.send(new Response().withFile(file)));
  // warm-up (thread pool, etc.)
  {
    const w = await h.connect(worker.port);
    w.write(get('/', { Range: 'bytes=0-9' }));
    await waitResponses(w, 1);
    w.destroy();
  }
  for (const how of ['destroy', 'reset']) {
    const before = await settle(worker);
    const c = await h.connect(worker.port);
    c.pause();
    c.write(get('/'));
    await sleep(200);
    if (how === 'destroy') c.destroy(); else c.reset();
    await until(() => worker.connections.size === 0, 'server saw the client leave');
    let now = fdCount();
    const end = Date.now() + 3000;
    while (now !== before && Date.now() < end) { await sleep(20); now = fdCount(); }
    assert.equal(now, before, `${how}: fd count back to ${before} (file closed), got ${now}`);
  }
  const c = await h.connect(worker.port);
  c.write(get('/', { Range: 'bytes=0-3' }));
  const [r] = await waitResponses(c, 1);
  assert.equal(r.status, 206, 'still serving');
});

// ------------------------------------------------------------------ server-sent events

test('ServerSentEvents: comment, event, id, retry and multi-line data, each a line; bad fields refused', () => {
  assert.equal(String(new ServerSentEvents({ data: 'hi' })), 'data: hi\n\n');
  assert.equal(
    String(new ServerSentEvents({ '': 'keep', event: 'tick', id: 7, retry: 1000, data: 'a\nb\r\nc' })),
    ': keep\nevent: tick\nid: 7\nretry: 1000\ndata: a\ndata: b\ndata: c\n\n',
  );
  assert.throws(() => new ServerSentEvents({ event: 'x\ndata: injected' }), TypeError);
  assert.throws(() => new ServerSentEvents({ id: 'x\r' }), TypeError);
});

test('text/event-stream: headers without a length, then events as sent, until the server closes', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, async (c, r) => {
    if (r.path !== '/events') return c.send('plain');
    c.send(new Response(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' }, '\r\n'));
    c.send(new ServerSentEvents({ event: 'hello', data: 'one' }));
    await sleep(30);
    c.send(new ServerSentEvents({ id: 2, data: 'two\nlines' }));
    if (r.get('end')) c.close();
  });
  const c = await h.connect(worker.port);
  c.write(get('/events?end=1'));
  await c.waitEnd();
  const raw = c.data.toString('latin1');
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, headEnd).toLowerCase();
  assert.match(head, /^http\/1\.1 200 ok\r\n/);
  assert.match(head, /\r\ncontent-type: text\/event-stream\r\n/);
  assert.match(head, /\r\ncache-control: no-cache\r\n/);
  assert.doesNotMatch(head, /content-length|transfer-encoding/, 'the stream has no length');
  assert.equal(raw.slice(headEnd + 4), 'event: hello\ndata: one\n\nid: 2\ndata: two\ndata: lines\n\n', 'the opening body is ignored');

  // a streaming client reads events while the response is open
  const res = await fetch(`http://127.0.0.1:${worker.port}/events`);
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const reader = res.body.getReader();
  let text = '';
  while (!text.includes('lines\n\n')) text += Buffer.from((await reader.read()).value).toString();
  assert.equal(text, 'event: hello\ndata: one\n\nid: 2\ndata: two\ndata: lines\n\n');
  await reader.cancel();
});

test('ServerSentEvents outside an event stream are refused with false, not thrown', T, async (t) => {
  const h = harness(t);
  let result;
  const worker = await httpServer(h, (c) => {
    result = c.send(new ServerSentEvents({ data: 'x' }));
    c.send('fine');
  });
  const r = await ask(h, worker, get('/'));
  assert.equal(r.text, 'fine');
  assert.equal(result, false);
});

test('ServerSentEvents: numbers and booleans as values; a retry that is not a whole number is refused', () => {
  assert.equal(String(new ServerSentEvents({ data: 5, '': 0 })), ': 0\ndata: 5\n\n');
  assert.equal(String(new ServerSentEvents({ data: true })), 'data: true\n\n');
  assert.throws(() => new ServerSentEvents({ retry: 1.5 }), TypeError);
  assert.throws(() => new ServerSentEvents({ id: 'a\0b' }), TypeError);
});

test('requests pipelined behind an event stream are dropped; sends other than events return false; the process keeps serving', T, async (t) => {
  const h = harness(t);
  const seen = [];
  const results = [];
  const worker = await httpServer(h, (c, r) => {
    seen.push(r.path);
    if (r.path === '/events') {
      c.send(new Response(200, { 'Content-Type': 'text/event-stream' }));
      setTimeout(() => {
        results.push(c.send(new Response(200, {}, 'a whole response')));
        results.push(c.send('a string'));
        results.push(c.send(new Chunk('x')));
        results.push(c.send(new ServerSentEvents({ data: 'still here' })));
      }, 50);
      return;
    }
    c.send(new Response(200, {}, `answer ${r.path}`));
  });
  const c = await h.connect(worker.port);
  c.write(get('/events') + get('/behind') + get('/behind2'));
  await until(() => c.text.includes('still here'), 'the event');
  await sleep(50);
  const body = c.text.slice(c.text.indexOf('\r\n\r\n') + 4);
  assert.equal(body, 'data: still here\n\n', 'nothing but events in the stream');
  assert.deepEqual(results, [false, false, false, true]);
  assert.deepEqual(seen, ['/events'], 'requests behind the stream never reach onMessage');
  c.write(get('/more'));
  await sleep(100);
  assert.deepEqual(seen, ['/events']);
  const other = await ask(h, worker, get('/fresh'));
  assert.equal(other.text, 'answer /fresh', 'another connection is served');
});

test('HEAD to an event-stream endpoint: headers only, and the connection serves the next request', T, async (t) => {
  const h = harness(t);
  let afterHead;
  const worker = await httpServer(h, (c, r) => {
    if (r.path === '/events') {
      c.send(new Response(200, { 'Content-Type': 'text/event-stream' }));
      afterHead = c.send(new ServerSentEvents({ data: 'x' }));
      return;
    }
    c.send(`next ${r.path}`);
  });
  const c = await h.connect(worker.port);
  c.write('HEAD /events HTTP/1.1\r\nHost: t\r\n\r\n');
  await waitResponses(c, 1, { isHead: () => true });
  c.write(get('/next'));
  const rs = await waitResponses(c, 2, { isHead: (i) => i === 0 });
  assert.equal(rs[0].header('content-type'), 'text/event-stream');
  assert.equal(rs[0].body.length, 0);
  assert.equal(rs[1].text, 'next /next');
  assert.equal(afterHead, false, 'no stream after a HEAD: the event is refused');
});

test('a response to a pipelined request sent while a chunked response is open waits for its end', T, async (t) => {
  const h = harness(t);
  let streaming;
  const worker = await httpServer(h, (c, r) => {
    if (r.path === '/stream') {
      streaming = c;
      c.send(new Response(200, { 'Transfer-Encoding': 'chunked' }, 'one '));
      setTimeout(() => {
        c.send(new Chunk('two'));
        c.send(new Chunk(''));
      }, 80);
      return;
    }
    assert.equal(c.send(`after ${r.path}`), null, 'queued behind the open stream');
  });
  const c = await h.connect(worker.port);
  c.write(get('/stream') + get('/second'));
  const rs = await waitResponses(c, 2);
  assert.equal(rs[0].text, 'one two');
  assert.equal(rs[1].text, 'after /second');
  assert.ok(streaming);
});
