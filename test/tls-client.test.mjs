// TLS client connections: AsyncTcpConnection with the ssl option,
// transport = 'ssl' or wss://, against netwright's own TLS workers and a
// `ws` server on https. Verification is on by default.
import test from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import { WebSocketServer } from 'ws';
import { Worker, AsyncTcpConnection, CONNECT_FAIL } from 'netwright';
import { T, harness, until } from './helpers/harness.mjs';
import { testCertificates } from './helpers/certs.mjs';

const certs = testCertificates();

/** new AsyncTcpConnection(address, options) with recording callbacks, connected. */
function client(t, address, options, setup = () => {}) {
  const c = new AsyncTcpConnection(address, options);
  const st = { c, connected: 0, messages: [], closed: 0, errors: [] };
  c.onConnect = () => { st.connected++; };
  c.onMessage = (conn, data) => { st.messages.push(String(data)); };
  c.onClose = () => { st.closed++; };
  c.onError = (conn, code, message) => { st.errors.push({ code, message }); };
  setup(c);
  t.after(() => { try { c.destroy(); } catch {} });
  c.connect();
  return st;
}

async function textServer(h, ssl = certs.server) {
  return h.serve('text://127.0.0.1:0', (w) => {
    w.onMessage = (c, d) => c.send(`${c.getPeerCertificate()?.subject.CN ?? '-'}:${d}`);
  }, { ssl });
}

test('text:// client with ssl { ca }: verified against the CA and the address, echo; transport is ssl', T, async (t) => {
  const h = harness(t);
  const w = await textServer(h);
  const st = client(t, `text://127.0.0.1:${w.port}`, { ssl: { ca: certs.ca } });
  assert.equal(st.c.transport, 'ssl');
  st.c.send('queued before the handshake');
  await until(() => st.connected === 1, 'onConnect after the handshake');
  assert.equal(st.c.tlsVersion, 'TLSv1.3');
  st.c.send('hello');
  await until(() => st.messages.length === 2, 'two echoes');
  assert.deepEqual(st.messages, ['-:queued before the handshake', '-:hello']);
  assert.deepEqual(st.errors, []);
});

test('verification is on by default: an untrusted server, or one whose name does not match, fails the connect', T, async (t) => {
  const h = harness(t);
  const w = await textServer(h);
  const untrusted = client(t, `text://127.0.0.1:${w.port}`, undefined, (c) => { c.transport = 'ssl'; });
  const wrongName = client(t, `text://127.0.0.1:${w.port}`, { ssl: { ca: certs.ca, servername: 'wrong.test' } });
  await until(() => untrusted.closed === 1 && wrongName.closed === 1, 'both closed');
  for (const [st, reason] of [[untrusted, /unable to get local issuer certificate|self.signed/], [wrongName, /hostname mismatch/]]) {
    assert.equal(st.connected, 0);
    assert.equal(st.errors.length, 1);
    assert.equal(st.errors[0].code, CONNECT_FAIL);
    assert.match(st.errors[0].message, /certificate verify failed/);
    assert.match(st.errors[0].message, reason);
  }
  const unchecked = client(t, `text://127.0.0.1:${w.port}`, { ssl: { rejectUnauthorized: false } });
  await until(() => unchecked.connected === 1, 'rejectUnauthorized: false connects');
  unchecked.c.send('x');
  await until(() => unchecked.messages.length === 1, 'echo');
});

test('a client certificate reaches a server that requires one', T, async (t) => {
  const h = harness(t);
  const w = await textServer(h, { ...certs.server, ca: certs.ca, requestCert: true });
  const st = client(t, `text://127.0.0.1:${w.port}`, { ssl: { ca: certs.ca, ...certs.client } });
  await until(() => st.connected === 1, 'connected');
  st.c.send('hi');
  await until(() => st.messages.length === 1, 'echo');
  assert.deepEqual(st.messages, ['test client:hi']);
  const without = client(t, `text://127.0.0.1:${w.port}`, { ssl: { ca: certs.ca } });
  await until(() => without.closed === 1, 'refused without a certificate');
  assert.equal(without.messages.length, 0);
});

test('wss:// client against a ws server on https (SNI from the host name), and against a wss:// Worker', T, async (t) => {
  const h = harness(t);
  const server = https.createServer({ ...certs.server });
  const wss = new WebSocketServer({ server });
  const servernames = [];
  wss.on('connection', (ws, req) => {
    servernames.push(req.socket.servername);
    ws.on('message', (m) => ws.send(`ws:${m}`));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { for (const ws of wss.clients) ws.terminate(); server.close(); });
  const st = client(t, `wss://localhost:${server.address().port}/chat`, { ssl: { ca: certs.ca } });
  await until(() => st.connected === 1, 'onConnect after the 101');
  st.c.send('hello');
  await until(() => st.messages.length === 1, 'echo');
  assert.deepEqual(st.messages, ['ws:hello']);
  assert.deepEqual(servernames, ['localhost']);

  const w = await h.serve('wss://127.0.0.1:0', (w) => { w.onMessage = (c, d) => c.send(`nw:${d}`); }, { ssl: certs.server });
  const own = client(t, `wss://localhost:${w.port}/`, { ssl: { ca: certs.ca } });
  await until(() => own.connected === 1, 'connected to the wss:// Worker');
  own.c.send('x'.repeat(70_000));
  await until(() => own.messages.length === 1, 'a 70 kB echo');
  assert.equal(own.messages[0], `nw:${'x'.repeat(70_000)}`);
});

test("client TLS options are checked at connect(); transport 'tcp' cannot undo wss://", T, async () => {
  assert.throws(() => new AsyncTcpConnection('text://127.0.0.1:1', { ssl: { ca: Buffer.from('not a certificate') } }).connect(), /ca: no PEM certificate/);
  assert.throws(() => new AsyncTcpConnection('text://127.0.0.1:1', { ssl: { requestCert: true } }).connect(), /unknown ssl option "requestCert"/);
  const c = new AsyncTcpConnection('wss://127.0.0.1:1/');
  assert.equal(c.transport, 'ssl');
  assert.throws(() => { c.transport = 'tcp'; }, /without the TLS it asks for/);
});

test('handshakeTimeout: a server that accepts TCP but never answers the ClientHello fails the connect naming the address, then onClose', T, async (t) => {
  const sockets = new Set();
  const silent = net.createServer((socket) => { sockets.add(socket); socket.on('error', () => {}); });
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => { for (const s of sockets) s.destroy(); silent.close(); });
  const port = silent.address().port;
  assert.equal(new AsyncTcpConnection(`wss://127.0.0.1:${port}/`).handshakeTimeout, 10, 'the default, as a Worker\'s');
  const before = Worker.getStatistics();
  const started = Date.now();
  const order = [];
  // connectTimeout bounds the TCP connect only: the handshake has its own limit after it.
  const st = client(t, `text://127.0.0.1:${port}`, { ssl: { ca: certs.ca }, connectTimeout: 0.2, handshakeTimeout: 0.8 }, (c) => {
    c.onError = (conn, code, message) => { order.push('error'); st.errors.push({ code, message }); };
    c.onClose = () => { order.push('close'); st.closed++; };
  });
  const st2 = client(t, `wss://localhost:${port}/`, { ssl: { ca: certs.ca }, handshakeTimeout: 0.3 });
  await until(() => st.closed === 1 && st2.closed === 1, 'both closed', 5000);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 750, `the handshake had its 0.8 s, not connectTimeout's 0.2 s (${elapsed} ms)`);
  assert.deepEqual(order, ['error', 'close']);
  assert.equal(st.connected, 0);
  assert.equal(st.errors.length, 1);
  assert.equal(st.errors[0].code, CONNECT_FAIL);
  assert.match(st.errors[0].message, new RegExp(`TLS handshake timed out: no answer within 800 ms \\(127\\.0\\.0\\.1:${port}\\)`));
  assert.match(st2.errors[0].message, new RegExp(`TLS handshake timed out: no answer within 300 ms \\(127\\.0\\.0\\.1:${port}\\)`));
  assert.equal(Worker.getStatistics().tlsHandshakeTimeouts - before.tlsHandshakeTimeouts, 2);
  assert.throws(() => new AsyncTcpConnection(`wss://127.0.0.1:${port}/`, { handshakeTimeout: -1 }).connect(), /handshakeTimeout must be a non-negative number/);
});
