// One port for HTTP and WebSocket: an http:// worker with worker.websocket takes
// upgrades (on the paths it names) and serves every other request as HTTP. Real
// clients: the ws package, fetch, Node's https/tls, and a raw socket where a
// test needs HTTP and then an upgrade on the same connection, pipelining, or
// bad input. Once upgraded, a connection behaves as a websocket:// worker's.
import test from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import WebSocket from 'ws';
import { HttpRequest, HttpUpgradeRequest, Response, Worker } from 'netwright';
import {
  T, T_LONG, encodeFrame, closePayload, parseServerFrames, parseHttpHead, handshakeRequest, acceptFor, OP,
  until, sleep, statDelta, fdCount, stopWorker,
} from './helpers/ws-client.mjs';
import { testCertificates } from './helpers/certs.mjs';

/** Workers and clients made by a test, stopped and closed after it. */
function harness(t) {
  const workers = [];
  const cleanups = [];
  t.after(async () => {
    for (const fn of cleanups) { try { await fn(); } catch {} }
    for (const w of workers) await stopWorker(w);
  });
  return {
    /** An http:// worker with `websocket` set; it echoes WebSocket messages and answers requests with their path. */
    serve(websocket, setup = () => {}, socketName = 'http://127.0.0.1:0', options = {}) {
      const w = new Worker(socketName, { websocket, ...options });
      workers.push(w);
      const seen = { requests: [], messages: [], upgrades: [], closes: [] };
      w.onMessage = (c, data) => {
        if (data instanceof HttpRequest) {
          seen.requests.push(data.path);
          return c.send(new Response(200, { 'Content-Type': 'text/plain' }, `http ${data.method} ${data.path}`));
        }
        seen.messages.push(data);
        c.send(data);
      };
      w.onWebSocketConnected = (c, request) => seen.upgrades.push(request.path);
      w.onWebSocketClose = (c, code) => seen.closes.push(code);
      setup(w, seen);
      w.listen();
      return { w, seen };
    },
    own(fn) { cleanups.push(fn); },
    async ws(url, options) {
      const ws = new WebSocket(url, options);
      cleanups.push(() => ws.terminate());
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`))); });
      return ws;
    },
    async raw(port) {
      const c = await RawPeer.connect(port);
      cleanups.push(() => c.socket.destroy());
      return c;
    },
  };
}

/** A socket that reads HTTP responses and then, after a 101, server frames. */
class RawPeer {
  static connect(port) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }
  constructor(socket) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.ended = false;
    socket.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); });
    socket.on('end', () => { this.ended = true; });
    socket.on('close', () => { this.ended = true; });
    socket.on('error', () => {});
  }
  write(bytes) { this.socket.write(bytes); }
  /** The next HTTP response (head and Content-Length body), taken off the buffer. */
  async response(what = 'a response') {
    let r;
    await until(() => {
      const head = parseHttpHead(this.buf);
      if (!head) return false;
      const length = head.status === 101 ? 0 : Number(head.headers['content-length'] ?? 0);
      if (head.rest.length < length) return false;
      r = { ...head, body: head.rest.subarray(0, length).toString() };
      this.buf = head.rest.subarray(length);
      return true;
    }, `${what} (have ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))})`);
    return r;
  }
  /** Frames received after the 101 so far. */
  frames() { return parseServerFrames(this.buf).frames; }
  async frame(what = 'a frame', index = 0) {
    return until(() => this.frames()[index], what);
  }
  async end(ms = 5000) { await until(() => this.ended, 'the server to close', ms); }
}

const upgradeText = (path = '/ws', extra = {}) => handshakeRequest({ path, ...extra }).text;

test('worker.websocket: default false; option and property; checked; only for http:// workers', T, async (t) => {
  const plain = new Worker('http://127.0.0.1:0');
  assert.equal(plain.websocket, false);
  const w = new Worker('http://127.0.0.1:0', { websocket: { path: '/ws' } });
  assert.deepEqual(w.websocket, { path: '/ws' });
  w.websocket = true;
  w.websocket = { path: ['/a', '/b'] };
  w.websocket = { path: (p) => p.startsWith('/live') };
  w.websocket = false;
  assert.throws(() => { w.websocket = 'yes'; }, /websocket must be true, false or \{ path \}/);
  assert.throws(() => { w.websocket = { paths: '/x' }; }, /unknown key "paths"/);
  assert.throws(() => { w.websocket = { path: 'ws' }; }, /a path starts with "\/"/);
  assert.throws(() => { w.websocket = { path: [1] }; }, /websocket.path is a path/);
  assert.throws(() => new Worker('http://127.0.0.1:0', { websocket: 3 }), TypeError);
  const wsWorker = new Worker('websocket://127.0.0.1:0', { websocket: true });
  t.after(() => wsWorker.stop());
  assert.throws(() => wsWorker.listen(), /worker.websocket is for http:\/\/ workers/);
});

test('fetch and the ws package on one port: requests reach onMessage, /ws upgrades and echoes; one listener', T, async (t) => {
  const h = harness(t);
  const protocols = [];
  const { w, seen } = h.serve({ path: '/ws' }, (w) => {
    const answer = w.onMessage;
    w.onMessage = (c, data) => { protocols.push(c.protocol); answer(c, data); };
  });
  const r = await fetch(`http://127.0.0.1:${w.port}/api?x=1`);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), 'http GET /api');
  const ws = await h.ws(`ws://127.0.0.1:${w.port}/ws`);
  const got = [];
  ws.on('message', (data, binary) => got.push({ data: binary ? data : data.toString(), binary }));
  ws.send('hello');
  ws.send(Buffer.from([1, 2, 3]));
  await until(() => got.length === 2, 'two echoes');
  assert.deepEqual(got[0], { data: 'hello', binary: false });
  assert.deepEqual([...got[1].data], [1, 2, 3]);
  assert.equal(got[1].binary, true);
  assert.deepEqual(seen.messages.map((m) => (Buffer.isBuffer(m) ? 'bytes' : m)), ['hello', 'bytes']);
  assert.deepEqual(seen.upgrades, ['/ws']);
  // HTTP goes on beside the open socket
  const r2 = await fetch(`http://127.0.0.1:${w.port}/after`);
  assert.equal(await r2.text(), 'http GET /after');
  assert.deepEqual(seen.requests, ['/api', '/after']);
  // connection.protocol says what the connection speaks: 'http' until it upgrades, then 'websocket'
  assert.deepEqual(protocols, ['http', 'websocket', 'websocket', 'http']);
});

test('the handshake hook gets the Request HTTP handlers get: get(), header(), cookie(), session() (its cookie on the 101), reject(), protocols', T, async (t) => {
  const h = harness(t);
  const hooked = [];
  const { w } = h.serve(true, (w) => {
    w.onWebSocketConnect = (c, request) => {
      hooked.push({
        isRequest: request instanceof HttpRequest,
        isUpgrade: request instanceof HttpUpgradeRequest,
        token: request.get('token'), list: request.get('ids'), query: request.query.get('token'),
        header: request.header('x-user'), headers: request.headers['x-user'], cookie: request.cookie('theme'),
        protocols: request.protocols, remote: request.remoteAddress, version: request.protocolVersion,
      });
      request.session().set('user', request.header('x-user'));
      if (request.protocols.includes('chat')) c.websocketProtocol = 'chat';
    };
  });
  const peer = await h.raw(w.port);
  peer.write(upgradeText('/live?token=t1&ids[]=1&ids[]=2', { protocols: ['other', 'chat'], headers: { 'X-User': ' alice\t', Cookie: 'theme=dark' } }));
  const r = await peer.response('the 101');
  assert.equal(r.status, 101);
  assert.equal(r.headers['sec-websocket-protocol'], 'chat');
  assert.match(r.headers['set-cookie'] ?? '', /^NWSID=[^;]+; /, 'the new session\'s cookie comes with the 101');
  const last = hooked.at(-1);
  assert.deepEqual(last, {
    isRequest: true, isUpgrade: true, token: 't1', list: ['1', '2'], query: 't1', header: 'alice', headers: 'alice',
    cookie: 'dark', protocols: ['other', 'chat'], remote: '127.0.0.1', version: '1.1',
  });
});

test('refusals on the one port: false → 403, request.reject(401, body, { WWW-Authenticate }), connection.close() → 403', T, async (t) => {
  const h = harness(t);
  const { w, seen } = h.serve(true, (w) => {
    w.onWebSocketConnect = (c, request) => {
      if (request.path === '/false') return false;
      if (request.path === '/auth') return request.reject(401, 'who are you', { 'WWW-Authenticate': 'Bearer realm="x"' });
      if (request.path === '/close') return void c.close();
      return undefined;
    };
  });
  for (const [path, status] of [['/false', 403], ['/auth', 401], ['/close', 403]]) {
    const peer = await h.raw(w.port);
    peer.write(upgradeText(path));
    const r = await peer.response(path);
    assert.equal(r.status, status, path);
    if (path === '/auth') {
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="x"');
      assert.equal(r.body, 'who are you');
    }
    await peer.end();
  }
  const ws = new WebSocket(`ws://127.0.0.1:${w.port}/auth`);
  const status = await new Promise((resolve) => ws.once('unexpected-response', (req, res) => resolve(res.statusCode)));
  assert.equal(status, 401);
  assert.deepEqual(seen.upgrades, []);
});

test('keep-alive HTTP, then an upgrade on the same connection, then frames', T, async (t) => {
  const h = harness(t);
  const { w, seen } = h.serve({ path: '/ws' });
  const peer = await h.raw(w.port);
  peer.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
  const first = await peer.response('the first response');
  assert.equal(first.body, 'http GET /first');
  assert.equal(first.headers.connection, 'keep-alive');
  peer.write('GET /second HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal((await peer.response('the second')).body, 'http GET /second');
  const { text, key } = handshakeRequest({ path: '/ws' });
  peer.write(text);
  const r = await peer.response('the 101');
  assert.equal(r.status, 101);
  assert.equal(r.headers['sec-websocket-accept'], acceptFor(key));
  peer.write(encodeFrame({ opcode: OP.TEXT, payload: 'on the same socket' }));
  const f = await peer.frame('the echo');
  assert.equal(f.opcode, OP.TEXT);
  assert.equal(f.payload.toString(), 'on the same socket');
  assert.deepEqual(seen.requests, ['/first', '/second']);
});

test('frames sent right behind the upgrade request (one write) wait for the 101 and are then read as frames', T, async (t) => {
  const h = harness(t);
  const { w } = h.serve(true, (w) => {
    w.onWebSocketConnect = () => sleep(30); // an async decision: the frames wait meanwhile
  });
  const peer = await h.raw(w.port);
  peer.write(Buffer.concat([Buffer.from(upgradeText('/ws')), encodeFrame({ opcode: OP.TEXT, payload: 'early' }), encodeFrame({ opcode: OP.TEXT, payload: 'GET / HTTP/1.1' })]));
  assert.equal((await peer.response('the 101')).status, 101);
  assert.equal((await peer.frame('the first echo', 0)).payload.toString(), 'early');
  assert.equal((await peer.frame('the second echo', 1)).payload.toString(), 'GET / HTTP/1.1', 'bytes after the upgrade are frames, never a request');
});

test('an upgrade request on a path outside worker.websocket is ordinary HTTP: onMessage answers it (404 here) and keep-alive goes on', T, async (t) => {
  const h = harness(t);
  const { w, seen } = h.serve({ path: ['/ws', '/live'] }, (w, seen) => {
    w.onMessage = (c, data) => {
      if (!(data instanceof HttpRequest)) return c.send(data);
      seen.requests.push(`${data.path} upgrade=${data.header('upgrade') ?? ''}`);
      c.send(new Response(404, {}, 'no socket here'));
    };
  });
  const peer = await h.raw(w.port);
  peer.write(upgradeText('/other'));
  const r = await peer.response('the 404');
  assert.equal(r.status, 404);
  assert.equal(r.body, 'no socket here');
  peer.write('GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal((await peer.response('the next')).status, 404);
  peer.write(upgradeText('/live'));
  assert.equal((await peer.response('the 101 on /live')).status, 101);
  assert.deepEqual(seen.requests, ['/other upgrade=websocket', '/next upgrade=']);
  // ws sees the 404 as an unexpected response
  const ws = new WebSocket(`ws://127.0.0.1:${w.port}/nope`);
  const status = await new Promise((resolve) => ws.once('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy(); }));
  assert.equal(status, 404);
  // a path predicate
  w.websocket = { path: (p) => p.startsWith('/room/') };
  await h.ws(`ws://127.0.0.1:${w.port}/room/7`);
  const ws2 = new WebSocket(`ws://127.0.0.1:${w.port}/ws`);
  assert.equal(await new Promise((resolve) => ws2.once('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy(); })), 404);
});

test('a pipelined upgrade behind a request answered later: the 101 goes after that response, in order', T, async (t) => {
  const h = harness(t);
  const { w } = h.serve(true, (w) => {
    w.onMessage = (c, data) => {
      if (!(data instanceof HttpRequest)) return c.send(`ws:${data}`);
      setTimeout(() => c.send(`late ${data.path}`), 100);
    };
  });
  const peer = await h.raw(w.port);
  peer.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n' + upgradeText('/ws'));
  const first = await peer.response('the slow response');
  assert.equal(first.status, 200);
  assert.equal(first.body, 'late /slow');
  assert.equal((await peer.response('the 101')).status, 101);
  peer.write(encodeFrame({ opcode: OP.TEXT, payload: 'x' }));
  assert.equal((await peer.frame('the echo')).payload.toString(), 'ws:x');
});

test('an invalid upgrade on an upgrading path is refused as websocket:// refuses it (426, 400) and closed; counted; elsewhere it is HTTP', T, async (t) => {
  const h = harness(t);
  const { w, seen } = h.serve({ path: '/ws' });
  const d = statDelta();
  const cases = [
    [upgradeText('/ws', { version: '8' }), 426],
    [upgradeText('/ws', { key: 'short' }), 400],
    [upgradeText('/ws', { method: 'POST' }).replace('\r\n\r\n', '\r\nContent-Length: 0\r\n\r\n'), 400],
  ];
  for (const [bytes, status] of cases) {
    const peer = await h.raw(w.port);
    peer.write(bytes);
    const r = await peer.response(`${status}`);
    assert.equal(r.status, status);
    if (status === 426) assert.equal(r.headers['sec-websocket-version'], '13');
    await peer.end();
  }
  assert.equal(d().handshakeErrors, 3);
  const peer = await h.raw(w.port);
  peer.write(upgradeText('/elsewhere', { version: '8' }));
  assert.equal((await peer.response('HTTP on another path')).body, 'http GET /elsewhere');
  assert.deepEqual(seen.upgrades, []);
});

test('upgraded connections behave as a websocket:// worker\'s: maxPackageSize → 1009, bad frames → 1002, close codes, ping/pong, idleTimeout → 1001', T_LONG, async (t) => {
  const h = harness(t);
  const { w, seen } = h.serve(true, (w) => {
    w.maxPackageSize = 1000;
    w.pingInterval = 0.5;
  });
  const big = await h.ws(`ws://127.0.0.1:${w.port}/`);
  const bigEnd = new Promise((resolve) => big.once('close', (code) => resolve(code)));
  big.send(Buffer.alloc(2000));
  assert.equal(await bigEnd, 1009);
  const bad = await h.raw(w.port);
  bad.write(upgradeText('/'));
  await bad.response('101');
  bad.write(encodeFrame({ opcode: OP.TEXT, payload: 'x', rsv: 4 }));
  const badClose = await bad.frame('the close frame');
  assert.equal(badClose.payload.readUInt16BE(0), 1002);
  const polite = await h.ws(`ws://127.0.0.1:${w.port}/`);
  let pings = 0;
  polite.on('ping', () => pings++);
  await until(() => pings >= 1, 'a keep-alive ping on the upgraded connection');
  const politeEnd = new Promise((resolve) => polite.once('close', (code, reason) => resolve([code, reason.toString()])));
  polite.close(4000, 'bye');
  assert.deepEqual(await politeEnd, [4000, ''], 'answered with the same code');
  await until(() => seen.closes.includes(4000), 'onWebSocketClose(4000)');
  w.idleTimeout = 1;
  w.pingPongIsActivity = false;
  const idle = await h.ws(`ws://127.0.0.1:${w.port}/`);
  const idleEnd = await new Promise((resolve) => idle.once('close', (code) => resolve(code)));
  assert.equal(idleEnd, 1001);
});

test('broadcast, topics and closeWebSocket reach upgraded connections only; HTTP keep-alive connections on the same worker get nothing', T, async (t) => {
  const h = harness(t);
  const { w } = h.serve({ path: '/ws' }, (w) => {
    w.onWebSocketConnected = (c, request) => { if (request.get('room')) c.subscribe(request.get('room')); };
  });
  const a = await h.ws(`ws://127.0.0.1:${w.port}/ws?room=r1`);
  const b = await h.ws(`ws://127.0.0.1:${w.port}/ws`);
  const got = { a: [], b: [] };
  a.on('message', (d) => got.a.push(d.toString()));
  b.on('message', (d) => got.b.push(d.toString()));
  const keepAlive = await h.raw(w.port);
  keepAlive.write('GET /idle HTTP/1.1\r\nHost: x\r\n\r\n');
  await keepAlive.response('the HTTP response');
  await until(() => w.connections.size === 3, 'three connections');
  assert.equal(w.broadcast('to all'), 2, 'written to the two WebSocket connections');
  assert.equal(w.publish('r1', 'to room'), 1);
  await until(() => got.a.length === 2 && got.b.length === 1, 'deliveries');
  assert.deepEqual(got, { a: ['to all', 'to room'], b: ['to all'] });
  await sleep(50);
  assert.equal(keepAlive.buf.length, 0, 'the HTTP connection received no frame');
  const ended = new Promise((resolve) => a.once('close', (code) => resolve(code)));
  for (const c of w.connections.values()) if (c._isWebSocket) { c.closeWebSocket(4001, 'done'); break; }
  assert.equal(await Promise.race([ended, new Promise((resolve) => b.once('close', (code) => resolve(code)))]), 4001);
});

test('backpressure on an upgraded connection: send() results, onBufferFull and onBufferDrain as on websocket://', T, async (t) => {
  const h = harness(t);
  const events = [];
  const { w } = h.serve(true, (w) => {
    w.onWebSocketConnected = (c) => {
      c.maxSendBufferSize = 64 * 1024;
      const results = [];
      // more than the kernel's socket buffers take from a reader that does not read
      const piece = Buffer.alloc(64 * 1024, 7);
      for (let i = 0; i < 300; i++) results.push(c.send(piece));
      events.push(['results', results.filter((r) => r === true).length > 0, results.includes(false)]);
    };
    w.onBufferFull = () => events.push(['full']);
    w.onBufferDrain = () => events.push(['drain']);
  });
  const peer = await h.raw(w.port);
  peer.socket.pause(); // a slow reader
  peer.write(upgradeText('/'));
  await until(() => events.some((e) => e[0] === 'full'), 'onBufferFull');
  assert.deepEqual(events.find((e) => e[0] === 'results'), ['results', true, true], 'some sends accepted, those over the limit refused');
  assert.ok(events.findIndex((e) => e[0] === 'full') < events.findIndex((e) => e[0] === 'results'), 'onBufferFull during the sends');
  peer.socket.resume();
  await until(() => events.some((e) => e[0] === 'drain'), 'onBufferDrain');
});

test('a client that leaves while onWebSocketConnect is deciding is closed at once; no fd leak', T, async (t) => {
  const h = harness(t);
  let decided = 0;
  const { w } = h.serve(true, (w) => {
    w.onWebSocketConnect = async () => { await sleep(300); decided++; };
  });
  const fds = fdCount();
  for (let i = 0; i < 5; i++) {
    const peer = await h.raw(w.port);
    peer.write(upgradeText('/'));
    await sleep(20);
    peer.socket.destroy();
  }
  await until(() => w.connections.size === 0, 'every connection closed');
  await until(() => decided === 5, 'the hooks finished');
  await sleep(50);
  assert.equal(w.connections.size, 0);
  await until(() => fdCount() <= fds, `fds back to ${fds}`);
  const r = await fetch(`http://127.0.0.1:${w.port}/still`);
  assert.equal(await r.text(), 'http GET /still');
});

test('https:// and wss:// on one port: TLS is the transport, the upgrade is the same', T, async (t) => {
  const h = harness(t);
  const certs = testCertificates();
  const { w, seen } = h.serve({ path: '/ws' }, () => {}, 'https://127.0.0.1:0', { ssl: { cert: certs.server.cert, key: certs.server.key } });
  assert.equal(w.transport, 'ssl');
  const body = await new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: w.port, path: '/secure', ca: certs.ca }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve(`${res.statusCode} ${text}`));
    }).on('error', reject);
  });
  assert.equal(body, '200 http GET /secure');
  const ws = await h.ws(`wss://127.0.0.1:${w.port}/ws`, { ca: certs.ca });
  const echo = new Promise((resolve) => ws.once('message', (d) => resolve(d.toString())));
  ws.send('over tls');
  assert.equal(await echo, 'over tls');
  assert.deepEqual(seen.upgrades, ['/ws']);
});

test('an http:// worker without worker.websocket serves an upgrade request as HTTP, as before', T, async (t) => {
  const h = harness(t);
  const { w, seen } = h.serve(false);
  const peer = await h.raw(w.port);
  peer.write(upgradeText('/ws'));
  const r = await peer.response();
  assert.equal(r.status, 200);
  assert.equal(r.body, 'http GET /ws');
  assert.deepEqual(seen.upgrades, []);
});

test('bad input on upgraded connections and HTTP ones of the same worker: each closes only itself, the port keeps serving both', T, async (t) => {
  const h = harness(t);
  const { w } = h.serve(true);
  const d = statDelta();
  const bystander = await h.ws(`ws://127.0.0.1:${w.port}/`);
  for (const bytes of [
    encodeFrame({ opcode: OP.TEXT, payload: 'x', mask: false }),
    encodeFrame({ opcode: OP.TEXT, payload: Buffer.from([0xc0, 0x80]) }),
    encodeFrame({ opcode: OP.CLOSE, payload: closePayload(1005) }),
  ]) {
    const peer = await h.raw(w.port);
    peer.write(upgradeText('/'));
    await peer.response('101');
    peer.write(bytes);
    await peer.frame('a close frame');
    await peer.end();
  }
  const http = await h.raw(w.port);
  http.write('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
  assert.equal((await http.response('400')).status, 400);
  await http.end();
  assert.equal(d().protocolErrors >= 4, true, JSON.stringify(d()));
  const echo = new Promise((resolve) => bystander.once('message', (m) => resolve(m.toString())));
  bystander.send('still open');
  assert.equal(await echo, 'still open');
  assert.equal((await fetch(`http://127.0.0.1:${w.port}/ok`)).status, 200);
});
