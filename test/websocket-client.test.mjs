// netwright's WebSocket client, new AsyncTcpConnection('ws://host:port/path', { headers, protocols }),
// against an npm `ws` WebSocketServer (and a raw node:net server where the
// wire itself is checked): handshake, text/binary, fragmented and large
// messages, masking with a fresh key per frame, ping/pong, close both ways,
// and CONNECT_FAIL for refused connections, refused handshakes and bad accepts.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import * as netwright from 'netwright';
import { T, T_LONG, until, deadline, sleep, acceptFor } from './helpers/ws-client.mjs';

const { AsyncTcpConnection, CONNECT_FAIL } = netwright;
let WebSocketServer;
try {
  ({ WebSocketServer } = await import('ws'));
} catch {
  WebSocketServer = null;
}
const requireAll = process.env.NETWRIGHT_REQUIRE_ALL === '1';
const opts = (o) => {
  if (!AsyncTcpConnection && !requireAll) return { ...o, skip: 'AsyncTcpConnection is not exported yet' };
  if (!WebSocketServer && !requireAll) return { ...o, skip: 'the ws package is not installed (npm install --no-save ws)' };
  return o;
};

/** A ws server on 127.0.0.1:0 that echoes; records connections and what they got. */
async function wsServer(t, options = {}, onConnection) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await deadline(new Promise((resolve) => wss.once('listening', resolve)), 5000, 'ws server listening');
  const st = { wss, port: wss.address().port, conns: [], requests: [], received: [], closes: [], pings: [], pongs: [] };
  wss.on('connection', (ws, req) => {
    st.conns.push(ws);
    st.requests.push(req);
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      st.received.push({ data, isBinary });
      if (!onConnection) ws.send(data, { binary: isBinary });
    });
    ws.on('close', (code, reason) => st.closes.push({ code, reason: reason.toString() }));
    ws.on('ping', (d) => st.pings.push(d.toString()));
    ws.on('pong', (d) => st.pongs.push(d.toString()));
    if (onConnection) onConnection(ws, req);
  });
  t.after(async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(resolve));
  });
  return st;
}

/** new AsyncTcpConnection(url, options) with recording callbacks; connect() called. */
function client(t, url, options) {
  const c = options === undefined ? new AsyncTcpConnection(url) : new AsyncTcpConnection(url, options);
  const st = { c, connected: 0, upgraded: 0, responses: [], messages: [], closed: 0, errors: [], order: [] };
  c.onConnect = () => { st.connected++; st.order.push('connect'); };
  c.onWebSocketConnect = (conn, response) => { st.upgraded++; st.responses.push(response); st.order.push('upgraded'); };
  c.onMessage = (conn, data) => { st.messages.push(data); st.order.push('message'); };
  c.onClose = () => { st.closed++; st.order.push('close'); };
  c.onError = (conn, code, msg) => { st.errors.push({ code, msg }); st.order.push('error'); };
  t.after(() => { try { c.destroy(); } catch {} });
  c.connect();
  return st;
}

test('AsyncTcpConnection is exported', opts(T), () => {
  assert.equal(typeof AsyncTcpConnection, 'function');
  assert.equal(CONNECT_FAIL, 1);
});

test('ws:// client: handshake with path, query, headers and protocols; onConnect at TCP connect, onWebSocketConnect after the 101', opts(T), async (t) => {
  const s = await wsServer(t, { handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false) });
  const st = client(t, `ws://127.0.0.1:${s.port}/room/1?user=bob`, { headers: { 'X-Token': 'abc', Origin: 'http://test' }, protocols: ['superchat', 'chat'] });
  await until(() => st.upgraded === 1, 'onWebSocketConnect');
  const req = s.requests[0];
  assert.equal(req.url, '/room/1?user=bob');
  assert.equal(req.headers['x-token'], 'abc');
  assert.equal(req.headers.origin, 'http://test');
  assert.equal(req.headers['sec-websocket-protocol'], 'superchat, chat');
  assert.equal(s.conns[0].protocol, 'chat');
  assert.deepEqual(st.errors, []);
  assert.deepEqual(st.order, ['connect', 'upgraded']);
  const response = st.responses[0];
  assert.equal(response.status, 101);
  assert.equal(response.headers.upgrade.toLowerCase(), 'websocket');
  assert.equal(response.protocol, 'chat');
  assert.equal(st.c.websocketProtocol, 'chat');
});

test('ws:// client: text ↔ string, binary ↔ Buffer; websocketType "binary" and "auto"', opts(T), async (t) => {
  const s = await wsServer(t);
  const st = client(t, `ws://127.0.0.1:${s.port}/`);
  await until(() => st.upgraded === 1, 'onWebSocketConnect');
  assert.equal(st.c.websocketType, 'auto');
  st.c.send('hello');
  await until(() => st.messages.length === 1, 'echo');
  assert.equal(st.messages[0], 'hello');
  assert.equal(s.received[0].isBinary, false);
  st.c.send(Buffer.from([0xff, 0xfe])); // by default bytes go as a binary frame
  await until(() => s.received.length === 2, 'bytes from the client');
  assert.deepEqual([s.received[1].isBinary, [...s.received[1].data]], [true, [0xff, 0xfe]]);
  await until(() => st.messages.length === 2, 'bytes echoed');
  s.conns[0].send(Buffer.from([9, 8, 7]), { binary: true });
  await until(() => st.messages.length === 3, 'binary from server');
  assert.ok(Buffer.isBuffer(st.messages[2]));
  assert.deepEqual([...st.messages[2]], [9, 8, 7]);
  st.c.websocketType = 'binary';
  st.c.send('as binary');
  st.c.websocketType = 'auto';
  st.c.send('as text');
  st.c.send(Buffer.from('as binary too'));
  await until(() => s.received.length === 5, 'server got 5');
  assert.deepEqual(s.received.slice(2).map((r) => [r.isBinary, r.data.toString()]), [[true, 'as binary'], [false, 'as text'], [true, 'as binary too']]);
});

test('ws:// client: fragmented messages from the server are reassembled', opts(T), async (t) => {
  const s = await wsServer(t, {}, () => {});
  const st = client(t, `ws://127.0.0.1:${s.port}/`);
  await until(() => st.upgraded === 1, 'onWebSocketConnect');
  const ws = s.conns[0];
  ws.send('ab', { fin: false });
  ws.ping('mid');
  ws.send('cd', { fin: false });
  ws.send('😀', { fin: true });
  ws.send(Buffer.from([1]), { binary: true, fin: false });
  ws.send(Buffer.from([2, 3]), { binary: true, fin: true });
  await until(() => st.messages.length === 2, 'two messages');
  assert.equal(st.messages[0], 'abcd😀');
  assert.deepEqual([...st.messages[1]], [1, 2, 3]);
  await until(() => s.pongs.length === 1, 'automatic pong from the client');
  assert.equal(s.pongs[0], 'mid');
});

test('ws:// client: large messages both ways (1 MiB, 4 MiB)', opts(T_LONG), async (t) => {
  const s = await wsServer(t, { maxPayload: 64 * 1024 * 1024 });
  const st = client(t, `ws://127.0.0.1:${s.port}/`);
  await until(() => st.upgraded === 1, 'onWebSocketConnect');
  st.c.websocketType = 'auto';
  const one = crypto.randomBytes(1 << 20);
  const four = 'x'.repeat(4 << 20);
  st.c.send(one);
  st.c.send(four);
  await until(() => st.messages.length === 2, 'two large echoes', 20_000);
  assert.ok(Buffer.isBuffer(st.messages[0]) && st.messages[0].equals(one));
  assert.equal(st.messages[1], four);
  assert.ok(s.received[0].data.equals(one));
});

test('ws:// client: close() → 1000 to the server, onClose once; closeWebSocket(4000, "bye")', opts(T), async (t) => {
  const s = await wsServer(t);
  const a = client(t, `ws://127.0.0.1:${s.port}/`);
  await until(() => a.upgraded === 1, 'onWebSocketConnect');
  a.c.close();
  await until(() => s.closes.length === 1, 'server close event');
  assert.equal(s.closes[0].code, 1000);
  await until(() => a.closed === 1, 'onClose');
  const b = client(t, `ws://127.0.0.1:${s.port}/`);
  await until(() => b.upgraded === 1, 'onWebSocketConnect');
  b.c.closeWebSocket(4000, 'bye');
  await until(() => s.closes.length === 2, 'server close event');
  assert.deepEqual(s.closes[1], { code: 4000, reason: 'bye' });
  await until(() => b.closed === 1, 'onClose');
  await sleep(50);
  assert.equal(a.closed + b.closed, 2, 'onClose exactly once each');
});

test('ws:// client: the server closing with 4001 reaches onClose; closeCode/closeReason', opts(T), async (t) => {
  const s = await wsServer(t);
  const st = client(t, `ws://127.0.0.1:${s.port}/`);
  await until(() => st.upgraded === 1, 'onWebSocketConnect');
  s.conns[0].close(4001, 'go away');
  await until(() => st.closed === 1, 'onClose');
  assert.equal(st.c.closeCode, 4001);
  assert.equal(st.c.closeReason, 'go away');
  await until(() => s.closes.length === 1, 'close handshake completed');
  assert.equal(s.closes[0].code, 4001, 'the client echoed the code');
});

test('ws:// client: ping(data) reaches the server; server pings are answered', opts(T), async (t) => {
  const s = await wsServer(t);
  const st = client(t, `ws://127.0.0.1:${s.port}/`);
  await until(() => st.upgraded === 1, 'onWebSocketConnect');
  st.c.ping('cli');
  await until(() => s.pings.length === 1, 'server ping event');
  assert.equal(s.pings[0], 'cli');
  s.conns[0].ping('srv');
  await until(() => s.pongs.length === 1, 'pong');
  assert.equal(s.pongs[0], 'srv');
});

test('ws:// client: host names resolve (localhost)', opts(T), async (t) => {
  const s = await wsServer(t);
  const st = client(t, `ws://localhost:${s.port}/`);
  await until(() => st.upgraded === 1 || st.errors.length, 'onWebSocketConnect or onError');
  assert.deepEqual(st.errors, []);
  st.c.send('via localhost');
  await until(() => st.messages.length === 1, 'echo');
});

/** A raw node:net server: answers the handshake with `respond(head)` and records client bytes. */
async function rawServer(t, respond) {
  const st = { heads: [], data: [], sockets: [] };
  const srv = net.createServer((sock) => {
    st.sockets.push(sock);
    let buf = Buffer.alloc(0);
    let done = false;
    sock.on('error', () => {});
    sock.on('data', (d) => {
      if (done) { st.data.push(d); return; }
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      done = true;
      const head = buf.subarray(0, i).toString('latin1');
      st.heads.push(head);
      const rest = buf.subarray(i + 4);
      if (rest.length) st.data.push(rest);
      respond(sock, head);
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(() => { for (const s of st.sockets) s.destroy(); srv.close(); });
  st.port = srv.address().port;
  return st;
}
function headerOf(head, name) {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head);
  return m ? m[1].trim() : undefined;
}
const goodResponse = (sock, head) => {
  const key = headerOf(head, 'Sec-WebSocket-Key');
  sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`);
};

test('ws:// client on the wire: a proper request, a random key per connection, every frame masked with a fresh key', opts(T), async (t) => {
  const s = await rawServer(t, goodResponse);
  const a = client(t, `ws://127.0.0.1:${s.port}/p?q=1`);
  await until(() => a.upgraded === 1 || a.errors.length, 'onWebSocketConnect');
  assert.deepEqual(a.errors, []);
  const b = client(t, `ws://127.0.0.1:${s.port}/p`);
  await until(() => b.upgraded === 1, 'second onWebSocketConnect');
  const head = s.heads[0];
  assert.match(head, /^GET \/p\?q=1 HTTP\/1\.1\r\n/);
  assert.equal(headerOf(head, 'Host'), `127.0.0.1:${s.port}`);
  assert.equal(headerOf(head, 'Upgrade').toLowerCase(), 'websocket');
  assert.match(headerOf(head, 'Connection'), /upgrade/i);
  assert.equal(headerOf(head, 'Sec-WebSocket-Version'), '13');
  const k1 = headerOf(head, 'Sec-WebSocket-Key');
  const k2 = headerOf(s.heads[1], 'Sec-WebSocket-Key');
  assert.equal(Buffer.from(k1, 'base64').length, 16);
  assert.notEqual(k1, k2, 'a fresh key per connection');
  for (let i = 0; i < 20; i++) a.c.send(`frame ${i}`);
  const expectedBytes = Array.from({ length: 20 }, (_, i) => 2 + 4 + `frame ${i}`.length).reduce((x, y) => x + y, 0);
  await until(() => Buffer.concat(s.data).length >= expectedBytes, 'client frames');
  const wire = Buffer.concat(s.data.splice(0));
  const keys = new Set();
  let off = 0;
  for (let i = 0; i < 20; i++) {
    assert.equal(wire[off], 0x81, 'FIN + text');
    assert.equal(wire[off + 1] & 0x80, 0x80, 'MASK bit set');
    const len = wire[off + 1] & 0x7f;
    const key = wire.subarray(off + 2, off + 6);
    keys.add(key.toString('hex'));
    const payload = Buffer.from(wire.subarray(off + 6, off + 6 + len));
    for (let j = 0; j < payload.length; j++) payload[j] ^= key[j & 3];
    assert.equal(payload.toString(), `frame ${i}`);
    off += 6 + len;
  }
  assert.ok(keys.size >= 19, `fresh mask keys per frame (${keys.size} distinct of 20)`);
});

test('ws:// client: CONNECT_FAIL for a refused TCP connection, a non-101 answer and a wrong Sec-WebSocket-Accept', opts(T), async (t) => {
  // nothing listening
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const deadPort = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  const a = client(t, `ws://127.0.0.1:${deadPort}/`);
  await until(() => a.errors.length === 1, 'onError (refused)');
  assert.equal(a.errors[0].code, CONNECT_FAIL);
  // 403
  const s403 = await rawServer(t, (sock) => sock.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
  const b = client(t, `ws://127.0.0.1:${s403.port}/`);
  await until(() => b.errors.length === 1, 'onError (403)');
  assert.equal(b.errors[0].code, CONNECT_FAIL);
  // bad accept
  const sBad = await rawServer(t, (sock) => sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n'));
  const c = client(t, `ws://127.0.0.1:${sBad.port}/`);
  await until(() => c.errors.length === 1, 'onError (bad accept)');
  assert.equal(c.errors[0].code, CONNECT_FAIL);
  // a ws server that refuses the upgrade
  if (WebSocketServer) {
    const s = await wsServer(t, { verifyClient: () => false });
    const d = client(t, `ws://127.0.0.1:${s.port}/`);
    await until(() => d.errors.length === 1, 'onError (ws refuses)');
    assert.equal(d.errors[0].code, CONNECT_FAIL);
    await sleep(50);
    assert.equal(d.upgraded, 0);
  }
  await sleep(50);
  assert.equal(a.connected, 0, 'no onConnect when TCP is refused');
  for (const st of [a, b, c]) assert.equal(st.upgraded, 0, 'no onWebSocketConnect after a failed handshake');
  for (const st of [a, b, c]) assert.equal(typeof st.errors[0].msg, 'string');
});

test('ws:// client: the 101 is read by the HTTP head parser: bare LF, a malformed status line or field → CONNECT_FAIL; an empty reason phrase is fine', opts(T), async (t) => {
  // The client used to take a bare LF as a line end and any status line that began "HTTP/1.1 101".
  const respondWith = (statusLine, { eol = '\r\n', extra = '' } = {}) => (sock, head) => {
    const key = headerOf(head, 'Sec-WebSocket-Key');
    sock.write([statusLine, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptFor(key)}`].join(eol) + eol + extra + eol);
  };
  const refused = [
    ['bare LF line ends', respondWith('HTTP/1.1 101 Switching Protocols', { eol: '\n' })],
    ['status 1010', respondWith('HTTP/1.1 1010 Switching Protocols')],
    ['HTTP/1.0 101', respondWith('HTTP/1.0 101 Switching Protocols')],
    ['obsolete line folding', respondWith('HTTP/1.1 101 Switching Protocols', { extra: 'X-A: 1\r\n folded\r\n' })],
    ['space inside a field name', respondWith('HTTP/1.1 101 Switching Protocols', { extra: 'Bad Name: 1\r\n' })],
    ['NUL in a field value', respondWith('HTTP/1.1 101 Switching Protocols', { extra: 'X-A: a\x00b\r\n' })],
  ];
  const states = [];
  for (const [what, respond] of refused) {
    const s = await rawServer(t, respond);
    const st = client(t, `ws://127.0.0.1:${s.port}/`);
    await until(() => st.errors.length === 1 || st.upgraded, `onError (${what})`);
    assert.equal(st.upgraded, 0, `${what}: no onWebSocketConnect`);
    assert.equal(st.errors[0].code, CONNECT_FAIL, what);
    states.push(st);
  }
  const ok = await rawServer(t, respondWith('HTTP/1.1 101'));
  const st = client(t, `ws://127.0.0.1:${ok.port}/`);
  await until(() => st.upgraded === 1 || st.errors.length, 'onWebSocketConnect (empty reason phrase)');
  assert.deepEqual(st.errors, []);
  await sleep(50);
  for (const s of states) assert.equal(s.upgraded, 0, 'no onWebSocketConnect after a refused 101');
});

test('ws:// client against a netwright websocket:// server', opts(T), async (t) => {
  const w = new netwright.Worker('websocket://127.0.0.1:0');
  w.websocketType = 'auto';
  w.onMessage = (conn, d) => conn.send(d);
  w.listen();
  t.after(() => deadline(w.stop(), 5000, 'worker.stop()'));
  const st = client(t, `ws://127.0.0.1:${w.port}/`);
  await until(() => st.upgraded === 1, 'onWebSocketConnect');
  st.c.websocketType = 'auto';
  st.c.send('text');
  st.c.send(Buffer.from([1, 2, 3]));
  await until(() => st.messages.length === 2, 'echoes');
  assert.equal(st.messages[0], 'text');
  assert.deepEqual([...st.messages[1]], [1, 2, 3]);
  st.c.close();
  await until(() => st.closed === 1, 'onClose');
});

test('ws:// client: an unresolvable host name → CONNECT_FAIL', opts(T), async (t) => {
  const st = client(t, 'ws://no-such-host.invalid:80/');
  await until(() => st.errors.length === 1, 'onError', 10_000);
  assert.equal(st.errors[0].code, CONNECT_FAIL);
  assert.equal(st.connected, 0);
});

test('a text:// client has no WebSocket side: ping() and subscribe() are false, closeWebSocket() closes it as close() does', T, async (t) => {
  const w = new netwright.Worker('text://127.0.0.1:0');
  w.onMessage = (conn, d) => conn.send(d);
  w.listen();
  t.after(() => deadline(w.stop(), 5000, 'worker.stop()'));
  const st = client(t, `text://127.0.0.1:${w.port}`);
  await until(() => st.connected === 1, 'onConnect');
  st.c.send('hi');
  await until(() => st.messages.length === 1, 'echo');
  assert.equal(st.c.ping('x'), false);
  assert.equal(st.c.subscribe('t'), false);
  st.c.closeWebSocket(4000, 'bye');
  await until(() => st.closed === 1, 'onClose');
  assert.equal(st.c.status, 'closed');
  assert.equal(st.c.closeCode, undefined);
});

test('ws:// client: connection.headers and connection.websocketProtocols set before connect() are sent', opts(T), async (t) => {
  const s = await wsServer(t, { handleProtocols: (protocols) => (protocols.has('v2') ? 'v2' : false) });
  const c = new AsyncTcpConnection(`ws://127.0.0.1:${s.port}/p`);
  t.after(() => c.destroy());
  c.headers = { Origin: 'https://example.test', 'X-Multi': ['a', 'b'] };
  c.websocketProtocols = ['v1', 'v2'];
  const responses = [];
  c.onWebSocketConnect = (conn, response) => responses.push(response);
  c.connect();
  await until(() => responses.length === 1, 'onWebSocketConnect');
  const req = s.requests[0];
  assert.equal(req.headers.origin, 'https://example.test');
  assert.equal(req.headers['x-multi'], 'a, b');
  assert.equal(req.headers['sec-websocket-protocol'], 'v1, v2');
  assert.equal(responses[0].protocol, 'v2');
  assert.equal(c.websocketProtocol, 'v2');
});

test('ws:// client: sends made in onConnect (before the 101) go out after it, in order', opts(T), async (t) => {
  const s = await wsServer(t, {}, () => {});
  const c = new AsyncTcpConnection(`ws://127.0.0.1:${s.port}/`);
  t.after(() => c.destroy());
  const results = [];
  c.onConnect = (conn) => { results.push(conn.send('first'), conn.send('second')); };
  c.connect();
  await until(() => s.received.length === 2, 'both messages at the server');
  assert.deepEqual(results, [null, null]);
  assert.deepEqual(s.received.map((r) => r.data.toString()), ['first', 'second']);
});

test('ws:// client: a refusal reaches onError with its status; onClose follows, onWebSocketConnect never', opts(T), async (t) => {
  const s = await wsServer(t, { verifyClient: (info, cb) => cb(false, 401, 'Unauthorized') });
  const st = client(t, `ws://127.0.0.1:${s.port}/`);
  st.c.send('lost');
  await until(() => st.closed === 1, 'onClose');
  assert.equal(st.errors.length, 1);
  assert.equal(st.errors[0].code, CONNECT_FAIL);
  assert.match(st.errors[0].msg, /401 Unauthorized/);
  assert.equal(st.upgraded, 0);
  assert.deepEqual(st.order, ['connect', 'error', 'close']);
});

test('ws:// client: websocketPingInterval sends pings to a ws server; stops with the connection', opts(T), async (t) => {
  const s = await wsServer(t);
  const st = client(t, `ws://127.0.0.1:${s.port}/`, { websocketPingInterval: 0.1 });
  await until(() => st.upgraded === 1, 'onWebSocketConnect');
  await until(() => s.pings.length >= 3, 'three pings at the server', 5000);
  st.c.close();
  await until(() => st.closed === 1, 'onClose');
  const pings = s.pings.length;
  await sleep(350);
  assert.ok(s.pings.length <= pings + 1, 'no pings after the close');
  const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  assert.ok(timers < 10, `timers left: ${timers}`);
});

test('ws:// client: close() to a server that never answers the close frame ends within 5 s of it (closeTimeouts)', opts(T_LONG), async (t) => {
  // A raw server that completes the handshake and then reads and ignores everything.
  const sockets = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    let head = '';
    socket.on('data', (d) => {
      if (head.includes('\r\n\r\n')) return;
      head += d.toString('latin1');
      const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1];
      if (!head.includes('\r\n\r\n') || !key) return;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`);
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { for (const s of sockets) s.destroy(); server.close(); });
  const before = netwright.Worker.getStatistics().closeTimeouts;
  const st = client(t, `ws://127.0.0.1:${server.address().port}/`);
  await until(() => st.upgraded === 1, 'the 101');
  const closedAt = Date.now();
  st.c.close();
  await until(() => st.closed === 1, 'onClose after the unanswered close frame', 9000);
  const waited = Date.now() - closedAt;
  assert.ok(waited >= 4000, `closed after ${waited} ms: the peer gets about 5 s to answer`);
  assert.equal(netwright.Worker.getStatistics().closeTimeouts - before, 1);
  await until(() => sockets[0].destroyed || sockets[0].readableEnded, 'the TCP connection to end on the server side', 3000);
});
